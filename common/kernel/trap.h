/*
 * Interrupts and exceptions. traps.asm has one stub per vector; each saves
 * the registers into a struct trapframe on the current stack and calls
 * trap(). Files claim a vector with TRAP_HANDLER; anything unclaimed is
 * reported (exceptions panic with a register dump).
 */
#ifndef OCHRE_TRAP_H
#define OCHRE_TRAP_H

#include "types.h"

/* Layout fixed by traps.asm: lowest address first. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;		/* CPU error code, or 0 */
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

enum {
	T_DIVIDE = 0, T_DEBUG = 1, T_NMI = 2, T_BREAKPOINT = 3,
	T_OVERFLOW = 4, T_BOUND = 5, T_INVALID_OP = 6, T_NO_DEVICE = 7,
	T_DOUBLE_FAULT = 8, T_INVALID_TSS = 10, T_NO_SEGMENT = 11,
	T_STACK = 12, T_GPF = 13, T_PAGE_FAULT = 14, T_X87 = 16,
	T_ALIGNMENT = 17, T_MACHINE_CHECK = 18, T_SIMD = 19,
	T_IRQ0 = 32,		/* hardware interrupts start here */
};

typedef void (*trap_fn)(struct trapframe *tf);

struct trap_handler {
	uint64_t vector;
	trap_fn fn;
};

#define TRAP_HANDLER(vec, fn)                                            \
	static const struct trap_handler __trap_##fn __used              \
		__section(".traps") __aligned(8) = { vec, fn }

void idt_init(void);
void trap(struct trapframe *tf);
const char *trap_name(uint64_t vector);
bool trap_from_user(const struct trapframe *tf);

/*
 * Exception table: an instruction that may fault on purpose (copying from a
 * user pointer) is listed with the address to continue at instead. Used by
 * lab 2's copyin/copyout; see trap_fixup().
 */
struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
};
bool trap_fixup(struct trapframe *tf);

/*
 * For labs with user processes, through the seams user_exception and
 * user_return (seam.h; lab 2's usertrap.c provides both): an exception
 * raised by user code, and the last stop before returning to user mode
 * (pending kills, rescheduling).
 */
void user_exception(struct trapframe *tf, int signal, const char *why);
void trap_return_to_user(struct trapframe *tf);

/* Prints the registers, RIP with its symbol and a backtrace; then panics. */
void trap_fatal(struct trapframe *tf, const char *why) __noreturn;
void trap_dump(const struct trapframe *tf);

#endif

/* The syscall table and dispatcher; see syscall.h. */
#include "kernel.h"
#include "context.h"
#include "gdt.h"
#include "prof.h"
#include "syscall_table.h"
#include "timer.h"
#include "x86.h"

#define MSR_EFER	0xc0000080
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_FMASK	0xc0000084
#define EFER_SCE	(1UL << 0)
/* Cleared on entry: trap flag, interrupts, direction, alignment check. */
#define FMASK_BITS	((1UL << 8) | (1UL << 9) | (1UL << 10) | (1UL << 18))

extern const struct syscall_entry __syscalls_start[], __syscalls_end[];
extern char syscall_entry[];

static const struct syscall_entry *table[SYS_MAX];

static void syscall_setup(void)
{
	for (const struct syscall_entry *e = __syscalls_start;
	     e < __syscalls_end; e++) {
		if (e->nr >= SYS_MAX)
			panic("syscall %s has number %lu >= SYS_MAX", e->name,
			      e->nr);
		if (table[e->nr])
			panic("syscalls %s and %s share number %lu",
			      table[e->nr]->name, e->name, e->nr);
		table[e->nr] = e;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* sysret would load user CS = 0x10 + 16 and SS = 0x10 + 8 (gdt.h). */
	wrmsr(MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_BITS);
}
INITCALL(syscall_setup, 2);

const char *syscall_name(uint64_t nr)
{
	return nr < SYS_MAX && table[nr] ? table[nr]->name : "?";
}

/* From syscall_entry.asm when no kernel stack was set up for this context. */
void syscall_no_kernel_stack(void) __noreturn;
void syscall_no_kernel_stack(void)
{
	panic("system call with no kernel stack: syscall_kernel_rsp is 0. The "
	      "scheduler must call use_kernel_stack_of(next) before "
	      "switch_to() (HANDOUT.md §4.3)");
}

/* Runs the call the registers in tf ask for; the result goes in rax. */
void syscall_invoke(struct trapframe *tf)
{
	uint64_t nr = tf->rax;
	prof_syscall_enter(tf);
	if (nr < SYS_MAX && table[nr])
		tf->rax = (uint64_t)table[nr]->fn(tf->rdi, tf->rsi, tf->rdx,
						  tf->r10, tf->r8, tf->r9);
	else
		tf->rax = (uint64_t)-ENOSYS;
	prof_syscall_exit(tf);
}

void syscall_dispatch(struct trapframe *tf)
{
	cur->tf = tf;
	timer_note_user_activity();
	syscall_invoke(tf);
	trap_return_to_user(tf);
}

/* What syscall_entry.asm calls. A later lab may point it at a path of its
 * own while it needs one (lab 6 stops traced processes around each call),
 * so an untraced system call costs nothing extra. */
void (*syscall_handler)(struct trapframe *tf) = syscall_dispatch;

/*
 * System calls (lab 2). Each file registers its calls with SYSCALL(); the
 * table is built at boot from the linker section, so retiring a file (lab 4
 * retires fork.c) retires its syscalls, which then answer -ENOSYS.
 *
 * Handlers take the six raw argument registers and return a value for rax
 * (a negative errno on failure). They may read and change the caller's
 * registers through cur->tf.
 */
#ifndef OCHRE_SYSCALL_KERNEL_H
#define OCHRE_SYSCALL_KERNEL_H

#include "types.h"
#include <ochre/syscall.h>

typedef int64_t (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4, uint64_t a5);

struct syscall_entry {
	uint64_t nr;
	const char *name;
	syscall_fn fn;
};

#define SYSCALL(nr, fn)                                                  \
	static const struct syscall_entry __syscall_##fn __used          \
		__section(".syscalls") __aligned(8) = {                  \
			nr, #fn, (syscall_fn)(void (*)(void))fn }

#define TF_SYSCALL	0x100	/* trapframe.vector of a syscall frame */

void syscall_init(void);
const char *syscall_name(uint64_t nr);

struct trapframe;
/* The normal path: the call, then trap_return_to_user. */
void syscall_dispatch(struct trapframe *tf);
/* Only the call (for a later lab's path that stops around it). */
void syscall_invoke(struct trapframe *tf);
/* What syscall_entry.asm calls: syscall_dispatch unless a later lab (lab
 * 6, while something is traced) points it at its own path. */
extern void (*syscall_handler)(struct trapframe *tf);

#endif

/*
 * Lab 2: fork in the kernel. HANDOUT.md §8.
 *
 * The child gets a copy of every user page, the parent's registers (with
 * rax = 0, fork's return value in the child), and a place on the run queue.
 * fork returns to the parent at once: it never waits for the child to run.
 *
 * Lab 4 retires this file: fork moves to user space (Redox's "userspace
 * clone"), built on proc: handles. Keep everything fork needs in here.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "syscall_table.h"

static int64_t sys_fork(void)
{
	/* BEGIN LAB2 SOLUTION: §8 sys_fork */
	struct context *child;
	int err = context_new(cur, cur->name, &child);
	if (err)
		return err;
	err = addrspace_copy(child->as, cur->as);
	if (!err)
		err = context_run_fork_hooks(cur, child);
	if (err) {
		context_discard(child);
		return err;
	}
	*child->tf = *cur->tf;
	child->tf->rax = 0;
	err = context_start(cur, child);
	if (err) {
		context_discard(child);
		return err;
	}
	return child->pid;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}
SYSCALL(SYS_FORK, sys_fork);

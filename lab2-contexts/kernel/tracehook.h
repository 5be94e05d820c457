/*
 * The seam lab 6 (tracing) hooks into (seam.h: "trace", from lab 6 on
 * exactly one provider, before it none). The places in lab 2 where a
 * traced process may have to stop call through trace_hooks, which stays
 * NULL before lab 6. Every such call is on a slow path: signal delivery,
 * exit, the return to user mode after a reschedule, a context's first
 * start. (Starting a child and exec are CONTEXT_HOOKS.) The system-call
 * fast path is different: syscall_entry.asm calls through syscall_handler
 * (syscall_table.h), which lab 6 points at its own dispatcher only while
 * some session exists, so an untraced system call costs exactly the
 * instructions it cost before lab 6.
 */
#ifndef OCHRE_TRACEHOOK_H
#define OCHRE_TRACEHOOK_H

#include "types.h"
#include "trap.h"

struct trace_hooks {
	/* Before user mode after a reschedule or a context's first switch:
	 * a context that must stop (attached with O_TRUNC, a frozen clone)
	 * parks here. Its user registers are in cur->tf. */
	void (*user_return)(void);
	/* Signal sig is about to act on cur (cur->killed, or a fault):
	 * true means the tracer dropped it. */
	bool (*signal)(struct trapframe *tf, int sig);
	/* cur is exiting with status (waitpid encoding); nothing is torn
	 * down yet. */
	void (*exit)(int status);
};

extern const struct trace_hooks *trace_hooks;

#endif

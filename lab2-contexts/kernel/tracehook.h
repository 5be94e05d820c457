/*
 * The seam lab 6 (tracing) hooks into. The places in labs 2-4 where a
 * traced process may have to stop call through trace_hooks, which stays
 * NULL until lab 6 installs its table at boot. Every such call is on a
 * slow path (signal delivery, exit, rescheduling, starting a context,
 * exec). The system-call fast path is different: syscall_entry.asm calls
 * through syscall_handler (syscall.h), which lab 6 points at its own
 * dispatcher only while some session exists, so an untraced system call
 * costs exactly the instructions it cost before lab 6.
 */
#ifndef OCHRE_TRACEHOOK_H
#define OCHRE_TRACEHOOK_H

#include "types.h"
#include "trap.h"

struct context;

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
	/* parent is starting child (lab 4's start): 0, or -errno to refuse. */
	int (*clone)(struct context *parent, struct context *child);
	/* cur's address space was replaced by exec; tf is the new image's. */
	void (*exec)(struct trapframe *tf);
};

extern const struct trace_hooks *trace_hooks;

#endif

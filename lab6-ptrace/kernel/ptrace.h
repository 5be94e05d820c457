/*
 * Lab 6: tracing, the kernel side (the ABI is <ochre/ptrace.h>).
 *
 *   tracer                          tracee
 *   open proc:<pid>/trace  ------>  session (cur->trace)
 *   write(request) --------------->  flags = request; stopped = false; wake
 *                                   ... runs until an armed stop:
 *                                   ptrace_stop(cause): queue the event,
 *   read() <--------- wake -------  stopped = true, park in ptrace_park()
 *   regs/int, regs/float, mem        (registers are stable while parked)
 *   write(next request) ---------->  ...
 *   close --------------------------> runs free (O_EXCL: SIGKILL)
 *
 * A session belongs to the trace file that opened it; it outlives its
 * tracee (then read and write say ESRCH) and is freed when the file is
 * closed. HANDOUT.md has the state diagram.
 */
#ifndef OCHRE_PTRACE_KERNEL_H
#define OCHRE_PTRACE_KERNEL_H

#include "types.h"
#include "context.h"
#include "trap.h"
#include <ochre/ptrace.h>

#define PTRACE_RING	PTRACE_QUEUE	/* events queued per session; one slot
					   is kept for a stop, so stops never
					   find it full */
#define PTRACE_FROZEN	32	/* clones frozen and not yet released */

struct frozen_clone {
	int pid;
	bool reported;		/* the tracer has read its EVENT_CLONE */
};

struct ptrace_session {
	struct context *tracee;	/* NULL once it is gone (dead = true) */
	int pid;
	uint64_t flags;		/* the last request written; 0 = run free */
	bool stopped;		/* reached a stop; waits for the next write */
	bool parked;		/* sleeping in ptrace_park(): registers stable */
	bool dead;
	bool excl;		/* O_EXCL: SIGKILL the tracee on close */
	struct ptrace_event ring[PTRACE_RING];
	unsigned head, count;
	struct frozen_clone frozen[PTRACE_FROZEN];
	int nfrozen;
	struct waitq tracer_wq;	/* the tracer waits for events here */
	struct waitq tracee_wq;	/* the parked tracee waits for a write */
	struct ptrace_fpregs fpu __attribute__((aligned(16)));
	bool fpu_valid;		/* fpu holds the parked tracee's FXSAVE image */
};

/* Each context's tracing state (a side table, indexed by context slot). */
struct ptrace_ctx {
	struct ptrace_session *session;	/* the session tracing it, or NULL */
	bool hold;		/* park before user mode (O_TRUNC, clone freeze) */
};
extern struct ptrace_ctx ptrace_ctx[NCONTEXT];

static inline struct ptrace_ctx *pt(const struct context *c)
{
	return &ptrace_ctx[context_slot(c)];
}

/* ptrace.c: the one place a tracee stops. Returns the request word to
 * continue with (test it for PTRACE_FLAG_IGNORE), or 0 if no stop was
 * armed, the session is gone or the tracee was SIGKILLed meanwhile. */
uint64_t ptrace_stop(uint64_t cause, uint64_t a, uint64_t b, uint64_t c,
		     uint64_t d, uint64_t e, uint64_t f);
/* Parks cur while it is held or stopped; same result as ptrace_stop. */
uint64_t ptrace_park(void);
/* Queues a non-stopping event if the tracer asked for it: 0, or -EAGAIN
 * if the queue is full. */
int ptrace_event(struct ptrace_session *s, uint64_t cause, uint64_t a);

/* May cur trace pid? 0 with *out set, -ESRCH or -EPERM. */
int ptrace_target(int pid, struct context **out);
/* "/<pid>/..." -> pid, or -ENOENT. */
int ptrace_parse_pid(const char *path);

/* c is dying (after its EXIT stop): wake its tracer, forget c. */
void ptrace_tracee_gone(struct context *c);

/* ptrace_hooks.c: the syscall path while some session exists. */
void ptrace_syscall(struct trapframe *tf);
void ptrace_sessions_changed(int delta);

#endif

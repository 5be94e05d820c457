/*
 * Contexts (lab 2): Redox's word for a process or thread. Each context has
 * its own kernel stack, an address space, and a saved kernel stack pointer
 * for the context switch. User registers live in a struct trapframe at the
 * top of the kernel stack while the context is in the kernel.
 *
 *   state machine:
 *
 *     (alloc: BLOCKED) --> RUNNABLE <--> RUNNING --> ZOMBIE --> (reaped)
 *                    ^            |
 *                    |            v
 *                    +------- BLOCKED   (waiting on a waitq or a timer)
 */
#ifndef OCHRE_CONTEXT_H
#define OCHRE_CONTEXT_H

#include "types.h"
#include "trap.h"

#define NCONTEXT	128		/* most contexts alive at once */
#define KSTACK_PAGES	4		/* 16 KiB kernel stack per context */
#define CONTEXT_NAME	32

enum context_state {
	CTX_UNUSED = 0,
	CTX_RUNNABLE,
	CTX_RUNNING,
	CTX_BLOCKED,
	CTX_ZOMBIE,
};

/* A queue of contexts sleeping until something happens. */
struct waitq {
	struct context *head;
};
#define WAITQ_INIT	{ NULL }

struct addrspace;

/*
 * Only lab 2's state lives here. A later lab keeps its own per-context
 * state in a table of its own indexed by context_slot(c) and sets it up
 * and tears it down in its CONTEXT_HOOKS (docs/design.md, "Seams").
 */
struct context {
	int pid;
	uint64_t serial;		/* never reused: the context's identity */
	enum context_state state;
	char name[CONTEXT_NAME];

	/* kernel stack: [kstack_base, kstack_top); the user trapframe is at the top */
	uintptr_t kstack_base, kstack_top;
	uint64_t saved_rsp;		/* switch_to() keeps it here */
	struct trapframe *tf;		/* user registers while in the kernel */

	struct addrspace *as;

	/* family */
	struct context *parent;
	struct context *children;	/* first child */
	struct context *sibling;	/* next child of our parent */
	struct waitq child_exit;	/* woken when a child exits */

	/* scheduling */
	struct context *run_next;	/* run queue link */
	struct waitq *waiting_on;	/* the queue we sleep on, if BLOCKED */
	struct context *wait_next;	/* its link */
	uint64_t wake_at;		/* nanosleep: tick to wake at, or 0 */
	struct context *sleep_next;	/* timer sleep list link */
	int slice;			/* ticks left in this time slice */

	int killed;			/* pending fatal signal, or 0 */
	int exit_status;		/* waitpid status once ZOMBIE */
};

/* The context running now. */
extern struct context *cur;

/* context.c */
struct context *context_alloc(const char *name);	/* kernel stack, pid */
void context_free(struct context *c);	/* after it is reaped; twice: panic */
struct context *context_find(int pid);
int context_count(void);
struct context *context_at(int i);		/* NULL if slot i is free */
int context_slot(const struct context *c);	/* 0 .. NCONTEXT-1 */
void context_set_name(struct context *c, const char *name);

/*
 * The life of a context, one helper each, so that every lab's hooks run
 * at the same points whoever makes, starts or replaces a context:
 *
 *   context_new      a context made by creator (kernel fork, lab 4's
 *                    thisproc:new; NULL for the first process): a context
 *                    with an empty address space, create hooks run
 *   context_discard  undoes context_new for a context that never ran
 *   context_start    the one place a new context starts: start hooks
 *                    (which may refuse: -errno, nothing changed), then
 *                    linked as a child of parent (if any), runnable; its
 *                    first way to user mode is context_first_return
 *   context_exec     the exec point of no return for cur: the new space
 *                    in, the old one freed, exec hooks, fresh registers
 */
int context_new(struct context *creator, const char *name,
		struct context **out);
void context_discard(struct context *c);
int context_start(struct context *parent, struct context *c);
void context_exec(struct addrspace *as, const char *name, uint64_t rip,
		  uint64_t rsp);
/* The registers a program starts with: only rip and rsp, interrupts on. */
void trapframe_init_user(struct trapframe *tf, uint64_t rip, uint64_t rsp);

/*
 * Lifecycle hooks: later labs attach per-context state (file tables, the
 * cwd, embryos, ptrace sessions) without editing this lab's files. Every
 * member may be NULL. exit must cope with state that create never set up
 * (create failed in another lab's hook), so keep "nothing" as zero.
 */
#define KILL_DEFAULT	1	/* a kill hook's "not mine" */
struct context_hooks {
	const char *name;
	/* c is new, made by creator (NULL: the first process); -errno fails
	 * the creation and exit runs for c */
	int (*create)(struct context *creator, struct context *c);
	/* kernel fork only (lab 2), after create: copy what fork copies */
	int (*fork)(struct context *parent, struct context *child);
	/* c (made by parent, NULL for the first process) is about to become
	 * runnable for the first time: -errno refuses (lab 6: clone event) */
	int (*start)(struct context *parent, struct context *c);
	/* cur's image was replaced; c->tf holds the new image's registers */
	void (*exec)(struct context *c);
	/* dying: free this lab's state (c->exit_status is set when c exits;
	 * a discarded embryo has none). Exit hooks run last lab first, the
	 * others in link order (lab 2 first). */
	void (*exit)(struct context *c);
	/* signal sig is about to act on c == cur (a pending kill, or a
	 * fault with c->tf = tf): true if this lab takes it away (lab 6) */
	bool (*signal)(struct context *c, struct trapframe *tf, int sig);
	/* c == cur goes back to user mode after a reschedule, or for the
	 * first time: the place to stop before user code runs (lab 6) */
	void (*user_return)(struct context *c);
	/* kill(c, sig) by cur: KILL_DEFAULT for the usual rules, or the
	 * result of the system call (0 or -errno) */
	int (*kill)(struct context *c, int sig);
};
#define CONTEXT_HOOKS(id, ...)                                           \
	static const struct context_hooks __ctx_hooks_##id __used        \
		__section(".context_hooks") __aligned(8) = { #id, __VA_ARGS__ }
int context_run_fork_hooks(struct context *parent, struct context *child);
void context_run_exit_hooks(struct context *c);
int context_run_kill_hooks(struct context *c, int sig);
bool context_run_signal_hooks(struct context *c, struct trapframe *tf, int sig);
void context_run_user_return_hooks(struct context *c);

/* switch.asm: saves callee-saved registers and rsp in *old_rsp, loads new. */
void switch_to(uint64_t *old_rsp, uint64_t new_rsp);
/* Prepares c's kernel stack so that the first switch to it "returns" into
 * trap_return, which takes it to user mode with the registers in c->tf. */
void context_prepare_first_switch(struct context *c);

/* sched.c */
void sched_init(void);
void sched_make_runnable(struct context *c);
void schedule(void);			/* run something else; cur must not be RUNNING */
void yield(void);
void sched_tick(void);			/* from the timer interrupt */
bool sched_need_resched(void);
void preempt_point(void);		/* between chunks of long work */
#define PREEMPT_CHUNK	(64 * 1024)	/* bytes copied between such points */
#define PREEMPT_PAGES	(PREEMPT_CHUNK / 4096)	/* pages filled between them */
void sched_start(void) __noreturn;	/* the boot path becomes the idle loop */

/* Sleeps until woken; returns -EINTR if the context was killed meanwhile. */
int sleep_on(struct waitq *q);
void wakeup(struct waitq *q);		/* wakes every sleeper */
void wakeup_one(struct context *c);	/* takes c off whatever it waits on */
int sleep_until(uint64_t tick);		/* 0, or -EINTR */

/* proc.c */
void do_exit(int status) __noreturn;	/* status in waitpid encoding */
void context_kill(struct context *c, int sig);

#endif

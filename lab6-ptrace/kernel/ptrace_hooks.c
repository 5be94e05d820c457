/*
 * Lab 6: where a tracee stops. HANDOUT.md §4.
 *
 * Each hook asks ptrace_stop() for one cause; the stop happens only if the
 * tracer armed it. The system-call path is special: while no session
 * exists syscall_entry.asm calls lab 2's syscall_dispatch directly, so an
 * untraced system call costs what it cost before lab 6; while one exists
 * it calls ptrace_syscall(), which sends untraced contexts straight on.
 */
#include "kernel.h"
#include "context.h"
#include "ptrace.h"
#include "seam.h"
#include "syscall_table.h"
#include "timer.h"
#include "tracehook.h"
#include "trap.h"
#include <ochre/signal.h>
#include <ochre/wait.h>

#define RFLAGS_TF	(1UL << 8)
#define DR6_BS		(1UL << 14)	/* the #DB was a single step */

void idt_set_user_callable(int vector);

static int nsessions;

/* Given: the syscall path follows the number of open sessions. */
void ptrace_sessions_changed(int delta)
{
	nsessions += delta;
	syscall_handler = nsessions ? ptrace_syscall : syscall_dispatch;
}

static bool armed(uint64_t cause)
{
	return pt(cur)->session && (pt(cur)->session->flags & cause);
}

void ptrace_syscall(struct trapframe *tf)
{
	if (!pt(cur)->session && !pt(cur)->hold) {
		syscall_dispatch(tf);
		return;
	}
	cur->tf = tf;
	timer_note_user_activity();
	/* BEGIN LAB6 SOLUTION: §4.1 system calls */
	if (pt(cur)->hold)		/* O_TRUNC arrived while it ran */
		ptrace_park();
	uint64_t w = ptrace_stop(PTRACE_STOP_PRE_SYSCALL, tf->rax, tf->rdi,
				 tf->rsi, tf->rdx, tf->r10, tf->r8);
	/* Number and arguments are read now, after the tracer's edits. */
	uint64_t nr = tf->rax;
	/* SIGKILLed while stopped: the call (maybe rewritten) must not run. */
	if (!(w & PTRACE_FLAG_IGNORE) && cur->killed != SIGKILL)
		syscall_invoke(tf);
	bool post = armed(PTRACE_STOP_POST_SYSCALL);
	ptrace_stop(PTRACE_STOP_POST_SYSCALL, nr, tf->rax, 0, 0, 0, 0);
	/*
	 * A step over `syscall` is one step: TF is in the saved rflags (the
	 * user was stepping, or the tracer asked at PRE) and the step ends
	 * here, at the instruction after `syscall`. Returning with TF set
	 * would instead trap after the *next* instruction. After a POST stop
	 * the tracer's last word decides, as it does at any other stop.
	 */
	if (!post && (tf->rflags & RFLAGS_TF) && armed(PTRACE_STOP_SINGLESTEP)) {
		tf->rflags &= ~RFLAGS_TF;
		ptrace_stop(PTRACE_STOP_SINGLESTEP, tf->rip, 0, 0, 0, 0, 0);
	}
	/* END LAB6 SOLUTION */
	/* STARTER: syscall_invoke(tf); */
	trap_return_to_user(tf);
	if (pt(cur)->hold) {		/* attached with O_TRUNC meanwhile */
		ptrace_park();
		trap_return_to_user(tf);
	}
}

/* Before user mode: a held context (O_TRUNC, frozen clone) parks. */
static void hook_user_return(void)
{
	/* BEGIN LAB6 SOLUTION: §4.2 holds */
	if (pt(cur)->hold)
		ptrace_park();
	/* END LAB6 SOLUTION */
}

/* Given: was this #DB a single step? Clears DR6 (the CPU never does)
 * and TF (one step at a time). */
static bool single_step(struct trapframe *tf)
{
	uint64_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	__asm__ volatile("mov %0, %%dr6" : : "r"(0xffff0ff0UL));
	bool step = (dr6 & DR6_BS) || (tf->rflags & RFLAGS_TF);
	tf->rflags &= ~RFLAGS_TF;
	return step;
}

static void debug_trap(struct trapframe *tf)
{
	if (!single_step(tf) || !trap_from_user(tf)) {
		if (!trap_from_user(tf))
			return;
		user_exception(tf, SIGTRAP, trap_name(tf->vector));
		return;
	}
	/* BEGIN LAB6 SOLUTION: §4.3 single step */
	if (armed(PTRACE_STOP_SINGLESTEP)) {
		ptrace_stop(PTRACE_STOP_SINGLESTEP, tf->rip, 0, 0, 0, 0, 0);
		return;
	}
	/* END LAB6 SOLUTION */
	user_exception(tf, SIGTRAP, trap_name(tf->vector));
}
TRAP_HANDLER(T_DEBUG, debug_trap);

static void breakpoint_trap(struct trapframe *tf)
{
	if (!trap_from_user(tf))
		trap_fatal(tf, "int3 in the kernel");
	/* BEGIN LAB6 SOLUTION: §4.4 breakpoints */
	if (armed(PTRACE_STOP_BREAKPOINT)) {
		tf->rip--;		/* at the int3 byte, as Redox does */
		ptrace_stop(PTRACE_STOP_BREAKPOINT, tf->rip, 0, 0, 0, 0, 0);
		return;
	}
	/* END LAB6 SOLUTION */
	user_exception(tf, SIGTRAP, trap_name(tf->vector));
}
TRAP_HANDLER(T_BREAKPOINT, breakpoint_trap);

/* A signal is about to act: true if the tracer dropped it. */
static bool hook_signal(struct trapframe *tf, int sig)
{
	/* BEGIN LAB6 SOLUTION: §4.5 signals */
	if (sig == SIGKILL || !armed(PTRACE_STOP_SIGNAL))
		return false;
	uint64_t w = ptrace_stop(PTRACE_STOP_SIGNAL, (uint64_t)sig, 0, 0, 0,
				 0, 0);
	return (w & PTRACE_FLAG_IGNORE) && cur->killed != SIGKILL;
	/* END LAB6 SOLUTION */
	/* STARTER: return false; */
}

static void hook_exit(int status)
{
	/* BEGIN LAB6 SOLUTION: §4.6 exit */
	if (cur->killed == SIGKILL || (WIFSIGNALED(status) &&
				       WTERMSIG(status) == SIGKILL))
		return;		/* SIGKILL never stops */
	ptrace_stop(PTRACE_STOP_EXIT, (uint64_t)status, 0, 0, 0, 0, 0);
	/* END LAB6 SOLUTION */
}

/* A new context is about to run for the first time (lab 4's start):
 * if its parent's tracer wants clone events, the tracer hears of it and
 * the child stays frozen until the tracer attaches to it or lets it go. */
static void hook_start(struct context *child)
{
	struct ptrace_session *s = child->parent ?
				   pt(child->parent)->session : NULL;
	if (!s || !(s->flags & PTRACE_EVENT_CLONE))
		return;
	/* BEGIN LAB6 SOLUTION: §4.7 clone */
	/* A tracer that reads no events: the child runs, unfrozen. */
	if (s->nfrozen == PTRACE_FROZEN ||
	    ptrace_event(s, PTRACE_EVENT_CLONE, (uint64_t)child->pid) != 0)
		return;
	s->frozen[s->nfrozen++] = (struct frozen_clone){ child->pid, false };
	pt(child)->hold = true;
	/* END LAB6 SOLUTION */
}

/* exec replaced c's (cur's) image; c->tf holds the new entry point. */
static void hook_exec(struct context *c)
{
	ptrace_event(pt(c)->session, PTRACE_EVENT_ADDRSPACE_SWITCH, c->tf->rip);
	/* A stepping tracer stops at the new image's first instruction. */
	if (armed(PTRACE_STOP_SINGLESTEP))
		c->tf->rflags |= RFLAGS_TF;
}

static int hook_create(struct context *creator, struct context *c)
{
	*pt(c) = (struct ptrace_ctx){ 0 };
	return 0;
}
CONTEXT_HOOKS(ptrace_stops, .create = hook_create, .start = hook_start,
	      .exec = hook_exec);

static const struct trace_hooks hooks = {
	.user_return = hook_user_return,
	.signal = hook_signal,
	.exit = hook_exit,
};
SEAM_PROVIDER(trace, &hooks);

static void ptrace_init(void)
{
	idt_set_user_callable(T_BREAKPOINT);	/* int3 from ring 3 */
}
INITCALL(ptrace_init, 3);

/*
 * What lab 2 does at the two seams of common/kernel/idt.c (seam.h): a user
 * program that faults dies alone, and every return to user mode is where
 * a killed context dies and an expired time slice ends (lab 2, given).
 */
#include "kernel.h"
#include "context.h"
#include "seam.h"
#include "trap.h"
#include <ochre/signal.h>
#include <ochre/wait.h>

/* A pending kill acts: the process dies, unless a later lab's signal hook
 * takes the signal away (lab 6: a tracer). */
static void deliver_kill(struct trapframe *tf)
{
	if (context_run_signal_hooks(cur, tf, cur->killed)) {
		cur->killed = 0;
		return;
	}
	do_exit(W_SIGNALED(cur->killed));
}

/* The last stop before user mode (trap() and the syscall path): die if
 * killed; give up the CPU if the time slice is over. */
static void return_to_user(struct trapframe *tf)
{
	if (cur->killed)
		deliver_kill(tf);
	if (sched_need_resched()) {
		yield();
		context_run_user_return_hooks(cur);
	}
	if (cur->killed)
		deliver_kill(tf);
}
SEAM_PROVIDER(user_return, return_to_user);


static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGTERM: return "SIGTERM";
	default: return "signal";
	}
}

/* A user program faulted: it dies, the kernel carries on. */
static void user_fault(struct trapframe *tf, int sig, const char *why)
{
	if (context_run_signal_hooks(cur, tf, sig))
		return;		/* taken away (lab 6): the program goes on */
	printk("ochre: pid %d (%s) killed by %s: %s at rip %#lx\n", cur->pid,
	       cur->name, signal_name(sig), why, tf->rip);
	do_exit(W_SIGNALED(sig));
}
SEAM_PROVIDER(user_exception, user_fault);

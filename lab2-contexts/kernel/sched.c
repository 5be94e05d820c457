/*
 * Lab 2: the scheduler. HANDOUT.md §4.
 *
 * Round-robin over a FIFO run queue: the running context goes to the back
 * when its time slice (SLICE_TICKS timer ticks) is used up or when it
 * yields, and the context at the front runs next. Round-robin is fair,
 * starvation-free and O(1); it knows nothing of priorities, which the
 * labs do not need. When nothing is runnable, the idle context (the boot
 * stack, pid 0) halts the CPU until the next interrupt.
 *
 * Ochre's kernel is not preemptible: interrupts are off whenever the CPU is
 * in the kernel, except in the idle loop. So a context switch happens only
 * when kernel code calls schedule(), and nothing here needs a lock.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "gdt.h"
#include "prof.h"
#include "timer.h"
#include "x86.h"

#define SLICE_TICKS	10

struct context *cur;
static struct context idle;
static struct context *runq_head, *runq_tail;
static struct context *sleepers;	/* sorted by wake_at */
static bool need_resched;
extern uint64_t syscall_kernel_rsp;

/* Given: makes c's kernel stack the one used on entry from user mode. */
static void use_kernel_stack_of(struct context *c)
{
	prof_switch(c);		/* -DOCHRE_PROF only (make profile) */
	tss_set_rsp0(c->kstack_top);
	syscall_kernel_rsp = c->kstack_top;
}

/* BEGIN LAB2 SOLUTION: §4.2 run queue */
static void runq_push(struct context *c)
{
	c->run_next = NULL;
	if (runq_tail)
		runq_tail->run_next = c;
	else
		runq_head = c;
	runq_tail = c;
}

static struct context *runq_pop(void)
{
	struct context *c = runq_head;
	if (c) {
		runq_head = c->run_next;
		if (!runq_head)
			runq_tail = NULL;
		c->run_next = NULL;
	}
	return c;
}
/* END LAB2 SOLUTION */

void sched_make_runnable(struct context *c)
{
	/* BEGIN LAB2 SOLUTION: §4.2 sched_make_runnable */
	c->state = CTX_RUNNABLE;
	runq_push(c);
	/* END LAB2 SOLUTION */
}

/*
 * Switches to the next runnable context, or to idle if there is none.
 * The caller has already set cur->state (RUNNABLE and queued, BLOCKED, or
 * ZOMBIE). Returns when cur is chosen to run again.
 */
void schedule(void)
{
	/* BEGIN LAB2 SOLUTION: §4.3 schedule */
	struct context *prev = cur;
	struct context *next = runq_pop();
	if (!next)
		next = &idle;
	need_resched = false;
	if (next == prev) {
		prev->state = CTX_RUNNING;
		return;
	}
	next->state = CTX_RUNNING;
	next->slice = SLICE_TICKS;
	cur = next;
	use_kernel_stack_of(next);
	if (next->as != prev->as)
		addrspace_switch(next->as);
	switch_to(&prev->saved_rsp, next->saved_rsp);
	/* END LAB2 SOLUTION */
}

void yield(void)
{
	/* BEGIN LAB2 SOLUTION: §4.3 yield */
	if (!runq_head) {	/* nobody else wants the CPU: a new slice */
		need_resched = false;
		cur->slice = SLICE_TICKS;
		return;
	}
	sched_make_runnable(cur);
	schedule();
	/* END LAB2 SOLUTION */
}

bool sched_need_resched(void)
{
	return need_resched;
}

/*
 * Given: a point in a long system call (a huge copy) where the CPU may
 * change hands. The kernel runs with interrupts off, so a timer tick that
 * came during the work is taken here; if the time slice is over, another
 * context runs first. One system call thus holds the CPU for at most
 * about a slice plus one chunk of work.
 */
void preempt_point(void)
{
	if (!cur || cur == &idle)
		return;		/* booting: no process to preempt yet */
	sti();
	__asm__ volatile("nop");	/* sti takes effect after one instruction */
	cli();
	if (need_resched)
		yield();
}

/* BEGIN LAB2 SOLUTION: §4.4 sleeping and waking */
static void waitq_remove(struct context *c)
{
	struct context **pp = &c->waiting_on->head;
	while (*pp && *pp != c)
		pp = &(*pp)->wait_next;
	if (*pp)
		*pp = c->wait_next;
	c->waiting_on = NULL;
	c->wait_next = NULL;
}

static void sleepers_remove(struct context *c)
{
	struct context **pp = &sleepers;
	while (*pp && *pp != c)
		pp = &(*pp)->sleep_next;
	if (*pp)
		*pp = c->sleep_next;
	c->sleep_next = NULL;
	c->wake_at = 0;
}
/* END LAB2 SOLUTION */

int sleep_on(struct waitq *q)
{
	/* BEGIN LAB2 SOLUTION: §4.4 sleep_on */
	if (cur->killed)
		return -EINTR;
	cur->state = CTX_BLOCKED;
	cur->waiting_on = q;
	cur->wait_next = q->head;
	q->head = cur;
	schedule();
	return cur->killed ? -EINTR : 0;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* Takes c off whatever it sleeps on and makes it runnable. */
void wakeup_one(struct context *c)
{
	/* BEGIN LAB2 SOLUTION: §4.4 wakeup_one */
	/* Off every queue first, so that wakeup() and sched_tick() always
	 * make progress, even if c was not blocked. */
	if (c->waiting_on)
		waitq_remove(c);
	if (c->wake_at)
		sleepers_remove(c);
	if (c->state == CTX_BLOCKED)
		sched_make_runnable(c);
	/* END LAB2 SOLUTION */
}

void wakeup(struct waitq *q)
{
	/* BEGIN LAB2 SOLUTION: §4.4 wakeup */
	while (q->head)
		wakeup_one(q->head);
	/* END LAB2 SOLUTION */
}

int sleep_until(uint64_t tick)
{
	/* BEGIN LAB2 SOLUTION: §4.4 sleep_until */
	if (cur->killed)
		return -EINTR;
	if (tick <= timer_ticks())
		return 0;
	struct context **pp = &sleepers;
	while (*pp && (*pp)->wake_at <= tick)
		pp = &(*pp)->sleep_next;
	cur->wake_at = tick;
	cur->sleep_next = *pp;
	*pp = cur;
	cur->state = CTX_BLOCKED;
	schedule();
	return cur->killed ? -EINTR : 0;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* From the timer interrupt: wake sleepers that are due, charge the slice. */
void sched_tick(void)
{
	/* BEGIN LAB2 SOLUTION: §4.5 sched_tick */
	uint64_t now = timer_ticks();
	while (sleepers && sleepers->wake_at <= now)
		wakeup_one(sleepers);
	if (cur != &idle && --cur->slice <= 0)
		need_resched = true;
	if (cur == &idle && runq_head)
		need_resched = true;
	/* END LAB2 SOLUTION */
}

/*
 * Given: the boot path becomes the idle context. It halts until an
 * interrupt makes something runnable, then schedules it.
 */
void sched_start(void)
{
	idle.pid = 0;
	idle.state = CTX_RUNNING;
	strlcpy(idle.name, "idle", sizeof(idle.name));
	cur = &idle;
	for (;;) {
		cur->state = CTX_RUNNABLE;	/* idle is never queued */
		schedule();
		if (cur != &idle)
			panic("switch_to() returned to the idle loop without "
			      "switching stacks (HANDOUT.md §4.1)");
		if (!context_count()) {
			printk("ochre: no contexts left; powering off\n");
			qemu_exit(EXIT_OK);
		}
		sti();
		hlt();			/* until the next interrupt */
		cli();
	}
}

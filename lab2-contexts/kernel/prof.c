/*
 * The system-call profiler; see prof.h. Built only with -DOCHRE_PROF
 * (`make profile`): a normal kernel has none of this.
 *
 * One segment is open at any time; each hook closes it (charging it the
 * TSC cycles since it opened) and opens the next. A context switched away
 * in the middle of a segment takes its kind along and reopens it when it
 * runs again, so a blocking waitpid shows as two segments with the
 * child's in between.
 */
#ifdef OCHRE_PROF
#include "kernel.h"
#include "context.h"
#include "frame.h"
#include "prof.h"
#include "syscall_table.h"
#include "trap.h"
#include "x86.h"

enum { SEG_USER = SYS_MAX, SEG_START, SEG_KERNEL };

struct seg {
	int pid;
	unsigned what;		/* a syscall number or SEG_* */
	uint64_t a0, a2, ret;	/* the call's first and third arguments */
	uint64_t cycles;
	long frames;		/* frames allocated (-) or freed (+) */
};

#define NSEG	256
static struct seg trace[NSEG];
static int nseg;
static uint64_t dropped;	/* segments that did not fit */

static struct seg open_seg = { .what = SEG_KERNEL };
static uint64_t opened_at;
static size_t free_at_open;	/* frame_free_count() then */
static int open_slot = NCONTEXT;		/* NCONTEXT: the idle context */
static struct seg paused[NCONTEXT + 1];	/* by slot: what was open */

static int slot_of(struct context *c)
{
	int s = context_slot(c);
	return s >= 0 && s < NCONTEXT ? s : NCONTEXT;
}

/* Charges the open segment and adds it to the trace (merged with the
 * last one if it is the same call of the same pid). */
static void close_seg(void)
{
	uint64_t now = rdtsc();
	open_seg.cycles = now - opened_at;
	opened_at = now;
	size_t nfree = frame_free_count();
	open_seg.frames = (long)nfree - (long)free_at_open;
	free_at_open = nfree;
	struct seg *last = nseg ? &trace[nseg - 1] : NULL;
	if (last && last->pid == open_seg.pid && last->what == open_seg.what &&
	    last->a0 == open_seg.a0 && last->a2 == open_seg.a2) {
		last->cycles += open_seg.cycles;
		last->ret = open_seg.ret;
		last->frames += open_seg.frames;
	} else if (nseg < NSEG) {
		trace[nseg++] = open_seg;
	} else {
		dropped++;
	}
}

static void open_new(unsigned what, uint64_t a0, uint64_t a2)
{
	open_seg = (struct seg){ .pid = cur ? cur->pid : 0, .what = what,
				 .a0 = a0, .a2 = a2 };
}

void prof_syscall_enter(const struct trapframe *tf)
{
	close_seg();
	open_new(tf->rax < SYS_MAX ? (unsigned)tf->rax : SEG_KERNEL, tf->rdi,
		 tf->rdx);
}

void prof_syscall_exit(const struct trapframe *tf)
{
	open_seg.ret = tf->rax;
	close_seg();
	open_new(SEG_USER, 0, 0);
}

void prof_switch(struct context *next)
{
	close_seg();
	paused[open_slot] = open_seg;
	open_slot = slot_of(next);
	open_seg = paused[open_slot];
	if (open_seg.pid != next->pid || open_seg.what == 0)
		open_new(SEG_START, 0, 0);	/* never ran: starting */
	open_seg.cycles = 0;
}

void prof_first_return(void)
{
	close_seg();
	open_new(SEG_USER, 0, 0);
}

static const char *seg_name(unsigned what)
{
	switch (what) {
	case SEG_USER: return "user+return";
	case SEG_START: return "first switch";
	case SEG_KERNEL: return "kernel";
	default: return syscall_name(what);
	}
}

size_t prof_take(char *buf, size_t cap)
{
	close_seg();
	size_t len = 0;
	for (int i = 0; i < nseg && len + 1 < cap; i++) {
		const struct seg *s = &trace[i];
		int n = s->what < SYS_MAX ?
			snprintf(buf + len, cap - len,
				 "%d %s(%#lx, .., %#lx) = %ld  frames %+ld  %lu\n",
				 s->pid, seg_name(s->what), s->a0, s->a2,
				 (long)s->ret, s->frames, s->cycles) :
			snprintf(buf + len, cap - len, "%d %s  %lu\n", s->pid,
				 seg_name(s->what), s->cycles);
		len = MIN(cap - 1, len + (size_t)MAX(n, 0));
	}
	if (dropped && len + 1 < cap) {
		int n = snprintf(buf + len, cap - len, "dropped %lu\n", dropped);
		len = MIN(cap - 1, len + (size_t)MAX(n, 0));
	}
	nseg = 0;
	dropped = 0;
	return len;
}
#endif

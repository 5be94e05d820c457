/*
 * Lab 6: sessions, stops and the trace file. HANDOUT.md §1-§2.
 *
 * A tracee stops in exactly one place, ptrace_park(): every stop (syscall
 * entry and exit, single step, int3, signal, exit), the O_TRUNC stop and
 * the freeze of a traced parent's new child all go through it. The tracer
 * never waits for the tracee and the tracee never waits for the tracer
 * except there, so "nothing hangs" is a property of this one loop.
 */
#include "kernel.h"
#include "context.h"
#include "file.h"
#include "heap.h"
#include "procfile.h"
#include "ptrace.h"
#include "scheme.h"
#include <ochre/signal.h>

#define RFLAGS_TF	(1UL << 8)

struct ptrace_ctx ptrace_ctx[NCONTEXT];

/* Frozen clones nobody traces sleep here until released. */
static struct waitq hold_wq = WAITQ_INIT;

/* Given: the caller's registers as FXSAVE images (the kernel itself never
 * touches the FPU, so the live x87 state is the tracee's own while it
 * runs ptrace_park()). */
static void fpu_save(struct ptrace_fpregs *img)
{
	/* With CR4.OSFXSR clear the CPU may skip MXCSR and the XMM part:
	 * they must read as 0, not as old kernel stack. */
	memset(img, 0, sizeof(*img));
	__asm__ volatile("fxsave64 %0" : "=m"(*img));
}

static void fpu_load(const struct ptrace_fpregs *img)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*img));
}

/* Given: the pid in "/<pid>/<file>". */
int ptrace_parse_pid(const char *path)
{
	int pid = 0;
	if (*path++ != '/' || *path < '0' || *path > '9')
		return -ENOENT;
	while (*path >= '0' && *path <= '9') {
		if (pid > 100000000)
			return -ENOENT;
		pid = pid * 10 + (*path++ - '0');
	}
	return *path == '/' ? pid : -ENOENT;
}

int ptrace_target(int pid, struct context **out)
{
	/* BEGIN LAB6 SOLUTION: §2.1 permission */
	struct context *c = context_find(pid);
	if (!c || c->state == CTX_ZOMBIE)
		return -ESRCH;
	if (c == cur || pid == 1)
		return -EPERM;
	/* A strict descendant: an embryo has no parent yet, so it is not. */
	for (struct context *p = c->parent; p; p = p->parent) {
		if (p == cur) {
			*out = c;
			return 0;
		}
	}
	return -EPERM;
	/* END LAB6 SOLUTION */
	/* STARTER: return -EPERM; */
}

/* ---- the event queue ---- */

static void queue(struct ptrace_session *s, uint64_t cause, uint64_t a,
		  uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
	struct ptrace_event *ev = &s->ring[(s->head + s->count) % PTRACE_RING];
	*ev = (struct ptrace_event){ cause, a, b, c, d, e, f };
	s->count++;
	wakeup(&s->tracer_wq);
}

int ptrace_event(struct ptrace_session *s, uint64_t cause, uint64_t a)
{
	/* BEGIN LAB6 SOLUTION: §1.1 events */
	if (!s || !(s->flags & cause))
		return 0;
	if (s->count >= PTRACE_RING - 1)
		return -EAGAIN;		/* the last slot is for a stop */
	queue(s, cause, a, 0, 0, 0, 0, 0);
	return 0;
	/* END LAB6 SOLUTION */
	/* STARTER: return 0; */
}

/* ---- parking ---- */

/* BEGIN LAB6 SOLUTION: §1.2 parking */
/*
 * Sleeps on q until woken, with a pending signal other than SIGKILL put
 * aside: sleep_on() would return at once, and a signal must neither end
 * a stop nor be lost. It acts (or is stopped for) after the tracee runs
 * on. SIGKILL wakes us and stays visible.
 */
static void park_sleep(struct waitq *q)
{
	int pending = cur->killed;
	cur->killed = 0;
	sleep_on(q);
	if (cur->killed != SIGKILL && pending)
		cur->killed = pending;
}
/* END LAB6 SOLUTION */

uint64_t ptrace_park(void)
{
	/* BEGIN LAB6 SOLUTION: §1.2 parking */
	struct ptrace_fpregs fpu __attribute__((aligned(16)));
	bool saved = false;
	for (;;) {
		struct ptrace_session *s = pt(cur)->session;
		if (cur->killed == SIGKILL)
			break;
		if (s && pt(cur)->hold) {	/* held: now a stop like any */
			pt(cur)->hold = false;
			s->stopped = true;
			wakeup(&s->tracer_wq);
		}
		if (!pt(cur)->hold && !(s && s->stopped))
			break;
		if (s) {
			if (!saved)
				fpu_save(&fpu);
			saved = true;
			if (!s->fpu_valid)
				s->fpu = fpu;
			s->fpu_valid = true;
			s->parked = true;
		}
		park_sleep(s ? &s->tracee_wq : &hold_wq);
		/* s may be freed now (the tracer closed): look again. */
	}
	struct ptrace_session *s = pt(cur)->session;
	if (s) {
		s->parked = false;
		if (s->fpu_valid)
			fpu = s->fpu;	/* the tracer may have changed it */
		s->fpu_valid = false;
	}
	if (saved)
		fpu_load(&fpu);
	return s && cur->killed != SIGKILL ? s->flags : 0;
	/* END LAB6 SOLUTION */
	/* STARTER: return 0; */
}

uint64_t ptrace_stop(uint64_t cause, uint64_t a, uint64_t b, uint64_t c,
		     uint64_t d, uint64_t e, uint64_t f)
{
	/* BEGIN LAB6 SOLUTION: §1.2 parking */
	struct ptrace_session *s = pt(cur)->session;
	if (!s || !(s->flags & cause) || cur->killed == SIGKILL)
		return 0;
	queue(s, cause, a, b, c, d, e, f);
	s->stopped = true;
	return ptrace_park();
	/* END LAB6 SOLUTION */
	/* STARTER: return 0; */
}

/* ---- the trace file ---- */

/* Lets the clones that pred selects run on (their parent's tracer did not
 * attach to them) and forgets them. */
static void release_clones(struct ptrace_session *s, bool only_reported)
{
	int kept = 0;
	for (int i = 0; i < s->nfrozen; i++) {
		struct frozen_clone fc = s->frozen[i];
		if (only_reported && !fc.reported) {
			s->frozen[kept++] = fc;
			continue;
		}
		struct context *c = context_find(fc.pid);
		if (c && pt(c)->hold && !pt(c)->session) {
			pt(c)->hold = false;
			if (c->waiting_on == &hold_wq)
				wakeup_one(c);
		}
	}
	s->nfrozen = kept;
}

static void mark_reported(struct ptrace_session *s, uint64_t pid)
{
	for (int i = 0; i < s->nfrozen; i++)
		if ((uint64_t)s->frozen[i].pid == pid)
			s->frozen[i].reported = true;
}

static struct scheme trace_scheme;

static int trace_open(struct scheme *sch, const char *path, int flags,
		      int mode, struct file *f)
{
	/* BEGIN LAB6 SOLUTION: §2.2 open */
	struct context *c;
	int pid = ptrace_parse_pid(path);
	if (pid < 0)
		return pid;
	if ((flags & O_ACCMODE) != O_RDWR)
		return -EINVAL;
	int err = ptrace_target(pid, &c);
	if (err)
		return err;
	if (pt(c)->session)
		return -EBUSY;
	struct ptrace_session *s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tracee = c;
	s->pid = pid;
	s->excl = flags & O_EXCL;
	pt(c)->session = s;
	if (flags & O_TRUNC)
		pt(c)->hold = true;
	/* A frozen clone sleeps on hold_wq: let it turn into a stop now. */
	if (pt(c)->hold && c->waiting_on == &hold_wq)
		wakeup_one(c);
	ptrace_sessions_changed(+1);
	f->priv = s;
	return 0;
	/* END LAB6 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static int64_t trace_read(struct file *f, struct iobuf *b, uint64_t off)
{
	if (b->len < sizeof(struct ptrace_event))
		return -EINVAL;
	/* BEGIN LAB6 SOLUTION: §2.3 read */
	struct ptrace_session *s = f->priv;
	for (;;) {
		size_t n = 0;
		while (s->count && (n + 1) * sizeof(struct ptrace_event) <= b->len) {
			struct ptrace_event *ev = &s->ring[s->head];
			if (iobuf_put(b, n * sizeof(*ev), ev, sizeof(*ev)) != 0)
				return n ? (int64_t)(n * sizeof(*ev)) : -EFAULT;
			if (ev->cause == PTRACE_EVENT_CLONE)
				mark_reported(s, ev->a);
			s->head = (s->head + 1) % PTRACE_RING;
			s->count--;
			n++;
		}
		if (n)
			return (int64_t)(n * sizeof(struct ptrace_event));
		if (s->dead)
			return -ESRCH;
		/* Parked and nothing new; but a SIGKILLed tracee is only
		 * waiting to run its exit: that is worth waiting for. */
		if (s->stopped && s->tracee->killed != SIGKILL)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (sleep_on(&s->tracer_wq))
			return -EINTR;
	}
	/* END LAB6 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static int64_t trace_write(struct file *f, struct iobuf *b, uint64_t off)
{
	uint64_t w;
	if (b->len != sizeof(w))
		return -EINVAL;
	if (iobuf_get(b, 0, &w, sizeof(w)) != 0)
		return -EFAULT;
	if (w & ~PTRACE_VALID)
		return -EINVAL;
	/* BEGIN LAB6 SOLUTION: §2.4 write */
	struct ptrace_session *s = f->priv;
	if (s->dead)
		return -ESRCH;
	/* Resuming lets the tracee queue one more stop: refuse while that
	 * stop would find only the slot it is owed taken (events unread). */
	if (s->count >= PTRACE_RING - 1)
		return -EBUSY;
	release_clones(s, true);
	struct context *c = s->tracee;
	s->flags = w;
	/* TF goes out with the tracee's registers only when asked for; a
	 * withdrawn step must not leave it set (it would be a SIGTRAP). */
	if (w & PTRACE_STOP_SINGLESTEP)
		c->tf->rflags |= RFLAGS_TF;
	else
		c->tf->rflags &= ~RFLAGS_TF;
	s->stopped = false;
	pt(c)->hold = false;
	wakeup(&s->tracee_wq);
	return sizeof(w);
	/* END LAB6 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static void trace_close(struct file *f)
{
	struct ptrace_session *s = f->priv;
	/* BEGIN LAB6 SOLUTION: §2.5 close */
	struct context *c = s->tracee;
	release_clones(s, false);
	if (c) {
		if (s->excl)
			context_kill(c, SIGKILL);
		c->tf->rflags &= ~RFLAGS_TF;
		pt(c)->session = NULL;
		pt(c)->hold = false;
		wakeup(&s->tracee_wq);
	}
	ptrace_sessions_changed(-1);
	/* END LAB6 SOLUTION */
	kfree(s);
}

/* The tracee is gone: its tracer learns it (ESRCH once the queue is
 * empty); the session itself lives until the trace file is closed. */
void ptrace_tracee_gone(struct context *c)
{
	struct ptrace_session *s = pt(c)->session;
	pt(c)->hold = false;
	if (!s)
		return;
	/* BEGIN LAB6 SOLUTION: §2.6 tracee death */
	s->dead = true;
	s->stopped = false;
	s->tracee = NULL;
	pt(c)->session = NULL;
	wakeup(&s->tracer_wq);
	/* END LAB6 SOLUTION */
}

static const struct scheme_ops trace_ops = {
	.open = trace_open, .read = trace_read, .write = trace_write,
	.close = trace_close,
};
static struct scheme trace_scheme = { .name = "trace", .ops = &trace_ops,
				      .refs = 1 };
PROC_FILE(trace_scheme);

/*
 * Lab 2: process lifetime - exit, waitpid, kill - and the small syscalls
 * about the calling process. HANDOUT.md §7.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "frame.h"
#include "heap.h"
#include "syscall_table.h"
#include "timer.h"
#include "trap.h"
#include "usercopy.h"
#include <ochre/signal.h>
#include <ochre/time.h>
#include <ochre/wait.h>

#define INIT_PID	1

/* Given: the context every orphan is given to. */
static struct context *init_context(void)
{
	return context_find(INIT_PID);
}

/* BEGIN LAB2 SOLUTION: §7.1 exit helpers */

/* Hands every child of c to init, and wakes init if one already exited. */
static void reparent_children(struct context *c)
{
	struct context *init = init_context();
	bool zombie = false;
	while (c->children) {
		struct context *child = c->children;
		c->children = child->sibling;
		child->parent = init;
		child->sibling = init->children;
		init->children = child;
		zombie |= child->state == CTX_ZOMBIE;
	}
	if (zombie)
		wakeup(&init->child_exit);
}

static void unlink_child(struct context *parent, struct context *child)
{
	struct context **pp = &parent->children;
	while (*pp && *pp != child)
		pp = &(*pp)->sibling;
	if (*pp)
		*pp = child->sibling;
}

/* END LAB2 SOLUTION */

void do_exit(int status)
{
	struct context *c = cur;
	c->exit_status = status;	/* the exit hooks may read it */
	if (c->pid == INIT_PID) {
		printk("ochre: init exited with status %d; powering off\n",
		       WIFEXITED(status) ? WEXITSTATUS(status)
					 : 128 + WTERMSIG(status));
		qemu_exit(status == 0 ? EXIT_OK : EXIT_TEST_FAILED);
	}
	/* BEGIN LAB2 SOLUTION: §7.1 do_exit */
	context_run_exit_hooks(c);
	/* Off the space, and forget it, before freeing it: the destroy may
	 * give up the CPU, and schedule() brings back cur->as. */
	struct addrspace *as = c->as;
	c->as = NULL;
	addrspace_switch(NULL);
	addrspace_destroy(as);
	reparent_children(c);
	c->exit_status = status;
	c->state = CTX_ZOMBIE;
	if (c->parent)
		wakeup(&c->parent->child_exit);
	schedule();
	/* END LAB2 SOLUTION */
	panic("zombie %d was scheduled again", c->pid);
}

static int64_t sys_exit(uint64_t code)
{
	do_exit(W_EXITCODE((int)code));
}
SYSCALL(SYS_EXIT, sys_exit);

/* A child that matches the pid argument of waitpid (-1: any). */
static bool child_matches(struct context *child, int pid)
{
	return pid == -1 || child->pid == pid;
}

static int64_t sys_waitpid(uint64_t pid_arg, uint64_t status_ptr,
			   uint64_t options)
{
	int pid = (int)pid_arg;
	if ((int64_t)pid_arg != pid)	/* all 64 bits, sign-extended */
		return -EINVAL;
	if (options & ~(uint64_t)WNOHANG)
		return -EINVAL;
	if (pid == 0 || pid < -1)
		return -EINVAL;		/* process groups: not in Ochre */
	/* BEGIN LAB2 SOLUTION: §7.2 waitpid */
	for (;;) {
		bool any = false;
		for (struct context *ch = cur->children; ch; ch = ch->sibling) {
			if (!child_matches(ch, pid))
				continue;
			any = true;
			if (ch->state != CTX_ZOMBIE)
				continue;
			int status = ch->exit_status, child_pid = ch->pid;
			if (status_ptr &&
			    copyout(status_ptr, &status, sizeof(status)) != 0)
				return -EFAULT;	/* the child stays a zombie */
			unlink_child(cur, ch);
			context_free(ch);
			return child_pid;
		}
		if (!any)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		int err = sleep_on(&cur->child_exit);
		if (err)
			return err;
	}
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}
SYSCALL(SYS_WAITPID, sys_waitpid);

/* Is c an ancestor of (or the same as) d? */
static bool is_ancestor(struct context *c, struct context *d)
{
	for (; d; d = d->parent)
		if (d == c)
			return true;
	return false;
}

/* Marks c as killed by sig and makes sure it notices soon. */
void context_kill(struct context *c, int sig)
{
	/* BEGIN LAB2 SOLUTION: §7.3 context_kill */
	if (c->state == CTX_ZOMBIE || c->killed)
		return;
	c->killed = sig;
	wakeup_one(c);		/* a sleeping context wakes with -EINTR */
	/* END LAB2 SOLUTION */
}

/*
 * Permission: a process may signal itself and its descendants (Ochre has
 * no users; this keeps a test from killing the grader's init).
 */
static int64_t sys_kill(uint64_t pid, uint64_t sig)
{
	if (sig != 0 && sig != SIGKILL && sig != SIGTERM)
		return -EINVAL;
	if ((int64_t)pid <= 0 || (int64_t)pid > INT32_MAX)
		return -EINVAL;
	struct context *c = context_find((int)pid);
	if (!c)
		return -ESRCH;
	/* A later lab may own what kill means for c (lab 4: embryos). */
	int r = context_run_kill_hooks(c, (int)sig);
	if (r != KILL_DEFAULT)
		return r;
	if (!is_ancestor(cur, c) || c->pid == INIT_PID)
		return -EPERM;
	if (sig == 0)
		return 0;
	context_kill(c, (int)sig);
	return 0;
}
SYSCALL(SYS_KILL, sys_kill);

static int64_t sys_getpid(void)
{
	return cur->pid;
}
SYSCALL(SYS_GETPID, sys_getpid);

static int64_t sys_getppid(void)
{
	return cur->parent ? cur->parent->pid : 0;
}
SYSCALL(SYS_GETPPID, sys_getppid);

static int64_t sys_yield(void)
{
	yield();
	return 0;
}
SYSCALL(SYS_YIELD, sys_yield);

static int64_t sys_nanosleep(uint64_t req_ptr)
{
	struct timespec ts;
	if (copyin(&ts, req_ptr, sizeof(ts)) != 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	/* Round up: sleep at least as long as asked. */
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000UL + (uint64_t)ts.tv_nsec;
	uint64_t ticks = (ns + NS_PER_TICK - 1) / NS_PER_TICK;
	if (ts.tv_sec > 1000000000L)
		return -EINVAL;		/* more than 30 years */
	return sleep_until(timer_ticks() + ticks + 1);
}
SYSCALL(SYS_NANOSLEEP, sys_nanosleep);

static int64_t sys_clock(void)
{
	return (int64_t)timer_ns();
}
SYSCALL(SYS_CLOCK, sys_clock);

static int64_t sys_meminfo(uint64_t ptr)
{
	struct heap_stats hs;
	heap_get_stats(&hs);
	struct ochre_meminfo mi = {
		.free_frames = frame_free_count(),
		.total_frames = frame_usable_count(),
		.heap_live = hs.live_allocs,
		.contexts = (unsigned long)context_count(),
		.heap_pages = hs.pages_mapped,
	};
	return copyout(ptr, &mi, sizeof(mi));
}
SYSCALL(SYS_MEMINFO, sys_meminfo);

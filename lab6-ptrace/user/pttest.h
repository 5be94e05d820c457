/*
 * Helpers shared by lab 6's tracing tests: raw proc: files, no libc
 * <ptrace.h> (the tests check the kernel, not the wrappers).
 */
#ifndef PTTEST_H
#define PTTEST_H

#include "utest.h"
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/ptrace.h>
#include <ochre/signal.h>
#include <ochre/syscall.h>

#define EV_SIZE	((long)sizeof(struct ptrace_event))

/* A child that waits for one byte on go[0] (so the test can attach
 * first), then runs body (if any) and exits 0. */
static inline long pt_spawn(int go[2], void (*body)(void))
{
	CHECK_EQ(pipe(go), 0);
	long pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		read(go[0], &c, 1);
		if (body)
			body();
		_exit(0);
	}
	return pid;
}

static inline int pt_open(long pid, const char *file, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "proc:%ld/%s", pid, file);
	return open(path, flags);
}

static inline void pt_resume(int tfd, uint64_t w)
{
	CHECK_EQ(write(tfd, &w, sizeof(w)), sizeof(w));
}

/* The next stop event (EVENT_CLONE events go to *clone if non-NULL). */
static inline struct ptrace_event pt_next(int tfd, long *clone)
{
	struct ptrace_event ev;
	for (;;) {
		long n = read(tfd, &ev, sizeof(ev));
		CHECK_EQ(n, EV_SIZE);
		if (ev.cause == PTRACE_EVENT_CLONE && clone) {
			*clone = (long)ev.a;
			continue;
		}
		if (ev.cause & PTRACE_STOP_MASK)
			return ev;
	}
}

/* Resume with w, then the next stop, which must have cause want. */
static inline struct ptrace_event pt_step(int tfd, uint64_t w, uint64_t want,
					  long *clone)
{
	pt_resume(tfd, w);
	struct ptrace_event ev = pt_next(tfd, clone);
	if (ev.cause != want)
		printf("%s: got event cause %#lx a %#lx, expected cause %#lx\n",
		       utest_name, (unsigned long)ev.cause,
		       (unsigned long)ev.a, (unsigned long)want);
	CHECK_EQ(ev.cause, want);
	return ev;
}

/* Runs the tracee to the PRE stop of system call nr. */
static inline struct ptrace_event pt_to_pre(int tfd, uint64_t nr,
					    uint64_t extra, long *clone)
{
	for (;;) {
		struct ptrace_event ev = pt_step(tfd, PTRACE_STOP_PRE_SYSCALL |
						 extra, PTRACE_STOP_PRE_SYSCALL,
						 clone);
		if (ev.a == nr)
			return ev;
	}
}

static inline struct ptrace_regs pt_regs(long pid)
{
	struct ptrace_regs r;
	int fd = pt_open(pid, "regs/int", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, &r, sizeof(r)), sizeof(r));
	close(fd);
	return r;
}

static inline void pt_setregs(long pid, const struct ptrace_regs *r)
{
	int fd = pt_open(pid, "regs/int", O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, r, sizeof(*r)), sizeof(*r));
	close(fd);
}

/* A raw system call with no libc code around it. */
static inline long raw_syscall1(long nr, long a)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a)
			 : "rcx", "r11", "memory");
	return ret;
}

#define STEP_OK(n, what) printf("%s: step %d %s: ok\n", utest_name, n, what)

#endif

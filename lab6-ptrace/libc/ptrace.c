/*
 * <ptrace.h>: tracing through the files of the proc: scheme (lab 6). The
 * kernel does the work; these are one or two system calls each, so that
 * tracers (strace, acidtrace, tracebench) say what they mean.
 */
#include <errno.h>
#include <fcntl.h>
#include <ptrace.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A tracer's handles must not leak into the programs it starts. */
#define HANDLE_FLAGS	(O_CLOEXEC | O_CLOFORK)

int ptrace_open(pid_t pid, const char *file, int oflags)
{
	char path[64];
	if (snprintf(path, sizeof(path), "proc:/%d/%s", pid, file) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, oflags | HANDLE_FLAGS);
}

int ptrace_attach(pid_t pid, int oflags)
{
	return ptrace_open(pid, "trace", O_RDWR | oflags);
}

int ptrace_resume(int tfd, uint64_t request)
{
	ssize_t r = write(tfd, &request, sizeof(request));
	if (r < 0)
		return -1;
	if (r != sizeof(request)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

ssize_t ptrace_events(int tfd, struct ptrace_event *ev, size_t max)
{
	ssize_t r = read(tfd, ev, max * sizeof(*ev));
	if (r < 0)
		return -1;
	if (r % sizeof(*ev)) {
		errno = EIO;
		return -1;
	}
	return r / (ssize_t)sizeof(*ev);
}

int ptrace_wait_stop(int tfd, struct ptrace_event *stop,
		     void (*on_event)(const struct ptrace_event *, void *),
		     void *arg)
{
	struct ptrace_event ev[8];
	for (;;) {
		ssize_t n = ptrace_events(tfd, ev, 8);
		if (n < 0)
			return -1;
		/* 0: parked with nothing new. The stop was read by someone
		 * else (or never armed): read again would say 0 forever. */
		if (n == 0) {
			errno = EAGAIN;
			return -1;
		}
		/* A stop parks the tracee, so it is the last event queued. */
		for (ssize_t i = 0; i < n; i++) {
			if (ev[i].cause & PTRACE_STOP_MASK) {
				*stop = ev[i];
				return 0;
			}
			if (on_event)
				on_event(&ev[i], arg);
		}
	}
}

int ptrace_next(int tfd, uint64_t request, struct ptrace_event *stop,
		void (*on_event)(const struct ptrace_event *, void *), void *arg)
{
	if (ptrace_resume(tfd, request) < 0)
		return -1;
	return ptrace_wait_stop(tfd, stop, on_event, arg);
}

/* read/write exactly n bytes of a register file. */
static int regs_io(int fd, void *buf, size_t n, int writing)
{
	ssize_t r = writing ? write(fd, buf, n) : read(fd, buf, n);
	if (r < 0)
		return -1;
	if ((size_t)r != n) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int ptrace_getregs(int rfd, struct ptrace_regs *regs)
{
	return regs_io(rfd, regs, sizeof(*regs), 0);
}

int ptrace_setregs(int rfd, const struct ptrace_regs *regs)
{
	return regs_io(rfd, (void *)regs, sizeof(*regs), 1);
}

int ptrace_getfpregs(int ffd, struct ptrace_fpregs *fp)
{
	return regs_io(ffd, fp, sizeof(*fp), 0);
}

int ptrace_setfpregs(int ffd, const struct ptrace_fpregs *fp)
{
	return regs_io(ffd, (void *)fp, sizeof(*fp), 1);
}

ssize_t ptrace_peek(int mfd, uint64_t va, void *buf, size_t n)
{
	if (lseek(mfd, (off_t)va, SEEK_SET) < 0)
		return -1;
	return read(mfd, buf, n);
}

ssize_t ptrace_poke(int mfd, uint64_t va, const void *buf, size_t n)
{
	if (lseek(mfd, (off_t)va, SEEK_SET) < 0)
		return -1;
	return write(mfd, buf, n);
}

ssize_t ptrace_peekstr(int mfd, uint64_t va, char *buf, size_t size)
{
	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	/* A string may end just before an unmapped page: read what is
	 * there (a short count), then look for the NUL. */
	ssize_t n = ptrace_peek(mfd, va, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (ssize_t)strnlen(buf, (size_t)n);
}

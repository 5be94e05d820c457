/*
 * Tracing from user space (lab 6): thin wrappers over the files of
 * <ochre/ptrace.h>. Every function returns -1 and sets errno on failure,
 * like the rest of libc; the errnos are the kernel's (HANDOUT.md §1.2).
 *
 * A session is a file descriptor of proc:/<pid>/trace. The usual loop:
 *
 *	int t = ptrace_attach(pid, O_TRUNC);		// attach and stop
 *	struct ptrace_event stop;
 *	while (ptrace_next(t, PTRACE_STOP_PRE_SYSCALL, &stop, NULL, NULL) == 0)
 *		printf("syscall %lu\n", PTRACE_EV_NR(&stop));
 *	// errno == ESRCH: the tracee is gone
 *
 * The handles are O_CLOEXEC | O_CLOFORK, so a traced program never
 * inherits its tracer's handles.
 */
#ifndef _PTRACE_H
#define _PTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <ochre/fcntl.h>
#include <ochre/ptrace.h>

/* proc:/<pid>/trace, O_RDWR plus oflags (O_TRUNC, O_EXCL, O_NONBLOCK). */
int ptrace_attach(pid_t pid, int oflags);

/* proc:/<pid>/<file> ("regs/int", "regs/float", "mem") with oflags. */
int ptrace_open(pid_t pid, const char *file, int oflags);

/* One request word: arms the next stops and resumes the tracee. */
int ptrace_resume(int tfd, uint64_t request);

/*
 * Reads up to max queued events. Returns how many (0: the tracee is
 * parked at a stop and nothing is new), or -1: EAGAIN (O_NONBLOCK and
 * nothing yet), EINTR, ESRCH (the tracee is gone, every event read).
 */
ssize_t ptrace_events(int tfd, struct ptrace_event *ev, size_t max);

/*
 * Resumes with `request`, then waits for the next STOP-class event and
 * stores it in *stop. Each EVENT-class event read on the way (a clone, an
 * exec) goes to on_event(ev, arg) if on_event is not NULL. Returns 0, or
 * -1 with errno: ESRCH, the tracee is gone; EAGAIN, nothing to wait for
 * (an O_NONBLOCK session with no stop yet: call ptrace_wait_stop() later;
 * or the tracee is parked at a stop whose event was already read).
 */
int ptrace_next(int tfd, uint64_t request, struct ptrace_event *stop,
		void (*on_event)(const struct ptrace_event *, void *), void *arg);

/* ptrace_next without the resume: waits for the stop already armed. */
int ptrace_wait_stop(int tfd, struct ptrace_event *stop,
		     void (*on_event)(const struct ptrace_event *, void *),
		     void *arg);

/* Registers, through fds of "regs/int" and "regs/float" (tracee stopped,
 * else EBUSY). */
int ptrace_getregs(int rfd, struct ptrace_regs *regs);
int ptrace_setregs(int rfd, const struct ptrace_regs *regs);
int ptrace_getfpregs(int ffd, struct ptrace_fpregs *fp);
int ptrace_setfpregs(int ffd, const struct ptrace_fpregs *fp);

/*
 * Memory, through an fd of "mem": n bytes at the tracee's virtual address
 * va. Returns the bytes moved, fewer if a later page is unmapped; -1 with
 * EFAULT if the first byte is not mapped. Pokes reach read-only text.
 */
ssize_t ptrace_peek(int mfd, uint64_t va, void *buf, size_t n);
ssize_t ptrace_poke(int mfd, uint64_t va, const void *buf, size_t n);

/* A NUL-terminated string at va, at most size-1 bytes; returns its length
 * (size-1 if truncated), or -1. */
ssize_t ptrace_peekstr(int mfd, uint64_t va, char *buf, size_t size);

#endif

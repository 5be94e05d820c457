/*
 * A tiny test harness for user-level test programs. A test prints its
 * progress, and ends with "<name>: OK" and exit status 0; any failed CHECK
 * prints "<name>: FAIL file:line: what" and exits 1. The grader boots with
 * init=<name> and reads those lines (the kernel powers off when init exits
 * and passes its status on). The first FAIL line of any process ends the
 * test, so a child or daemon renames itself (utest_name = "x (child)") and
 * reports its own failures; values print named, errno with its name, large
 * numbers in hex too.
 */
#ifndef UTEST_H
#define UTEST_H

#include <errno.h>
#include <fcntl.h>
#include <ochre/signal.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syscall.h>
#include <unistd.h>

static const char *utest_name = "test";

/* errno's name ("ENOMEM"), or "E?" for a number without one. */
static inline const char *utest_errname(int e)
{
	return e == 0 ? "none" : errno_name(e);
}

/*
 * A value as a student reads it best: small numbers in decimal, anything
 * that looks like an address or a bit pattern in hex too. Returns buf.
 */
static inline const char *utest_val(char buf[48], long v)
{
	char tmp[24];
	int n = 0, i = 0;
	unsigned long u = v < 0 ? 0 - (unsigned long)v : (unsigned long)v;
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		buf[i++] = '-';
	while (n > 0)
		buf[i++] = tmp[--n];
	if (v <= -4096 || v >= 65536) {
		u = (unsigned long)v;
		do
			tmp[n++] = "0123456789abcdef"[u % 16];
		while ((u /= 16) != 0);
		memcpy(buf + i, " (0x", 4);
		i += 4;
		while (n > 0)
			buf[i++] = tmp[--n];
		buf[i++] = ')';
	}
	buf[i] = '\0';
	return buf;
}

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			int _e = errno;                                    \
			printf("%s: FAIL %s:%d: %s (errno %d %s: %s)\n",   \
			       utest_name, __FILE__, __LINE__, #cond, _e,  \
			       utest_errname(_e), strerror(_e));           \
			exit(1);                                           \
		}                                                          \
	} while (0)

static inline void utest_check_eq(const char *file, int line, const char *a,
				  const char *b, long got, long want, int e)
{
	char ga[48], gb[48];
	if (got == want)
		return;
	printf("%s: FAIL %s:%d: %s == %s: got %s, expected %s (errno %d %s)\n",
	       utest_name, file, line, a, b, utest_val(ga, got),
	       utest_val(gb, want), e, utest_errname(e));
	exit(1);
}

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		long _a = (long)(a), _b = (long)(b);                       \
		utest_check_eq(__FILE__, __LINE__, #a, #b, _a, _b, errno); \
	} while (0)

/*
 * A call that a kernel bug can block forever (a read that should see end
 * of file, a client whose request was lost). A watchdog child sleeps ms of
 * guest time (an idle guest's clock jumps ahead, so a hang costs little
 * real time); if the call has not returned by then, the watchdog prints
 * this check's FAIL line, which ends the test: the headline names the
 * check, not a TIMEOUT. The watchdog closes every fd but 0-2 first, so it
 * never holds a pipe end that the call waits on.
 */
static inline pid_t utest_watch(const char *file, int line, const char *what,
				long ms)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int fd = 3; fd < OCHRE_OPEN_MAX; fd++)
			close(fd);
		usleep((unsigned long)ms * 1000);
		printf("%s: FAIL %s:%d: %s: still blocked after %ld ms\n",
		       utest_name, file, line, what, ms);
		_exit(1);
	}
	return pid;
}

static inline void utest_unwatch(pid_t watchdog)
{
	int e = errno;
	if (watchdog > 0) {
		kill(watchdog, SIGKILL);
		waitpid(watchdog, NULL, 0);
	}
	errno = e;
}

#define UTEST_SOON_MS	5000

/* CHECK_ERR for a call that must return soon (see utest_watch). */
#define CHECK_ERR_SOON(call, e)                                            \
	do {                                                               \
		pid_t _w = utest_watch(__FILE__, __LINE__, #call,          \
				       UTEST_SOON_MS);                     \
		errno = 0;                                                 \
		long _r = (long)(call);                                    \
		int _e = errno;                                            \
		utest_unwatch(_w);                                         \
		utest_check_err(__FILE__, __LINE__, #call, _r, _e, (e));   \
	} while (0)

/* CHECK_EQ for a call that must return soon (see utest_watch). */
#define CHECK_EQ_SOON(a, b)                                                \
	do {                                                               \
		pid_t _w = utest_watch(__FILE__, __LINE__, #a,             \
				       UTEST_SOON_MS);                     \
		long _a = (long)(a);                                       \
		int _e = errno;                                            \
		utest_unwatch(_w);                                         \
		utest_check_eq(__FILE__, __LINE__, #a, #b, _a, (long)(b),  \
			       _e);                                        \
	} while (0)

/* A register, address or bit pattern: named, in hex. */
#define CHECK_HEX(name, got, want)                                         \
	do {                                                               \
		unsigned long _g = (unsigned long)(got),                   \
			      _w = (unsigned long)(want);                  \
		if (_g != _w) {                                            \
			printf("%s: FAIL %s:%d: %s: got %#018lx, "         \
			       "want %#018lx\n", utest_name, __FILE__,     \
			       __LINE__, (name), _g, _w);                  \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* A syscall that must fail with errno e. */
static inline void utest_check_err(const char *file, int line, const char *call,
				   long r, int e, int want)
{
	if (r == -1 && e == want)
		return;
	printf("%s: FAIL %s:%d: %s: got %ld errno %d %s (%s), expected -1 "
	       "errno %d %s (%s)\n", utest_name, file, line, call, r, e,
	       utest_errname(e), strerror(e), want, utest_errname(want),
	       strerror(want));
	exit(1);
}

#define CHECK_ERR(call, e)                                                 \
	do {                                                               \
		errno = 0;                                                 \
		long _r = (long)(call);                                    \
		utest_check_err(__FILE__, __LINE__, #call, _r, errno, (e)); \
	} while (0)

/* A signal's name ("SIGSEGV"), or "SIG?". */
static inline const char *utest_signame(int sig)
{
	switch (sig) {
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGTERM: return "SIGTERM";
	default: return "SIG?";
	}
}

/*
 * Reads the n bytes child pid writes to fd. The caller has closed its own
 * copy of the pipe's write end, so if the child dies first the read gets
 * end of file, and this fails saying how the child ended: a parent never
 * waits forever for a child that can no longer write.
 */
#define CHECK_READ_CHILD(fd, buf, n, pid)                                  \
	utest_read_child(__FILE__, __LINE__, (fd), (buf), (n), (pid))

static inline void utest_read_child(const char *file, int line, int fd,
				    void *buf, size_t n, pid_t pid)
{
	ssize_t r = read(fd, buf, n);
	int e = errno, status = 0;
	if (r == (ssize_t)n)
		return;
	if (r == 0 && waitpid(pid, &status, 0) == pid) {
		if (WIFSIGNALED(status))
			printf("%s: FAIL %s:%d: child %d was killed by signal "
			       "%d (%s) before it wrote (the kernel's report "
			       "is above)\n", utest_name, file, line, (int)pid,
			       WTERMSIG(status), utest_signame(WTERMSIG(status)));
		else
			printf("%s: FAIL %s:%d: child %d exited with status %d "
			       "before it wrote\n", utest_name, file, line,
			       (int)pid, WEXITSTATUS(status));
	} else {
		printf("%s: FAIL %s:%d: read from child %d: got %ld, want %lu "
		       "(errno %d %s)\n", utest_name, file, line, (int)pid,
		       (long)r, (unsigned long)n, e, utest_errname(e));
	}
	exit(1);
}

/*
 * Children this process already had when the test began. From lab 5 on,
 * pid 1 always has one: bootstrap's initfs daemon, which serves initfs:
 * and never exits. Tests that wait for "all children", expect ECHILD, or
 * kill "everyone else" leave these out (utest_wait, utest_inherited).
 */
#define UTEST_MAX_INHERITED 4
static int utest_inherited_pids[UTEST_MAX_INHERITED], utest_ninherited;

static inline int utest_inherited(int pid)
{
	for (int i = 0; i < utest_ninherited; i++)
		if (utest_inherited_pids[i] == pid)
			return 1;
	return 0;
}

/* Our living children but the inherited ones, from sys:/contexts (lab 3;
 * before it there is nothing to inherit). Up to max pids go to out. */
static inline int utest_children(int *out, int max)
{
	/* Raw system calls: lab 2's libc has no open() yet (ENOSYS there). */
	static char buf[8192];
	int fd = (int)syscall2(SYS_OPEN, "sys:/contexts", O_RDONLY), n = 0,
	    len = 0, r;
	if (fd < 0)
		return 0;
	while (len < (int)sizeof(buf) - 1 &&
	       (r = (int)syscall3(SYS_READ, fd, buf + len,
				  sizeof(buf) - 1 - len)) > 0)
		len += r;
	syscall1(SYS_CLOSE, fd);
	buf[len] = '\0';
	for (char *p = strchr(buf, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		char *q;
		int pid = (int)strtol(p + 1, &q, 10);
		int ppid = (int)strtol(q, &q, 10);
		if (ppid != getpid() || utest_inherited(pid) ||
		    strncmp(q, " zombie", 7) == 0)
			continue;
		if (n < max)
			out[n] = pid;
		n++;
	}
	return n;
}

/* waitpid(-1, status, options) as if the inherited children did not
 * exist: -1 and ECHILD when only they are left. */
static inline int utest_wait(int *status, int options)
{
	if (utest_ninherited == 0)
		return waitpid(-1, status, options);
	int r = waitpid(-1, status, WNOHANG);
	if (r != 0)
		return r;
	if (utest_children(NULL, 0) == 0) {
		errno = ECHILD;
		return -1;
	}
	return options & WNOHANG ? 0 : waitpid(-1, status, options);
}

/*
 * meminfo() once every scheme daemon has answered what was sent to it.
 * A close() to a daemon is sent without waiting (lab 3), and the kernel
 * frees that request when the daemon answers, maybe after we measure; an
 * unlink is answered before it returns, and the initfs daemon (lab 5)
 * answers in order, so the closes before it are done too.
 */
static inline int utest_meminfo(struct ochre_meminfo *m)
{
	syscall1(SYS_UNLINK, "initfs:/");	/* read-only: EROFS, no change */
	return meminfo(m);
}

static inline void utest_begin(const char *name)
{
	utest_name = name;
	printf("%s: start\n", name);
	utest_ninherited = utest_children(utest_inherited_pids,
					  UTEST_MAX_INHERITED);
	if (utest_ninherited > UTEST_MAX_INHERITED)
		utest_ninherited = UTEST_MAX_INHERITED;
}

static inline void __attribute__((noreturn)) utest_ok(void)
{
	printf("%s: OK\n", utest_name);
	exit(0);
}

/*
 * Starts a scheme daemon in a child process and waits until it is ready:
 * daemon_main(ready_fd) registers its scheme, writes one byte to ready_fd,
 * and serves (it never returns). Returns the daemon's pid.
 */
static inline pid_t utest_start_daemon(void (*daemon_main)(int ready_fd))
{
	int ready[2];
	char c;
	CHECK_EQ(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		daemon_main(ready[1]);
		_exit(1);
	}
	CHECK(pid > 0);
	CHECK_EQ(close(ready[1]), 0);
	CHECK_EQ(read(ready[0], &c, 1), 1);	/* the daemon is serving */
	CHECK_EQ(close(ready[0]), 0);
	return pid;
}

/*
 * Reads the whole file at path (until end of file, whatever its size says)
 * into a malloc'ed buffer with a NUL after the data; *len gets the length.
 */
static inline char *utest_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	size_t size = 4096, got = 0;
	char *data = malloc(size);
	CHECK(data);
	ssize_t n;
	while ((n = read(fd, data + got, size - 1 - got)) > 0) {
		got += (size_t)n;
		if (got == size - 1) {
			size *= 2;
			data = realloc(data, size);
			CHECK(data);
		}
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(close(fd), 0);
	data[got] = '\0';
	*len = got;
	return data;
}

#endif

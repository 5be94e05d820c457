/*
 * A tiny test harness for user-level test programs. A test prints its
 * progress, and ends with "<name>: OK" and exit status 0; any failed CHECK
 * prints "<name>: FAIL file:line: what" and exits 1. The grader boots with
 * init=<name> and reads those lines (the kernel powers off when init exits
 * and passes its status on).
 */
#ifndef UTEST_H
#define UTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *utest_name = "test";

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			printf("%s: FAIL %s:%d: %s (errno %d: %s)\n",      \
			       utest_name, __FILE__, __LINE__, #cond, errno, \
			       strerror(errno));                           \
			exit(1);                                           \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		long _a = (long)(a), _b = (long)(b);                       \
		if (_a != _b) {                                            \
			printf("%s: FAIL %s:%d: %s == %s: got %ld, "       \
			       "expected %ld (errno %d)\n", utest_name,    \
			       __FILE__, __LINE__, #a, #b, _a, _b, errno); \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* A syscall that must fail with errno e. */
#define CHECK_ERR(call, e)                                                 \
	do {                                                               \
		errno = 0;                                                 \
		long _r = (long)(call);                                    \
		if (_r != -1 || errno != (e)) {                            \
			printf("%s: FAIL %s:%d: %s: got %ld errno %d (%s),"\
			       " expected -1 errno %d (%s)\n", utest_name, \
			       __FILE__, __LINE__, #call, _r, errno,       \
			       strerror(errno), (e), strerror(e));         \
			exit(1);                                           \
		}                                                          \
	} while (0)

static inline void utest_begin(const char *name)
{
	utest_name = name;
	printf("%s: start\n", name);
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

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif

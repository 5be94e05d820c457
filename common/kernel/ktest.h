/*
 * In-kernel tests. A test is a function declared with KTEST(name); the
 * linker collects them (section .ktests.<name>, sorted by name). Booting
 * with ktest=NAME runs one, ktest=all runs every test; the result is printed
 * as "KTEST name: PASS" or "KTEST name: FAIL file:line: why" and QEMU exits
 * with a status the grader checks (see enum exit_code).
 *
 *     KTEST(frames_basic)
 *     {
 *             physaddr_t pa = frame_alloc();
 *             KT_ASSERT(pa != 0);
 *             KT_ASSERT_EQ(frame_free(pa), 0);
 *     }
 *
 * The assertion macros return from the test on failure, so a test should
 * not hold anything that must be released; leaking in a failing test is fine
 * (the machine is thrown away).
 */
#ifndef OCHRE_KTEST_H
#define OCHRE_KTEST_H

#include "types.h"

struct ktest {
	const char *name;
	void (*fn)(void);
	bool only_by_name;	/* skipped by ktest=all (e.g. it must crash) */
};

#define KTEST_DEFINE(name, by_name)                                      \
	static void ktest_##name(void);                                  \
	static const struct ktest __ktest_##name __used                  \
		__section(".ktests." #name) __aligned(8) = {             \
			#name, ktest_##name, by_name };                  \
	static void ktest_##name(void)

#define KTEST(name)		KTEST_DEFINE(name, false)
/* A test that ends the boot on purpose (a fault): ktest=all skips it. */
#define KTEST_BY_NAME(name)	KTEST_DEFINE(name, true)

void ktest_fail(const char *file, int line, const char *fmt, ...)
	__printf(3, 4);
void ktest_fail_eq(const char *file, int line, const char *a, const char *b,
		   long long got, long long want);
void ktest_main(const char *which) __noreturn;
uint64_t ktest_rand(void);	/* deterministic; seeded by seed= */

#define KT_FAIL(...)                                                     \
	do {                                                             \
		ktest_fail(__FILE__, __LINE__, __VA_ARGS__);             \
		return;                                                  \
	} while (0)

#define KT_ASSERT(cond)                                                  \
	do {                                                             \
		if (!(cond))                                             \
			KT_FAIL("assertion failed: %s", #cond);          \
	} while (0)

/* Both values in decimal and hex, and an errno's name (-2 is -ENOENT). */
#define KT_ASSERT_EQ(a, b)                                               \
	do {                                                             \
		long long _a = (long long)(a), _b = (long long)(b);      \
		if (_a != _b) {                                          \
			ktest_fail_eq(__FILE__, __LINE__, #a, #b, _a, _b); \
			return;                                          \
		}                                                        \
	} while (0)

#endif

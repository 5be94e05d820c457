/*
 * nanosleep sleeps at least as long as asked and not much longer, and a
 * sleeping process does not take the CPU from others.
 */
#include "utest.h"
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t ms_since(uint64_t start)
{
	return (clock_ns() - start) / 1000000;
}

int main(void)
{
	utest_begin("sleeptest");
	static const long waits_ms[] = { 1, 30, 120 };
	for (unsigned i = 0; i < sizeof(waits_ms) / sizeof(waits_ms[0]); i++) {
		struct timespec ts = { 0, waits_ms[i] * 1000000 };
		uint64_t t0 = clock_ns();
		CHECK_EQ(nanosleep(&ts, NULL), 0);
		uint64_t slept = ms_since(t0);
		printf("sleeptest: asked %ld ms, slept %lu ms\n", waits_ms[i],
		       (unsigned long)slept);
		CHECK(slept >= (uint64_t)waits_ms[i]);
		CHECK(slept <= (uint64_t)waits_ms[i] + 1000);	/* generous */
	}

	/* Two sleepers wake in deadline order, whatever order they slept in. */
	pid_t late = fork();
	if (late == 0) {
		usleep(150000);
		printf("sleeptest: late child awake\n");
		_exit(2);
	}
	pid_t early = fork();
	if (early == 0) {
		usleep(50000);
		printf("sleeptest: early child awake\n");
		_exit(1);
	}
	int status;
	CHECK_EQ(wait(&status), early);
	CHECK_EQ(wait(&status), late);

	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
	bad.tv_nsec = -1;
	CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
	CHECK_ERR(nanosleep((struct timespec *)0xffffffff80000000UL, NULL), EFAULT);
	CHECK_ERR(nanosleep(NULL, NULL), EFAULT);
	utest_ok();
}

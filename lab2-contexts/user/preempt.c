/*
 * Two CPU-bound children that never yield or make syscalls while they
 * spin: both must make progress, which only a timer-driven scheduler
 * allows. Each child reports five steps; the test passes if the second
 * child's first step comes before the first child's last step.
 */
#include "utest.h"
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

static void spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
}

/* A step is 300,000 turns of the loop, about 1.8 million instructions:
 * three time slices of the grader's QEMU (10 ticks of 62,500
 * instructions), so a timer-driven scheduler interleaves the two
 * children's steps, and one without preemption runs A's five first. */
static void runner(char name)
{
	for (int step = 0; step < 5; step++) {
		spin(300000);
		printf("preempt: %c step %d\n", name, step);
	}
	_exit(0);
}

int main(void)
{
	utest_begin("preempt");
	pid_t a = fork();
	CHECK(a >= 0);
	if (a == 0)
		runner('A');
	pid_t b = fork();
	CHECK(b >= 0);
	if (b == 0)
		runner('B');
	int status;
	CHECK_EQ(waitpid(a, &status, 0), a);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(waitpid(b, &status, 0), b);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	utest_ok();
}

/*
 * yield() must run someone else at once. The child needs the CPU for a
 * moment; the parent yields a few times and must find it finished, long
 * before a timer tick could have forced a switch.
 */
#include "utest.h"
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	utest_begin("yieldtest");
	CHECK_EQ(sched_yield(), 0);	/* alone: returns at once */
	for (int round = 0; round < 20; round++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(round);
		int status = -1, yields = 0;
		pid_t got = 0;
		while (yields < 4 && (got = waitpid(pid, &status, WNOHANG)) == 0) {
			sched_yield();
			yields++;
		}
		if (got != pid)
			printf("yieldtest: child %d still not done after %d "
			       "yields\n", pid, yields);
		CHECK_EQ(got, pid);
		CHECK_EQ(WEXITSTATUS(status), round);
	}
	utest_ok();
}

/*
 * kill: SIGTERM and SIGKILL end a process (running, sleeping or blocked in
 * waitpid), the parent sees the signal in waitpid, and a process may only
 * signal itself and its descendants.
 */
#include "utest.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long counter;

int main(void)
{
	utest_begin("killtest");
	int status;

	/* A spinning child. */
	pid_t spinner = fork();
	if (spinner == 0)
		for (;;)
			counter++;
	CHECK_EQ(kill(spinner, 0), 0);		/* exists */
	CHECK_EQ(kill(spinner, SIGTERM), 0);
	CHECK_EQ(waitpid(spinner, &status, 0), spinner);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK_ERR(kill(spinner, 0), ESRCH);	/* gone */

	/* A sleeping child. Its sleep is just longer than the 5 s the kill
	 * may take: an idle guest's clock jumps from tick to tick, yet QEMU
	 * still works through every tick (a 100 s sleep cost 12 s of host
	 * CPU when a kill did not wake it). */
	pid_t sleeper = fork();
	if (sleeper == 0) {
		sleep(6);
		_exit(1);
	}
	usleep(10000);
	uint64_t t0 = clock_ns();
	CHECK_EQ(kill(sleeper, SIGKILL), 0);
	CHECK_EQ(waitpid(sleeper, &status, 0), sleeper);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Woken by the kill, not by the end of its 6 s (guest time). */
	long waited_ms = (long)((clock_ns() - t0) / 1000000);
	if (waited_ms >= 5000) {
		printf("killtest: FAIL %s:%d: waitpid for the killed sleeper "
		       "took %ld ms: the kill did not wake it\n", __FILE__,
		       __LINE__, waited_ms);
		exit(1);
	}

	/* A child blocked in waitpid on its own child; the grandchild lives
	 * on and is adopted by init (us). */
	pid_t waiter = fork();
	if (waiter == 0) {
		pid_t g = fork();
		if (g == 0) {
			usleep(50000);
			_exit(4);
		}
		waitpid(g, NULL, 0);
		_exit(1);
	}
	usleep(10000);
	CHECK_EQ(kill(waiter, SIGKILL), 0);
	CHECK_EQ(waitpid(waiter, &status, 0), waiter);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(wait(&status) > 0);		/* the adopted grandchild */
	CHECK_EQ(WEXITSTATUS(status), 4);

	/* Permission: a child may not signal its parent or a sibling. */
	pid_t sib = fork();
	if (sib == 0) {
		sleep(100);
		_exit(1);
	}
	pid_t rebel = fork();
	if (rebel == 0) {
		int ok = kill(getppid(), SIGKILL) == -1 && errno == EPERM &&
			 kill(sib, SIGKILL) == -1 && errno == EPERM &&
			 kill(getpid(), 0) == 0;
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(waitpid(rebel, &status, 0), rebel);
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(kill(sib, SIGKILL), 0);
	CHECK_EQ(waitpid(sib, &status, 0), sib);

	/* Killing yourself works too. */
	pid_t self = fork();
	if (self == 0) {
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	CHECK_EQ(waitpid(self, &status, 0), self);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	utest_ok();
}

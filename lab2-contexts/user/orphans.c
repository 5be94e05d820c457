/*
 * A parent that exits before its children: the children are given to
 * init (pid 1, this test), which must be able to reap them.
 */
#include "utest.h"
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	utest_begin("orphans");
	CHECK_EQ(getpid(), 1);
	pid_t parent = fork();
	CHECK(parent >= 0);
	if (parent == 0) {
		for (int i = 0; i < 3; i++) {
			if (fork() == 0) {
				usleep(30000 + 20000 * (unsigned)i);
				/* Our parent is gone: init adopted us. */
				_exit(getppid() == 1 ? 40 + i : 99);
			}
		}
		if (fork() == 0)
			_exit(50);		/* exits at once: a zombie orphan */
		usleep(10000);
		_exit(7);			/* leave without waiting */
	}
	int status, seen = 0, sum = 0;
	CHECK_EQ(waitpid(parent, &status, 0), parent);
	CHECK_EQ(WEXITSTATUS(status), 7);
	pid_t pid;
	while ((pid = utest_wait(&status, 0)) > 0) {
		CHECK(WIFEXITED(status));
		CHECK(WEXITSTATUS(status) != 99);
		printf("orphans: reaped pid %d, status %d\n", pid,
		       WEXITSTATUS(status));
		seen++;
		sum += WEXITSTATUS(status);
	}
	CHECK_EQ(errno, ECHILD);
	CHECK_EQ(seen, 4);
	CHECK_EQ(sum, 40 + 41 + 42 + 50);
	utest_ok();
}

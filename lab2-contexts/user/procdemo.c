/*
 * A short demonstration of processes: three children print and sleep, the
 * parent waits for them. In lab 2 it is also what "init" runs (there is no
 * shell before lab 3). Boot another program with
 * `make qemu CMDLINE='init=forktree'`.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(int n)
{
	for (int i = 0; i < 3; i++) {
		printf("  child %d (pid %d): step %d\n", n, getpid(), i);
		usleep(20000 * (unsigned)(n + 1));
	}
	_exit(n);
}

int main(void)
{
	printf("init: Ochre lab 2. Starting three children...\n");
	pid_t kids[3];
	for (int n = 0; n < 3; n++)
		if ((kids[n] = fork()) == 0)
			child(n);
	/* Our own three by pid: from lab 5 on, init has another child (the
	 * initfs daemon), which never exits. */
	for (int n = 0; n < 3; n++) {
		int status;
		if (kids[n] > 0 && waitpid(kids[n], &status, 0) == kids[n])
			printf("init: pid %d exited with status %d\n", kids[n],
			       WEXITSTATUS(status));
	}
	printf("init: done. Run a test with e.g. "
	       "make qemu CMDLINE='init=forktree'\n");
	return 0;
}

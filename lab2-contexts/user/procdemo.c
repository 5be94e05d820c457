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
	for (int n = 0; n < 3; n++)
		if (fork() == 0)
			child(n);
	int status;
	pid_t pid;
	while ((pid = wait(&status)) > 0)
		printf("init: pid %d exited with status %d\n", pid,
		       WEXITSTATUS(status));
	printf("init: done. Run a test with e.g. "
	       "make qemu CMDLINE='init=forktree'\n");
	return 0;
}

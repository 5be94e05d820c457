/*
 * A forking program for strace -f to follow (grader/test_lab6_strace.py):
 * the child calls getpid and exits with 7, the parent waits for it and
 * says what it saw, so the grader can match both pids' lines.
 *
 *	$ strace -f straceforks
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("straceforks: fork");
		return 1;
	}
	if (pid == 0) {
		getpid();
		_exit(7);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid) {
		perror("straceforks: waitpid");
		return 1;
	}
	printf("straceforks: child %d exited with %d\n", pid, WEXITSTATUS(status));
	return 0;
}

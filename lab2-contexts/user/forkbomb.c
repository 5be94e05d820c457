/*
 * Fork until the kernel says no. It must say so with EAGAIN or ENOMEM -
 * not crash, not hang - and be fully usable again once the children die.
 */
#include "utest.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KIDS 4096
static pid_t kids[MAX_KIDS];

int main(void)
{
	utest_begin("forkbomb");
	struct ochre_meminfo before, after;
	CHECK_EQ(utest_meminfo(&before), 0);
	int n = 0;
	for (;;) {
		CHECK(n < MAX_KIDS);
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				sleep(1000);	/* wait to be killed */
		}
		if (pid < 0)
			break;
		kids[n++] = pid;
	}
	int err = errno;
	printf("forkbomb: %d children, then fork failed with errno %d (%s)\n", n,
	       err, strerror(err));
	CHECK(err == EAGAIN || err == ENOMEM);
	CHECK(n >= 16);

	for (int i = 0; i < n; i++)
		CHECK_EQ(kill(kids[i], SIGKILL), 0);
	for (int i = 0; i < n; i++) {
		int status;
		CHECK(waitpid(-1, &status, 0) > 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	CHECK_ERR(utest_wait(NULL, WNOHANG), ECHILD);

	/* Usable again: fork works, and memory came back. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(5);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(WEXITSTATUS(status), 5);
	CHECK_EQ(utest_meminfo(&after), 0);
	/* The kernel heap keeps pages it grew by for reuse; count them as free. */
	unsigned long heap_growth = after.heap_pages - before.heap_pages;
	printf("forkbomb: free frames %lu before, %lu after (+%lu kept by the "
	       "kernel heap)\n", before.free_frames, after.free_frames,
	       heap_growth);
	CHECK_EQ(after.free_frames + heap_growth, before.free_frames);
	utest_ok();
}

/*
 * A tree of processes: every node forks two children down to depth 3 and
 * exits with a status made from its position; every parent checks what
 * waitpid reports. Also waitpid's error cases.
 */
#include "utest.h"
#include <sys/wait.h>
#include <unistd.h>

#define DEPTH	3

/* Runs node `id` at `depth`; returns the exit status it should have. */
static int node(int id, int depth)
{
	if (depth == DEPTH)
		return id & 0x7f;
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		int child_id = id * 2 + i + 1;
		kids[i] = fork();
		if (kids[i] < 0) {
			printf("forktree: FAIL fork at depth %d (errno %d)\n",
			       depth, errno);
			_exit(100);
		}
		if (kids[i] == 0) {
			if (getppid() <= 0)
				_exit(101);
			_exit(node(child_id, depth + 1));
		}
	}
	/* Reap in reverse order, by pid. */
	for (int i = 1; i >= 0; i--) {
		int status = -1;
		if (waitpid(kids[i], &status, 0) != kids[i])
			return 102;
		int expect = (id * 2 + i + 1) & 0x7f;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != expect) {
			printf("forktree: node %d: child %d status %#x, expected "
			       "exit %d\n", id, kids[i], status, expect);
			return 103;
		}
	}
	return id & 0x7f;
}

int main(void)
{
	utest_begin("forktree");
	int status = 0;
	CHECK_ERR(utest_wait(&status, 0), ECHILD);		/* no children */
	CHECK_ERR(utest_wait(&status, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(12345, &status, 0), ECHILD);		/* not ours */
	CHECK_ERR(waitpid(-1, &status, 0x100), EINVAL);	/* bad option */
	CHECK_EQ(getppid(), 0);		/* init has no parent */

	pid_t root = fork();
	CHECK(root >= 0);
	if (root == 0)
		_exit(node(0, 0));
	/* While the tree runs, WNOHANG must not block (it may return 0). */
	pid_t r = waitpid(root, &status, WNOHANG);
	CHECK(r == 0 || r == root);
	if (r == 0)
		CHECK_EQ(waitpid(root, &status, 0), root);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_ERR(waitpid(root, &status, 0), ECHILD);	/* reaped already */

	/* A status pointer into the kernel: EFAULT, and the child stays. */
	pid_t c = fork();
	if (c == 0)
		_exit(9);
	CHECK_ERR(waitpid(c, (int *)0xffff800000001000UL, 0), EFAULT);
	CHECK_EQ(waitpid(c, &status, 0), c);
	CHECK_EQ(WEXITSTATUS(status), 9);
	printf("forktree: 15 processes, all statuses right\n");
	utest_ok();
}

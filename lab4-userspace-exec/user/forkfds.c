/*
 * fork and files: the child gets every fd of the parent at the same
 * number, sharing the open file (and its offset); fds opened afterwards
 * belong to one side only; and the handles libc's fork opens for itself
 * never reach the child (its fd set is exactly the parent's from just
 * before fork).
 */
#include "utest.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_	"initfs:/bin/echo"

/* Bit fd set when fd is open. */
static uint64_t open_fds(void)
{
	uint64_t set = 0;
	struct stat st;
	for (int fd = 0; fd < 64; fd++)
		if (fstat(fd, &st) == 0 || errno != EBADF)
			set |= 1ULL << fd;
	return set;
}

static void wait_ok(pid_t pid)
{
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

int main(void)
{
	utest_begin("forkfds");

	/* A pipe each way. */
	int down[2], up[2];
	CHECK_EQ(pipe(down), 0);
	CHECK_EQ(pipe(up), 0);
	int file = open(FILE_, O_RDONLY);
	CHECK(file >= 0);
	int cloexec = open(FILE_, O_RDONLY | O_CLOEXEC);	/* inherited too */
	CHECK(cloexec >= 0);
	uint64_t before = open_fds();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		utest_name = "forkfds (child)";
		uint64_t mine = open_fds();
		if (mine != before)
			printf("forkfds: child fds %#lx, parent had %#lx\n",
			       (unsigned long)mine, (unsigned long)before);
		CHECK_EQ(mine, before);
		char buf[16];
		CHECK_EQ(read(down[0], buf, 5), 5);
		CHECK(memcmp(buf, "ping!", 5) == 0);
		CHECK_EQ(write(up[1], "pong!", 5), 5);
		/* Shared offset: we move it, the parent sees it. */
		CHECK_EQ(read(file, buf, 10), 10);
		/* An fd of our own, and one of the parent's we must not have. */
		int fd41;
		CHECK_EQ(read(down[0], &fd41, sizeof(fd41)), sizeof(fd41));
		struct stat st;
		CHECK_ERR(fstat(fd41, &st), EBADF);
		int mine_fd = open(FILE_, O_RDONLY);
		CHECK(mine_fd >= 0);
		CHECK_EQ(dup2(mine_fd, 40), 40);
		CHECK_EQ(write(up[1], "x", 1), 1);
		CHECK_EQ(read(down[0], buf, 1), 1);	/* parent checked: exit */
		_exit(0);
	}
	CHECK_EQ(open_fds(), before);	/* nothing left open by fork here */
	/* Only the child writes up: if it dies, we read end of file. */
	CHECK_EQ(close(up[1]), 0);
	CHECK_EQ(write(down[1], "ping!", 5), 5);
	char buf[16];
	CHECK_READ_CHILD(up[0], buf, 5, pid);
	CHECK(memcmp(buf, "pong!", 5) == 0);
	int other = open(FILE_, O_RDONLY);
	CHECK(other >= 0);
	CHECK_EQ(dup2(other, 41), 41);
	int n41 = 41;
	CHECK_EQ(write(down[1], &n41, sizeof(n41)), sizeof(n41));
	CHECK_READ_CHILD(up[0], buf, 1, pid);	/* the child has its fd 40 */
	struct stat st;
	CHECK_ERR(fstat(40, &st), EBADF);
	/* The child read 10 bytes of file: our offset moved with it. */
	CHECK_EQ(lseek(file, 0, SEEK_CUR), 10);
	char want[4], got[4];
	CHECK_EQ(lseek(other, 10, SEEK_SET), 10);
	CHECK_EQ(read(other, want, 4), 4);
	CHECK_EQ(read(file, got, 4), 4);
	CHECK(memcmp(want, got, 4) == 0);
	CHECK_EQ(write(down[1], "q", 1), 1);
	wait_ok(pid);
	printf("forkfds: pipes both ways, shared offsets, private new fds, "
	       "no leaked handles\n");

	/* EOF once every write end is closed, in both processes. */
	CHECK_EQ(read(up[0], buf, 1), 0);

	/* Fork with many fds open, 30 times: the set is always the same. */
	for (int i = 0; i < 30; i++) {
		uint64_t set = open_fds();
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(open_fds() == set ? 0 : 1);
		wait_ok(pid);
		CHECK_EQ(open_fds(), set);
	}
	utest_ok();
}

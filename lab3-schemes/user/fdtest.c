/*
 * File descriptors: the table has OCHRE_OPEN_MAX slots, bad numbers give
 * EBADF, dup/dup2 share the open file (and its offset), close-on-exec
 * closes only what was marked.
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF	"initfs:/bin/fdtest"

/* Without a syscall that asks, an fd is open if dup accepts it. */
static int is_open(int fd)
{
	int d = dup(fd);
	if (d >= 0)
		close(d);
	return d >= 0;
}

/* After exec: argv = fdtest cloexec <closed fd> <open fd> <dup'd fd>. */
static int cloexec_child(char **argv)
{
	utest_name = "fdtest (exec'd child)";
	int closed = atoi(argv[2]), kept = atoi(argv[3]), dupped = atoi(argv[4]);
	CHECK(!is_open(closed));
	CHECK_ERR(read(closed, NULL, 0), EBADF);
	CHECK(is_open(kept));
	CHECK(is_open(dupped));		/* dup does not copy FD_CLOEXEC */
	char c;
	CHECK_EQ(read(kept, &c, 1), 1);	/* the offset came along */
	CHECK_EQ(c, 'F');		/* byte 3 of "\177ELF" */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "cloexec") == 0)
		return cloexec_child(argv);
	utest_begin("fdtest");
	char buf[16];

	/* 0, 1, 2 are the console; the rest fill up, then EMFILE. */
	int last = -1, count = 0;
	for (;;) {
		int fd = open("null:", O_RDONLY);
		if (fd < 0)
			break;
		CHECK_EQ(fd, 3 + count);	/* always the lowest free */
		last = fd;
		count++;
	}
	CHECK_EQ(errno, EMFILE);
	CHECK_EQ(last, OCHRE_OPEN_MAX - 1);
	CHECK_ERR(dup(0), EMFILE);
	int fds[2];
	CHECK_ERR(pipe(fds), EMFILE);
	CHECK_EQ(close(10), 0);
	CHECK_EQ(open("null:", O_RDONLY), 10);	/* the hole is reused */
	for (int fd = 3; fd < OCHRE_OPEN_MAX; fd++)
		CHECK_EQ(close(fd), 0);
	printf("fdtest: %d files open at most, then EMFILE\n", count + 3);

	/* Bad descriptors. */
	static const int bad[] = { -1, OCHRE_OPEN_MAX, 1000, 5, -1000 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = bad[i];
		CHECK_ERR(read(fd, buf, 1), EBADF);
		CHECK_ERR(write(fd, "x", 1), EBADF);
		CHECK_ERR(close(fd), EBADF);
		CHECK_ERR(lseek(fd, 0, SEEK_SET), EBADF);
		CHECK_ERR(dup(fd), EBADF);
		CHECK_ERR(dup2(fd, 7), EBADF);
		CHECK_ERR(fsync(fd), EBADF);
		CHECK_ERR(fpath(fd, buf, sizeof(buf)), EBADF);
		CHECK_ERR(getdents(fd, buf, sizeof(buf)), EBADF);
	}
	CHECK_ERR(dup2(1, OCHRE_OPEN_MAX), EBADF);
	CHECK_ERR(dup2(1, -1), EBADF);
	CHECK(!is_open(7));

	/* close twice */
	int fd = open("null:", O_RDONLY);
	CHECK_EQ(fd, 3);
	CHECK_EQ(close(fd), 0);
	CHECK_ERR(close(fd), EBADF);
	CHECK_ERR(read(fd, buf, 1), EBADF);

	/* dup: the lowest free fd, sharing the offset both ways. */
	int a = open("initfs:/bin/echo", O_RDONLY);	/* 3 */
	int b = open("null:", O_RDONLY);		/* 4 */
	CHECK_EQ(a, 3);
	CHECK_EQ(b, 4);
	CHECK_EQ(close(a), 0);
	a = open("initfs:/bin/echo", O_RDONLY);
	CHECK_EQ(a, 3);
	CHECK_EQ(read(a, buf, 10), 10);
	int d = dup(a);
	CHECK_EQ(d, 5);
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 10);
	CHECK_EQ(read(d, buf, 5), 5);
	CHECK_EQ(lseek(a, 0, SEEK_CUR), 15);
	CHECK_EQ(close(a), 0);				/* d still works */
	CHECK_EQ(read(d, buf, 1), 1);
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 16);

	/* dup2 onto an open fd closes it first; dup2(fd, fd) is a no-op. */
	CHECK_EQ(dup2(d, b), b);		/* null: is gone from b */
	CHECK_EQ(read(b, buf, 4), 4);		/* echo's bytes 16..19 */
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 20);
	CHECK_EQ(dup2(b, b), b);
	CHECK_EQ(lseek(b, 0, SEEK_CUR), 20);
	CHECK_EQ(dup2(b, 40), 40);		/* any free number */
	CHECK_EQ(lseek(40, 0, SEEK_SET), 0);
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 0);
	CHECK_EQ(close(40), 0);
	CHECK_EQ(close(b), 0);
	CHECK_EQ(close(d), 0);
	CHECK(!is_open(3) && !is_open(4) && !is_open(5));
	printf("fdtest: dup and dup2 ok\n");

	/* Close-on-exec: marked fds close in the new program, others stay,
	 * and dup's copy is not marked. */
	int closed = open("null:", O_RDONLY | O_CLOEXEC);
	int kept = open("initfs:/bin/echo", O_RDONLY);
	CHECK(closed >= 0 && kept >= 0);
	int dupped = dup(closed);
	CHECK(dupped >= 0);
	CHECK_EQ(read(kept, buf, 3), 3);
	pid_t pid = fork();
	if (pid == 0) {
		char s1[12], s2[12], s3[12];
		snprintf(s1, sizeof(s1), "%d", closed);
		snprintf(s2, sizeof(s2), "%d", kept);
		snprintf(s3, sizeof(s3), "%d", dupped);
		char *args[] = { "fdtest", "cloexec", s1, s2, s3, NULL };
		execv(SELF, args);
		printf("fdtest: FAIL execve %s: %s\n", SELF, strerror(errno));
		_exit(1);
	}
	CHECK(pid > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(is_open(closed));		/* only the exec'd process lost it */
	CHECK_EQ(lseek(kept, 0, SEEK_CUR), 4);	/* the child read one byte */
	printf("fdtest: close-on-exec ok\n");
	utest_ok();
}

/*
 * Pipes: data arrives intact and in order through the 4 KiB buffer (the
 * writer blocks while it is full, the reader while it is empty); a read
 * returns what is there; EOF once every writer is gone; EPIPE (not a
 * signal: Ochre has none for this) once every reader is. pipe2's
 * O_CLOEXEC closes both ends in an exec'd program; unknown flag bits,
 * also high ones, give EINVAL.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre/syscall.h>
#include <sys/wait.h>
#include <syscall.h>
#include <unistd.h>

#define TOTAL	(100 * 1024)
#define SELF	"initfs:/bin/pipetest"

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 31 + (i >> 9));
}

/* The child writes TOTAL bytes in odd-sized pieces, then exits. */
static void writer(int fd)
{
	static unsigned char buf[3001];
	size_t sent = 0;
	for (int k = 0; sent < TOTAL; k++) {
		size_t n = 1 + (size_t)(k * 977) % sizeof(buf);
		if (n > TOTAL - sent)
			n = TOTAL - sent;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		if (write_all(fd, buf, n) != (ssize_t)n) {
			printf("pipetest: FAIL writer: %s\n", strerror(errno));
			_exit(1);
		}
		sent += n;
	}
	_exit(0);
}

static void big_transfer(void)
{
	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		writer(fds[1]);
	}
	CHECK(pid > 0);
	CHECK_EQ(close(fds[1]), 0);	/* else we would never see EOF */
	static unsigned char buf[777];
	size_t got = 0;
	int reads = 0;
	ssize_t n;
	/* A lost wakeup hangs here: the watchdog names this loop. */
	pid_t w = utest_watch(__FILE__, __LINE__,
			      "reading 100 KiB until end of file", 20000);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(got + (size_t)i)) {
				printf("pipetest: FAIL byte %zu is %#x, expected %#x\n",
				       got + (size_t)i, buf[i], pattern(got + (size_t)i));
				exit(1);
			}
		got += (size_t)n;
		reads++;
	}
	utest_unwatch(w);
	CHECK_EQ(n, 0);
	CHECK_EQ(got, TOTAL);
	int status;
	CHECK_EQ_SOON(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 0);	/* EOF stays */
	CHECK_EQ(close(fds[0]), 0);
	printf("pipetest: %d KiB in %d reads ok\n", TOTAL / 1024, reads);
}

static void one_process(void)
{
	int fds[2];
	char buf[100];
	CHECK_EQ(pipe(fds), 0);
	CHECK(fds[0] >= 3 && fds[1] > fds[0]);
	CHECK_ERR(write(fds[0], "x", 1), EBADF);	/* the read end */
	CHECK_ERR(read(fds[1], buf, 1), EBADF);		/* the write end */
	CHECK_ERR(lseek(fds[0], 0, SEEK_SET), ESPIPE);
	/* A read takes what is there, without waiting for more. */
	CHECK_EQ(write(fds[1], "hello", 5), 5);
	CHECK_EQ(write(fds[1], ", pipe", 6), 6);
	CHECK_EQ(read(fds[0], buf, 3), 3);
	CHECK(memcmp(buf, "hel", 3) == 0);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "lo, pipe", 8) == 0);
	/* The writer gone: what is left, then EOF. */
	CHECK_EQ(write(fds[1], "bye", 3), 3);
	CHECK_EQ(close(fds[1]), 0);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 3);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 0);
	CHECK_EQ(close(fds[0]), 0);

	/* The reader gone: EPIPE, and we are still here. */
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(close(fds[0]), 0);
	CHECK_ERR(write(fds[1], "x", 1), EPIPE);
	CHECK_ERR(write(fds[1], "x", 1), EPIPE);
	CHECK_EQ(close(fds[1]), 0);

	/* A dup of the write end keeps the pipe open. */
	CHECK_EQ(pipe(fds), 0);
	int w2 = dup(fds[1]);
	CHECK_EQ(close(fds[1]), 0);
	CHECK_EQ(write(w2, "z", 1), 1);
	CHECK_EQ(read(fds[0], buf, sizeof(buf)), 1);
	CHECK_EQ(close(w2), 0);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 0);
	CHECK_EQ(close(fds[0]), 0);
	printf("pipetest: one-process semantics ok\n");
}

/* A reader blocks until a writer in another process writes; a writer
 * blocked on a full pipe gets EPIPE when the reader goes away. */
static void blocking(void)
{
	int fds[2];
	char buf[8];
	CHECK_EQ(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		usleep(30000);
		write(fds[1], "late", 4);
		_exit(0);
	}
	CHECK_EQ(close(fds[1]), 0);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "late", 4) == 0);
	CHECK_EQ_SOON(read(fds[0], buf, sizeof(buf)), 0);
	CHECK_EQ_SOON(waitpid(pid, NULL, 0), pid);
	CHECK_EQ(close(fds[0]), 0);

	CHECK_EQ(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		static char big[16384];
		close(fds[0]);
		/* Blocks after 4 KiB until the parent closes its read end. */
		ssize_t n = write(fds[1], big, sizeof(big));
		int ok = n == 4096 || (n == -1 && errno == EPIPE);
		ok = ok && write(fds[1], big, 1) == -1 && errno == EPIPE;
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(close(fds[1]), 0);
	usleep(30000);			/* let the child fill the pipe */
	CHECK_EQ(close(fds[0]), 0);
	int status;
	CHECK_EQ_SOON(waitpid(pid, &status, 0), pid);	/* woken: EPIPE */
	CHECK(WIFEXITED(status));	/* not killed by a signal */
	CHECK_EQ(WEXITSTATUS(status), 0);
	printf("pipetest: blocking and EPIPE across processes ok\n");
}

/* Without a syscall that asks, an fd is open if dup accepts it. */
static int is_open(int fd)
{
	int d = dup(fd);
	if (d >= 0)
		close(d);
	return d >= 0;
}

/* After exec: argv = pipetest cloexec <r> <w> <plain r> <plain w>. */
static int cloexec_child(char **argv)
{
	utest_name = "pipetest (exec'd child)";
	int r = atoi(argv[2]), w = atoi(argv[3]);
	int pr = atoi(argv[4]), pw = atoi(argv[5]);
	CHECK(!is_open(r));		/* O_CLOEXEC marked both ends */
	CHECK(!is_open(w));
	CHECK_ERR(read(r, NULL, 0), EBADF);
	CHECK(is_open(pr));		/* pipe(fds) marks nothing */
	CHECK(is_open(pw));
	CHECK_EQ(write(pw, "k", 1), 1);
	return 0;
}

static void flags(void)
{
	int fds[2] = { -1, -1 };
	/* Bad flags: EINVAL, and no fd is made. */
	CHECK_ERR(pipe2(fds, O_NONBLOCK), EINVAL);
	CHECK_ERR(pipe2(fds, O_CLOEXEC | O_RDWR), EINVAL);
	CHECK_ERR(pipe2(fds, -1), EINVAL);
	CHECK_ERR(__syscall_ret(syscall2(SYS_PIPE, fds, ~0UL)), EINVAL);
	CHECK_ERR(__syscall_ret(syscall2(SYS_PIPE, fds,
					 (1UL << 32) | O_CLOEXEC)), EINVAL);
	CHECK(fds[0] == -1 && fds[1] == -1);
	CHECK(!is_open(3));
	/* A bad pointer with good flags is still EFAULT, and leaks nothing. */
	CHECK_ERR(pipe2(NULL, O_CLOEXEC), EFAULT);
	CHECK(!is_open(3));

	/* O_CLOFORK alone is accepted (lab 4's fork by FT_INHERIT drops it). */
	CHECK_EQ(pipe2(fds, O_CLOFORK), 0);
	CHECK_EQ(close(fds[0]), 0);
	CHECK_EQ(close(fds[1]), 0);

	/* O_CLOEXEC: both ends gone in the exec'd program, not in ours. */
	int ce[2], plain[2];
	CHECK_EQ(pipe2(ce, O_CLOEXEC | O_CLOFORK), 0);
	CHECK_EQ(pipe(plain), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char a[4][12];
		snprintf(a[0], sizeof(a[0]), "%d", ce[0]);
		snprintf(a[1], sizeof(a[1]), "%d", ce[1]);
		snprintf(a[2], sizeof(a[2]), "%d", plain[0]);
		snprintf(a[3], sizeof(a[3]), "%d", plain[1]);
		char *args[] = { "pipetest", "cloexec", a[0], a[1], a[2], a[3],
				 NULL };
		execv(SELF, args);
		printf("pipetest: FAIL execve %s: %s\n", SELF, strerror(errno));
		_exit(1);
	}
	CHECK(pid > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	char c;
	CHECK_EQ(read(plain[0], &c, 1), 1);	/* the child wrote through it */
	CHECK_EQ(c, 'k');
	/* Ours still work. */
	CHECK_EQ(write(ce[1], "x", 1), 1);
	CHECK_EQ(read(ce[0], &c, 1), 1);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(close(ce[i]), 0);
		CHECK_EQ(close(plain[i]), 0);
	}
	printf("pipetest: pipe2 flags and close-on-exec ok\n");
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "cloexec") == 0)
		return cloexec_child(argv);
	utest_begin("pipetest");
	one_process();
	blocking();
	big_transfer();
	flags();
	utest_ok();
}

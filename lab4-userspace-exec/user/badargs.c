/*
 * Hostile arguments: lengths that wrap when rounded up, integers with
 * high bits set where the kernel reads an int, and a process name that
 * tries to forge a line in sys:/contexts.
 */
#include "embryo.h"
#include <stdbool.h>
#include <syscall.h>

#define HIGH	(1L << 32)
#define MIN_LEN(a, b)	((a) < (b) ? (a) : (b))

/* Forks a child that installs an address space whose code spins, under
 * the given name; returns its pid once it runs. */
static pid_t spinner(const char *name)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		int nas = open("thisproc:new-addrspace", O_RDWR | O_CLOEXEC | O_CLOFORK);
		CHECK(nas >= 0);
		embryo_load_blob(nas, BLOB_SPIN, sizeof(BLOB_SPIN));
		int x = open("thisproc:exec", O_WRONLY | O_CLOEXEC | O_CLOFORK);
		CHECK(x >= 0);
		struct proc_exec pe = { .as_fd = nas, .rip = BLOB_CODE,
					.rsp = BLOB_STACK + 4096 };
		memcpy(pe.name, name, MIN_LEN(strlen(name), sizeof(pe.name) - 1));
		CHECK_EQ(write(p[1], "r", 1), 1);
		write(x, &pe, sizeof(pe));
		_exit(2);
	}
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	return kid;
}

int main(void)
{
	utest_begin("badargs");

	/* Lengths are checked before they are rounded up to pages. */
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	CHECK_ERR(munmap(m, (size_t)-1), EINVAL);
	CHECK_ERR(munmap(m, (size_t)-4095), EINVAL);
	CHECK_ERR(mprotect(m, (size_t)-1, PROT_READ), EINVAL);
	CHECK_ERR(mprotect(m, (size_t)-4095, PROT_READ), EINVAL);
	CHECK_ERR(mmap(NULL, (size_t)-1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0), EINVAL);
	m[0] = 1;		/* still mapped and writable */
	CHECK_EQ(munmap(m, 4096), 0);
	printf("badargs: wrapping lengths give EINVAL\n");

	/* File descriptors are checked at their full 64 bits. */
	int fd = open("zero:/", O_RDWR);
	CHECK(fd >= 0);
	char buf[8];
	CHECK_EQ(syscall3(SYS_READ, HIGH | fd, buf, sizeof(buf)), -EBADF);
	CHECK_EQ(syscall3(SYS_WRITE, HIGH | fd, buf, sizeof(buf)), -EBADF);
	CHECK_EQ(syscall3(SYS_LSEEK, HIGH | fd, 0, 0), -EBADF);
	CHECK_EQ(syscall1(SYS_DUP, HIGH | fd), -EBADF);
	CHECK_EQ(syscall1(SYS_CLOSE, HIGH | fd), -EBADF);
	CHECK_EQ(syscall2(SYS_KILL, HIGH | getpid(), 0), -EINVAL);
	CHECK_EQ(syscall3(SYS_WAITPID, HIGH | 2, 0, 0), -EINVAL);
	CHECK_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));	/* still open */
	CHECK_EQ(close(fd), 0);

	/* proc_exec.as_fd is 64 bits wide: high bits make it no fd. */
	int nas = open("thisproc:new-addrspace", O_RDWR | O_CLOEXEC | O_CLOFORK);
	CHECK(nas >= 0);
	int x = open("thisproc:exec", O_WRONLY | O_CLOEXEC | O_CLOFORK);
	CHECK(x >= 0);
	struct proc_exec pe = { .as_fd = HIGH | nas, .rip = BLOB_CODE,
				.rsp = BLOB_STACK + 4096, .name = "x" };
	CHECK_ERR(write(x, &pe, sizeof(pe)), EBADF);
	pe.as_fd = -1;
	CHECK_ERR(write(x, &pe, sizeof(pe)), EBADF);
	CHECK_EQ(close(x), 0);
	CHECK_EQ(close(nas), 0);
	printf("badargs: 64-bit integers are checked at full width\n");

	/* A name with a newline cannot forge a line in sys:/contexts. */
	pid_t kid = spinner("evil\n777 1 running forged");
	static char text[8192];
	int s = open("sys:/contexts", O_RDONLY);
	CHECK(s >= 0);
	long n = read(s, text, sizeof(text) - 1);
	CHECK(n > 0);
	text[n] = '\0';
	close(s);
	CHECK_EQ(kill(kid, SIGKILL), 0);
	CHECK_EQ(child_status(kid), W_SIGNALED(SIGKILL));
	for (char *line = text; *line;) {
		char *end = strchr(line, '\n');
		CHECK(end != NULL);
		*end = '\0';
		if (strncmp(line, "777 ", 4) == 0) {
			printf("badargs: FAIL a process name forged the line "
			       "'%s' in sys:/contexts\n", line);
			exit(1);
		}
		for (char *c = line; *c; c++)
			CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
		line = end + 1;
	}
	printf("badargs: control characters in names are escaped\n");

	/* thisproc:name renames the caller; the same escaping applies. */
	int nfd = open("thisproc:/name", O_WRONLY);
	CHECK(nfd >= 0);
	static char big[32];		/* one more than a name holds */
	memset(big, 'n', sizeof(big));
	CHECK_ERR(write(nfd, big, 0), EINVAL);
	CHECK_ERR(write(nfd, big, sizeof(big)), EINVAL);
	CHECK_ERR(write(nfd, (void *)8, 4), EFAULT);
	CHECK_ERR(read(nfd, big, 4), EBADF);
	CHECK_EQ(write(nfd, "me\n1 0 x", 8), 8);
	close(nfd);
	char want[40];
	snprintf(want, sizeof(want), "%d %d running me?1 0 x", getpid(),
		 getppid());
	s = open("sys:/contexts", O_RDONLY);
	CHECK(s >= 0);
	n = read(s, text, sizeof(text) - 1);
	CHECK(n > 0);
	text[n] = '\0';
	close(s);
	bool found = false;
	for (char *line = text, *end; (end = strchr(line, '\n')); line = end + 1) {
		*end = '\0';
		found |= strcmp(line, want) == 0;
	}
	if (!found) {
		printf("badargs: FAIL no line '%s' in sys:/contexts\n", want);
		exit(1);
	}
	printf("badargs: thisproc:name renames, escaped\n");
	utest_ok();
}

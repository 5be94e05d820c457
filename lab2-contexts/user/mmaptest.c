/*
 * Anonymous mmap, munmap and mprotect: zeroed memory, the errors, and
 * protections the hardware enforces (a write to read-only memory and a
 * touch of unmapped memory kill a child).
 */
#include "utest.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

/* Runs fn(p) in a child; returns the signal that killed it, or 0. */
static int child_signal(void (*fn)(char *), char *p)
{
	pid_t pid = fork();
	if (pid == 0) {
		fn(p);
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void write_byte(char *p) { *(volatile char *)p = 1; }
static void read_byte(char *p) { (void)*(volatile char *)p; }

int main(void)
{
	utest_begin("mmaptest");
	size_t len = 16 * 4096;
	char *p = mmap(NULL, len, RW, ANON, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK(((unsigned long)p & 4095) == 0);
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			CHECK(!"mmap memory is zeroed");
	memset(p, 0x5a, len);

	/* A second mapping does not overlap the first. */
	char *q = mmap(NULL, 5000, RW, ANON, -1, 0);	/* rounds up to 2 pages */
	CHECK(q != MAP_FAILED);
	CHECK(q >= p + len || q + 8192 <= p);
	memset(q, 1, 8192);
	CHECK_EQ(p[len - 1], 0x5a);

	/* Read-only: reads work, writes kill. */
	CHECK_EQ(mprotect(p, 4096, PROT_READ), 0);
	CHECK_EQ(p[0], 0x5a);
	CHECK_EQ(child_signal(write_byte, p), SIGSEGV);
	CHECK_EQ(child_signal(read_byte, p), 0);
	CHECK_EQ(mprotect(p, 4096, RW), 0);
	p[0] = 7;
	CHECK_EQ(p[0], 7);

	/* A hole in the middle: the rest stays. */
	CHECK_EQ(munmap(p + 4 * 4096, 2 * 4096), 0);
	CHECK_EQ(child_signal(read_byte, p + 4 * 4096), SIGSEGV);
	CHECK_EQ(child_signal(read_byte, p + 5 * 4096 + 100), SIGSEGV);
	CHECK_EQ(p[3 * 4096], 0x5a);
	CHECK_EQ(p[6 * 4096], 0x5a);
	/* mprotect over the hole fails and changes nothing. */
	CHECK_ERR(mprotect(p, len, PROT_READ), ENOMEM);
	p[0] = 8;	/* still writable */
	/* munmap of nothing is fine (as in POSIX). */
	CHECK_EQ(munmap(p + 4 * 4096, 4096), 0);

	/* MAP_FIXED puts a fresh zeroed page where we say. */
	char *f = mmap(p + 4 * 4096, 4096, RW, ANON | MAP_FIXED, -1, 0);
	CHECK(f == p + 4 * 4096);
	CHECK_EQ(f[0], 0);

	/* Errors. */
	CHECK(mmap(NULL, 0, RW, ANON, -1, 0) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, 4096, RW | PROT_EXEC, ANON, -1, 0) == MAP_FAILED &&
	      errno == EINVAL);					/* W^X */
	CHECK(mmap(NULL, 4096, 0x40, ANON, -1, 0) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap(NULL, 4096, RW, MAP_PRIVATE, 3, 0) == MAP_FAILED &&
	      errno == EINVAL);					/* files: later */
	CHECK(mmap((void *)0x10001, 4096, RW, ANON | MAP_FIXED, -1, 0) ==
	      MAP_FAILED && errno == EINVAL);			/* misaligned */
	CHECK(mmap(NULL, 4096, RW, ANON | MAP_FIXED, -1, 0) == MAP_FAILED &&
	      errno == EINVAL);					/* page 0 */
	CHECK(mmap((void *)0xffffffff80000000UL, 4096, RW, ANON | MAP_FIXED,
		   -1, 0) == MAP_FAILED && errno == EINVAL);	/* kernel */
	CHECK(mmap(NULL, 1UL << 40, RW, ANON, -1, 0) == MAP_FAILED &&
	      errno == ENOMEM);					/* 1 TiB */
	CHECK_ERR(munmap(p + 1, 4096), EINVAL);
	CHECK_ERR(munmap((void *)0xffffffff80000000UL, 4096), EINVAL);
	CHECK_ERR(mprotect(p, 4096, RW | PROT_EXEC), EINVAL);
	CHECK_EQ(munmap(p, 1UL << 40), 0);	/* huge but valid: quick */
	CHECK_EQ(child_signal(read_byte, p), SIGSEGV);
	CHECK_EQ(munmap(q, 8192), 0);
	utest_ok();
}

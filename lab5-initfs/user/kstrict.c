/*
 * Lab 5: the kernel takes canonical "scheme:/path" only (HANDOUT.md §4).
 * Raw system calls with anything else get EINVAL; the same strings through
 * libc work, because libc canonicalizes first. Over-long paths give
 * ENAMETOOLONG, bad pointers EFAULT, and nothing panics.
 */
#include "utest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syscall.h>
#include <unistd.h>

static const char *noncanonical[] = {
	"bin/ls", "/bin/ls", "initfs:bin/ls", "initfs:/bin/../bin/ls",
	"initfs:/bin//ls", "initfs:/./bin/ls", "initfs:/bin/", "initfs:", "",
	"Initfs:/bin/ls", ":/bin/ls", "initfs:/bin/ls/.", "initfs:/..",
};
#define N_NONCANONICAL (sizeof(noncanonical) / sizeof(noncanonical[0]))

static void raw_einval(const char *path)
{
	long r = syscall3(SYS_OPEN, path, O_RDONLY, 0);
	if (r != -EINVAL) {
		printf("kstrict: FAIL raw open(\"%s\") = %ld, expected -EINVAL (%d)\n",
		       path, r, -EINVAL);
		exit(1);
	}
	CHECK_EQ(syscall1(SYS_UNLINK, path), -EINVAL);
	CHECK_EQ(syscall2(SYS_MKDIR, path, 0755), -EINVAL);
	CHECK_EQ(syscall1(SYS_RMDIR, path), -EINVAL);
}

int main(void)
{
	utest_begin("kstrict");
	static char longpath[5000];

	for (unsigned i = 0; i < N_NONCANONICAL; i++)
		raw_einval(noncanonical[i]);
	for (unsigned i = 0; i < 7; i++) {	/* libc makes these canonical */
		int fd = open(noncanonical[i], O_RDONLY);
		if (fd < 0) {
			printf("kstrict: FAIL open(\"%s\") through libc: %s\n",
			       noncanonical[i], strerror(errno));
			exit(1);
		}
		char got[64];
		CHECK(fpath(fd, got, sizeof(got)) > 0);
		CHECK(strcmp(got, i == 6 ? "initfs:/bin" : "initfs:/bin/ls") == 0);
		CHECK_EQ(close(fd), 0);
	}
	printf("kstrict: %u non-canonical paths refused, libc's forms work\n",
	       (unsigned)N_NONCANONICAL);

	/* Lengths: the kernel's limit is OCHRE_PATH_MAX bytes with the NUL. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	memcpy(longpath, "initfs:/", 8);
	CHECK_EQ(syscall3(SYS_OPEN, longpath, O_RDONLY, 0), -ENAMETOOLONG);
	longpath[OCHRE_PATH_MAX] = '\0';
	CHECK_EQ(syscall3(SYS_OPEN, longpath, O_RDONLY, 0), -ENAMETOOLONG);
	longpath[OCHRE_PATH_MAX - 1] = '\0';	/* 255 bytes: fits */
	for (int i = 8 + 255; i < OCHRE_PATH_MAX - 1; i += 256)
		longpath[i] = '/';
	CHECK_EQ(syscall3(SYS_OPEN, longpath, O_RDONLY, 0), -ENOENT);
	memset(longpath + 8, 'b', 256);		/* a 256-byte component */
	longpath[8 + 256] = '\0';
	CHECK_EQ(syscall3(SYS_OPEN, longpath, O_RDONLY, 0), -ENAMETOOLONG);

	/* Pointers. */
	CHECK_EQ(syscall3(SYS_OPEN, 0x1, O_RDONLY, 0), -EFAULT);
	CHECK_EQ(syscall3(SYS_OPEN, 0, O_RDONLY, 0), -EFAULT);
	CHECK_EQ(syscall3(SYS_OPEN, 0xffffffff80100000UL, O_RDONLY, 0), -EFAULT);
	CHECK_EQ(syscall3(SYS_OPEN, 0x0000800000000000UL, O_RDONLY, 0), -EFAULT);
	CHECK_EQ(syscall1(SYS_UNLINK, 0x1), -EFAULT);
	/* A path running into an unmapped page without its NUL. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	CHECK_EQ(munmap(page + 4096, 4096), 0);
	memcpy(page + 4096 - 12, "initfs:/binX", 12);	/* no NUL before the edge */
	CHECK_EQ(syscall3(SYS_OPEN, page + 4096 - 12, O_RDONLY, 0), -EFAULT);
	memcpy(page + 4096 - 12, "initfs:/bin", 12);	/* NUL in the last byte */
	long fd = syscall3(SYS_OPEN, page + 4096 - 12, O_RDONLY, 0);
	CHECK(fd >= 0);
	CHECK_EQ(close((int)fd), 0);
	printf("kstrict: lengths and pointers ok\n");

	/* Registering a scheme (":name") is not a path and still works. */
	fd = syscall3(SYS_OPEN, ":kstrict", O_CREAT | O_RDWR, 0);
	CHECK(fd >= 0);
	CHECK_EQ(close((int)fd), 0);
	utest_ok();
}

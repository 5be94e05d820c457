/*
 * Lab 5: every operation of the initfs daemon and its errno table
 * (HANDOUT.md §3). Raw system calls show what the daemon answers before
 * libc follows a link; the libc calls show the result a program sees.
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <syscall.h>
#include <unistd.h>

static long raw_open(const char *path, int flags)
{
	return syscall3(SYS_OPEN, path, flags, 0);
}

/* All entries of dir through getdents with a small buffer: names must
 * come sorted, each with its type; returns the count. */
static int list(const char *dir, const char *want, int want_type)
{
	char buf[64], last[256] = "";
	int fd = open(dir, O_RDONLY | O_DIRECTORY), count = 0, seen = 0;
	CHECK(fd >= 0);
	ssize_t n;
	while ((n = getdents(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct ochre_dirent *d = (struct ochre_dirent *)(buf + off);
			CHECK(d->reclen >= sizeof(*d) + 2 && d->reclen % 8 == 0);
			CHECK(strcmp(last, d->name) < 0);	/* sorted, unique */
			strcpy(last, d->name);
			if (strcmp(d->name, want) == 0) {
				CHECK_EQ(d->type, want_type);
				seen = 1;
			}
			count++;
			off += d->reclen;
		}
	}
	CHECK_EQ(n, 0);
	CHECK(seen);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_size, count);	/* a directory's size: its entries */
	CHECK_EQ(close(fd), 0);
	return count;
}

static void test_reads(void)
{
	char buf[16], path[64];
	struct stat st;
	int fd = open("initfs:/bin/echo", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size > 4096);
	CHECK_EQ(read(fd, buf, 4), 4);
	CHECK(memcmp(buf, "\177ELF", 4) == 0);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(read(fd, buf, 3), 3);
	CHECK(memcmp(buf, "ELF", 3) == 0);
	CHECK_EQ(lseek(fd, 2, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, 0, SEEK_END), st.st_size);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);		/* at the end */
	CHECK_EQ(lseek(fd, 100, SEEK_END), st.st_size + 100);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);		/* past it */
	CHECK_EQ(lseek(fd, 0x7fffffffffffffffL, SEEK_SET), 0x7fffffffffffffffL);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_ERR(lseek(fd, 1, SEEK_CUR), EINVAL);		/* overflow */
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, 0, 7), EINVAL);
	CHECK_EQ(lseek(fd, st.st_size - 2, SEEK_SET), st.st_size - 2);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 2);		/* short at the end */
	CHECK_EQ(read(fd, buf, 0), 0);
	CHECK(fpath(fd, path, sizeof(path)) > 0);
	CHECK(strcmp(path, "initfs:/bin/echo") == 0);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_EQ(close(fd), 0);
	CHECK_ERR(close(fd), EBADF);
	printf("initfsops: read, seek, fstat, fpath ok\n");
}

static void test_dirs(void)
{
	char buf[16];
	int n = list("initfs:/bin", "echo", DT_REG);
	list("initfs:/", "bin", DT_DIR);
	list("initfs:/", "links", DT_DIR);
	list("initfs:/links", "toram", DT_LNK);
	int fd = open("initfs:/bin", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(read(fd, buf, sizeof(buf)), EISDIR);
	CHECK_EQ(close(fd), 0);
	fd = open("initfs:/bin/echo", O_RDONLY);
	CHECK_ERR(getdents(fd, buf, sizeof(buf)), ENOTDIR);
	CHECK_EQ(close(fd), 0);
	printf("initfsops: %d entries in /bin, sorted, typed, 64-byte reads ok\n", n);
}

static void test_errors(void)
{
	CHECK_ERR(open("initfs:/bin/echo", O_WRONLY), EROFS);
	CHECK_ERR(open("initfs:/bin/echo", O_RDWR), EROFS);
	CHECK_ERR(open("initfs:/bin/echo", O_RDONLY | O_TRUNC), EROFS);
	CHECK_ERR(open("initfs:/bin/new", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERR(open("initfs:/bin/echo", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK_ERR(open("initfs:/bin/echo", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open("initfs:/nosuch", O_RDONLY), ENOENT);
	CHECK_ERR(open("initfs:/bin/echo/x", O_RDONLY), ENOTDIR);
	CHECK_ERR(unlink("initfs:/bin/echo"), EROFS);
	CHECK_ERR(mkdir("initfs:/d", 0755), EROFS);
	CHECK_ERR(rmdir("initfs:/bin"), EROFS);
	printf("initfsops: errno table ok\n");
}

static void test_links(void)
{
	char buf[64];
	struct stat st;
	/* What the daemon says: a final link is EXDEV, for libc to follow. */
	CHECK_EQ(raw_open("initfs:/links/rel", O_RDONLY), -EXDEV);
	CHECK_EQ(raw_open("initfs:/links/toram", O_RDONLY), -EXDEV);
	CHECK_EQ(raw_open("initfs:/links/rel", O_RDONLY | O_NOFOLLOW), -ELOOP);
	CHECK_EQ(raw_open("initfs:/links/bindir/echo", O_RDONLY), -ENOTDIR);
	int fd = (int)raw_open("initfs:/links/rel", O_RDONLY | O_SYMLINK);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 11);
	CHECK(memcmp(buf, "../bin/echo", 11) == 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFLNK);
	CHECK_EQ(close(fd), 0);
	/* What a program sees: libc followed it. */
	fd = open("initfs:/links/rel", O_RDONLY);		/* -> /bin/echo */
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, 4), 4);
	CHECK(memcmp(buf, "\177ELF", 4) == 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(readlink("initfs:/links/toram", buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "ramfs:/t", 8) == 0);
	CHECK_ERR(open("initfs:/links/self", O_RDONLY), ELOOP);
	CHECK_ERR(open("initfs:/links/dangling", O_RDONLY), ENOENT);
	CHECK_ERR(open("initfs:/links/rel", O_RDONLY | O_NOFOLLOW), ELOOP);
	printf("initfsops: symlinks ok\n");
}

/* Odd requests must not hurt the daemon. */
static void test_hostile(void)
{
	char *big = malloc(70000);
	CHECK(big);
	int fd = open("initfs:/bin/sh", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read(fd, big, 70000) > 0);		/* more than one reply */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(read(fd, (void *)0x10, 16), EFAULT);	/* page 0: unmapped */
	CHECK_ERR(read(fd, big, (size_t)-1), EINVAL);
	CHECK_EQ(close(fd), 0);
	static const int flags[] = { O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
				     O_RDONLY | O_APPEND, O_RDONLY | O_NONBLOCK,
				     O_RDONLY | O_SYMLINK | O_DIRECTORY };
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		long r = raw_open("initfs:/links/rel", flags[i]);
		if (r >= 0)
			close((int)r);
		r = raw_open("initfs:/", flags[i]);
		if (r >= 0)
			close((int)r);
	}
	free(big);
	printf("initfsops: odd requests ok\n");
}

/* Random requests: paths, flags, offsets, sizes. The daemon answers each
 * (or the kernel refuses it first) and stays up. */
static void test_random(void)
{
	static const char *paths[] = {
		"initfs:/", "initfs:/bin", "initfs:/bin/echo", "initfs:/links",
		"initfs:/links/rel", "initfs:/links/self", "initfs:/links/toram",
		"initfs:/nosuch", "initfs:/bin/echo/x", "initfs:/links/bindir/echo",
	};
	static const int flag_bits[] = { O_WRONLY, O_RDWR, O_CREAT, O_EXCL,
					 O_TRUNC, O_APPEND, O_DIRECTORY,
					 O_NOFOLLOW, O_SYMLINK, O_NONBLOCK };
	static char buf[300];
	uint64_t x = 0x5eed;
	int opened = 0;
	for (int i = 0; i < 2000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int flags = 0;
		for (unsigned b = 0; b < sizeof(flag_bits) / sizeof(flag_bits[0]); b++)
			if ((x >> (20 + b)) % 5 == 0)
				flags |= flag_bits[b];
		const char *path = paths[(x >> 40) % (sizeof(paths) / sizeof(paths[0]))];
		long fd = syscall3(SYS_OPEN, path, flags, 0644);
		if (fd < 0)
			continue;
		opened++;
		int64_t off = (int64_t)(x >> 3) >> ((x >> 8) % 64);
		lseek((int)fd, off, (int)((x >> 16) % 4));
		read((int)fd, buf, (x >> 24) % sizeof(buf));
		getdents((int)fd, buf, (x >> 32) % sizeof(buf));
		struct stat st;
		fstat((int)fd, &st);
		CHECK_EQ(close((int)fd), 0);
	}
	int fd = open("initfs:/bin/echo", O_RDONLY);	/* still serving */
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	printf("initfsops: 2000 random requests (%d opens) ok\n", opened);
}

int main(void)
{
	utest_begin("initfsops");
	struct ochre_meminfo before, after;
	test_reads();
	test_dirs();
	test_errors();
	test_links();
	test_hostile();
	test_random();

	/* 1000 opens and closes: the daemon's handle table never fills (its
	 * ids are reused), and nothing leaks in the kernel. */
	CHECK_EQ(utest_meminfo(&before), 0);
	for (int i = 0; i < 1000; i++) {
		int fd = open(i % 2 ? "initfs:/bin/echo" : "initfs:/bin", O_RDONLY);
		if (fd < 0) {
			printf("initfsops: FAIL open #%d: %s\n", i, strerror(errno));
			exit(1);
		}
		CHECK_EQ(close(fd), 0);
	}
	CHECK_EQ(utest_meminfo(&after), 0);
	CHECK_EQ(after.heap_live, before.heap_live);
	CHECK_EQ(after.free_frames, before.free_frames);
	printf("initfsops: 1000 open/close cycles ok\n");
	CHECK_EQ(kill(utest_inherited_pids[0], 0), 0);	/* still serving */
	utest_ok();
}

/*
 * The file system calls on every kind of file: initfs (read-only, in the
 * kernel), ramfs (a user-space daemon we start), null:, zero: and sys:.
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[8192];
static int own_ramfs;		/* we started it (not init's, from sh) */

/* Reads a whole small file into buf (NUL-terminated); returns its length. */
static ssize_t slurp(const char *path)
{
	size_t len;
	char *data = utest_read_file(path, &len);
	CHECK(len < sizeof(buf));
	memcpy(buf, data, len + 1);
	free(data);
	return (ssize_t)len;
}

static void test_initfs(void)
{
	struct stat st;
	int fd = open("initfs:/bin/echo", O_RDONLY);
	CHECK(fd >= 3);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK(st.st_size > 64);
	off_t size = st.st_size;

	CHECK_EQ(read(fd, buf, 4), 4);
	CHECK(memcmp(buf, "\177ELF", 4) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(read(fd, buf, 3), 3);
	CHECK(memcmp(buf, "ELF", 3) == 0);
	CHECK_EQ(lseek(fd, -4, SEEK_END), size - 4);
	CHECK_EQ(read(fd, buf, 100), 4);	/* short read at the end */
	CHECK_EQ(read(fd, buf, 100), 0);	/* end of file */
	CHECK_EQ(lseek(fd, size + 100, SEEK_SET), size + 100);
	CHECK_EQ(read(fd, buf, 100), 0);	/* past the end */
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, 0, 7), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), size + 100);	/* unchanged */

	/* Read-only: no writing, creating or removing. */
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_ERR(ftruncate(fd, 0), EBADF);
	CHECK_ERR(open("initfs:/bin/echo", O_WRONLY), EROFS);
	CHECK_ERR(open("initfs:/bin/echo", O_RDWR), EROFS);
	CHECK_ERR(open("initfs:/bin/new", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERR(unlink("initfs:/bin/echo"), EROFS);
	CHECK_ERR(mkdir("initfs:/newdir", 0755), EROFS);
	CHECK_ERR(open("initfs:/nosuch", O_RDONLY), ENOENT);
	CHECK_ERR(open("initfs:/bin/echo", O_RDONLY | O_DIRECTORY), ENOTDIR);

	char path[64];
	CHECK_EQ(fpath(fd, path, sizeof(path)), 16);
	CHECK(strcmp(path, "initfs:/bin/echo") == 0);
	CHECK_EQ(close(fd), 0);

	/* The directory lists the programs. */
	int found = 0;
	DIR *d = opendir("initfs:/bin");
	CHECK(d != NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, "echo") == 0 || strcmp(e->d_name, "fstest") == 0) {
			CHECK_EQ(e->d_type, DT_REG);
			found++;
		}
	}
	CHECK_EQ(errno, 0);
	CHECK_EQ(found, 2);
	CHECK_EQ(closedir(d), 0);

	/* The raw records: each name ends in a NUL inside its record, and the
	 * padding after it is zero (nothing of the kernel's leaks out). */
	static unsigned char raw[4096];
	memset(raw, 0xaa, sizeof(raw));
	fd = open("initfs:/bin", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	ssize_t len = getdents(fd, raw, sizeof(raw));
	CHECK(len > 0);
	for (ssize_t off = 0; off < len;) {
		struct ochre_dirent *r = (struct ochre_dirent *)(raw + off);
		size_t name_off = offsetof(struct ochre_dirent, name);
		CHECK(r->reclen > name_off && off + r->reclen <= len);
		size_t n = strnlen(r->name, r->reclen - name_off);
		CHECK(n > 0 && n < r->reclen - name_off);
		for (size_t i = name_off + n; i < r->reclen; i++)
			CHECK_EQ(raw[off + (ssize_t)i], 0);
		off += r->reclen;
	}
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(stat("initfs:/bin", &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	printf("fstest: initfs ok\n");
}

/* Creating, writing, reading back, seeking. */
static void test_ramfs_files(void)
{
	struct stat st;
	char path[64];
	CHECK_EQ(mkdir("ramfs:/t", 0755), 0);
	CHECK_ERR(mkdir("ramfs:/t", 0755), EEXIST);
	CHECK_ERR(mkdir("ramfs:/nodir/t", 0755), ENOENT);

	int fd = open("ramfs:/t/a", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 3);
	CHECK_ERR(open("ramfs:/t/a", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK_ERR(open("ramfs:/t/nofile", O_RDWR), ENOENT);
	CHECK_ERR(open("ramfs:/nodir/x", O_RDWR | O_CREAT, 0644), ENOENT);

	CHECK_EQ(write(fd, "hello world", 11), 11);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(read(fd, buf, 100), 11);
	CHECK(memcmp(buf, "hello world", 11) == 0);
	CHECK_EQ(lseek(fd, -5, SEEK_END), 6);
	CHECK_EQ(read(fd, buf, 100), 5);
	CHECK(memcmp(buf, "world", 5) == 0);
	CHECK_EQ(lseek(fd, -3, SEEK_CUR), 8);
	CHECK_EQ(read(fd, buf, 100), 3);
	CHECK(memcmp(buf, "rld", 3) == 0);
	CHECK_ERR(lseek(fd, -12, SEEK_END), EINVAL);
	CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
	CHECK_EQ(write(fd, "XY", 2), 2);
	CHECK_EQ(lseek(fd, 20, SEEK_SET), 20);	/* a hole reads as zeros */
	CHECK_EQ(write(fd, "Z", 1), 1);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0644);
	CHECK_EQ(st.st_size, 21);
	CHECK(st.st_ino != 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(read(fd, buf, 100), 21);
	CHECK(memcmp(buf, "heXYo world\0\0\0\0\0\0\0\0\0Z", 21) == 0);

	CHECK_EQ(fpath(fd, path, sizeof(path)), 10);
	CHECK(strcmp(path, "ramfs:/t/a") == 0);
	CHECK_EQ(fsync(fd), 0);

	/* ftruncate grows with zeros and shrinks. */
	CHECK_EQ(ftruncate(fd, 5000), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 5000);
	CHECK_EQ(lseek(fd, 4990, SEEK_SET), 4990);
	memset(buf, 0xaa, 10);
	CHECK_EQ(read(fd, buf, 100), 10);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(ftruncate(fd, 3), 0);
	CHECK_EQ(stat("ramfs:/t/a", &st), 0);
	CHECK_EQ(st.st_size, 3);
	CHECK_EQ(close(fd), 0);

	/* O_TRUNC empties; O_RDONLY and O_WRONLY are enforced. */
	fd = open("ramfs:/t/a", O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_ERR(read(fd, buf, 1), EBADF);
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(close(fd), 0);
	fd = open("ramfs:/t/a", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_ERR(ftruncate(fd, 0), EBADF);
	CHECK_EQ(read(fd, buf, 10), 3);
	CHECK_EQ(close(fd), 0);

	/* O_APPEND writes at the end, whatever the offset. */
	int a = open("ramfs:/t/log", O_WRONLY | O_CREAT | O_APPEND, 0600);
	int b = open("ramfs:/t/log", O_WRONLY);
	CHECK(a >= 0 && b >= 0);
	CHECK_EQ(write(a, "ab", 2), 2);
	CHECK_EQ(write(b, "XYZW", 4), 4);	/* b's offset is 0: overwrites */
	CHECK_EQ(write(a, "cd", 2), 2);
	CHECK_EQ(lseek(a, 0, SEEK_CUR), 6);	/* left at the end (POSIX) */
	CHECK_EQ(close(a), 0);
	CHECK_EQ(close(b), 0);
	CHECK_EQ(slurp("ramfs:/t/log"), 6);
	CHECK(strcmp(buf, "XYZWcd") == 0);
	printf("fstest: ramfs files ok\n");
}

/* A file bigger than one request (SCHEME_MAX_PAYLOAD) survives intact. */
static void test_ramfs_big(void)
{
	enum { SIZE = 200 * 1024 };
	static char data[SIZE], back[SIZE];
	for (int i = 0; i < SIZE; i++)
		data[i] = (char)(i * 7 + i / 4096);
	int fd = open("ramfs:/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write_all(fd, data, SIZE), SIZE);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	size_t got = 0;
	ssize_t n;
	while ((n = read(fd, back + got, SIZE - got)) > 0)
		got += (size_t)n;
	CHECK_EQ(n, 0);
	CHECK_EQ(got, SIZE);
	CHECK(memcmp(data, back, SIZE) == 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(unlink("ramfs:/big"), 0);
	printf("fstest: ramfs big file ok\n");
}

/* Directories: listing, errors, removal. */
static void test_ramfs_dirs(void)
{
	char name[64];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "ramfs:/t/file%02d", i);
		int fd = open(name, O_WRONLY | O_CREAT, 0644);
		CHECK(fd >= 0);
		CHECK_EQ(close(fd), 0);
	}
	CHECK_EQ(mkdir("ramfs:/t/sub", 0700), 0);

	/* Raw getdents with a small buffer: several calls, every name once. */
	int seen[40] = { 0 }, others = 0, calls = 0;
	int dfd = open("ramfs:/t", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	static char dbuf[128] __attribute__((aligned(8)));
	ssize_t n;
	while ((n = getdents(dfd, dbuf, sizeof(dbuf))) > 0) {
		calls++;
		for (ssize_t off = 0; off < n;) {
			struct ochre_dirent *d = (struct ochre_dirent *)(dbuf + off);
			CHECK(d->reclen >= sizeof(*d) && d->reclen % 8 == 0);
			if (strncmp(d->name, "file", 4) == 0) {
				int i = atoi(d->name + 4);
				CHECK(i >= 0 && i < 40);
				CHECK_EQ(d->type, DT_REG);
				seen[i]++;
			} else {
				CHECK(strcmp(d->name, "a") == 0 ||
				      strcmp(d->name, "log") == 0 ||
				      strcmp(d->name, "sub") == 0);
				if (strcmp(d->name, "sub") == 0)
					CHECK_EQ(d->type, DT_DIR);
				others++;
			}
			off += d->reclen;
		}
	}
	CHECK_EQ(n, 0);
	CHECK(calls > 1);
	CHECK_EQ(others, 3);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);	/* rewind */
	CHECK_ERR(getdents(dfd, dbuf, 8), EINVAL);	/* not one entry fits */
	CHECK(getdents(dfd, dbuf, sizeof(dbuf)) > 0);
	CHECK_ERR(read(dfd, buf, 10), EISDIR);
	struct stat st;
	CHECK_EQ(fstat(dfd, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_size, 43);
	CHECK_EQ(close(dfd), 0);

	CHECK_ERR(open("ramfs:/t", O_RDWR), EISDIR);
	CHECK_ERR(open("ramfs:/t/a", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open("ramfs:/t/a/x", O_RDWR | O_CREAT, 0644), ENOTDIR);

	/* A removed file stays readable through an fd opened before. */
	int fd = open("ramfs:/t/log", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(getdents(fd, dbuf, sizeof(dbuf)), ENOTDIR);
	CHECK_EQ(unlink("ramfs:/t/log"), 0);
	CHECK_ERR(open("ramfs:/t/log", O_RDONLY), ENOENT);
	CHECK_ERR(unlink("ramfs:/t/log"), ENOENT);
	CHECK_EQ(read(fd, buf, 100), 6);
	CHECK(memcmp(buf, "XYZWcd", 6) == 0);
	CHECK_EQ(close(fd), 0);

	CHECK_ERR(unlink("ramfs:/t"), EISDIR);
	CHECK_ERR(rmdir("ramfs:/t"), ENOTEMPTY);
	CHECK_ERR(rmdir("ramfs:/t/a"), ENOTDIR);
	CHECK_ERR(rmdir("ramfs:/t/nosuch"), ENOENT);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "ramfs:/t/file%02d", i);
		CHECK_EQ(unlink(name), 0);
	}
	CHECK_EQ(unlink("ramfs:/t/a"), 0);
	CHECK_EQ(rmdir("ramfs:/t/sub"), 0);
	CHECK_EQ(rmdir("ramfs:/t"), 0);
	CHECK_ERR(rmdir("ramfs:/t"), ENOENT);
	CHECK_ERR(stat("ramfs:/t", &st), ENOENT);

	/* The root is empty again (when the daemon is ours alone). */
	if (!own_ramfs)
		return;
	DIR *d = opendir("ramfs:/");
	CHECK(d != NULL);
	CHECK(readdir(d) == NULL);
	CHECK_EQ(errno, 0);
	CHECK_EQ(closedir(d), 0);
	printf("fstest: ramfs directories ok\n");
}

static void test_kernel_schemes(void)
{
	int fd = open("null:", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, 100), 0);
	CHECK_EQ(write(fd, "gone", 4), 4);
	CHECK_EQ(close(fd), 0);

	fd = open("zero:", O_RDONLY);
	CHECK(fd >= 0);
	memset(buf, 0xaa, 1000);
	CHECK_EQ(read(fd, buf, 1000), 1000);
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(close(fd), 0);

	static const char *sys[] = { "sys:/uname", "sys:/frames", "sys:/contexts" };
	for (int i = 0; i < 3; i++) {
		ssize_t n = slurp(sys[i]);
		CHECK(n > 0);
		if (i == 0)
			printf("fstest: uname: %s", buf);
	}
	printf("fstest: null, zero, sys ok\n");
}

int main(void)
{
	static char *ramfs_argv[] = { "ramfs", NULL };
	utest_begin("fstest");
	test_initfs();
	pid_t ramfs = scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs");
	CHECK(ramfs > 0 || errno == EEXIST);	/* EEXIST: init's, from sh */
	own_ramfs = ramfs > 0;
	test_ramfs_files();
	test_ramfs_big();
	test_ramfs_dirs();
	test_kernel_schemes();
	if (ramfs > 0) {
		CHECK_EQ(kill(ramfs, SIGKILL), 0);
		CHECK_EQ(waitpid(ramfs, NULL, 0), ramfs);
	}
	utest_ok();
}

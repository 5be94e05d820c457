/*
 * Lab 5: chdir, fchdir and getcwd in libc (HANDOUT-libc.md "the cwd").
 * Relative, absolute and cross-scheme changes; ".." at a scheme root; a
 * failed chdir leaves the cwd as it was and no fd behind; getcwd's sizes.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre_path.h>
#include <ochre_scheme.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char cwd[PATH_MAX];

static void cwd_is(int line, const char *want)
{
	if (!getcwd(cwd, sizeof(cwd))) {
		printf("cwdtest: FAIL line %d: getcwd: %s\n", line, strerror(errno));
		exit(1);
	}
	if (strcmp(cwd, want) != 0) {
		printf("cwdtest: FAIL line %d: cwd is \"%s\", expected \"%s\"\n",
		       line, cwd, want);
		exit(1);
	}
}
#define CWD_IS(w)	cwd_is(__LINE__, w)

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

int main(void)
{
	utest_begin("cwdtest");
	static char *ramfs_argv[] = { "ramfs", NULL };
	CHECK(scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs") > 0);
	uint64_t fds = open_fds();

	/* Relative and absolute, within initfs. */
	CWD_IS("initfs:/");
	CHECK_EQ(chdir("bin"), 0);
	CWD_IS("initfs:/bin");
	CHECK_EQ(chdir(".."), 0);
	CWD_IS("initfs:/");
	CHECK_EQ(chdir(".."), 0);		/* ".." at a scheme root stays */
	CWD_IS("initfs:/");
	CHECK_EQ(chdir("../../bin/./"), 0);
	CWD_IS("initfs:/bin");
	CHECK_EQ(chdir("/"), 0);		/* the root of the cwd's scheme */
	CWD_IS("initfs:/");

	/* Across schemes, and relative paths in the new one. */
	CHECK_EQ(chdir("ramfs:"), 0);
	CWD_IS("ramfs:/");
	CHECK_EQ(mkdir("d", 0755), 0);
	CHECK_EQ(mkdir("d/e", 0755), 0);
	CHECK_EQ(chdir("d/e"), 0);
	CWD_IS("ramfs:/d/e");
	CHECK_ERR(chdir("/bin"), ENOENT);	/* ramfs:/bin: none */
	CWD_IS("ramfs:/d/e");
	CHECK_EQ(chdir("../.."), 0);
	CWD_IS("ramfs:/");
	CHECK_EQ(chdir(".."), 0);
	CWD_IS("ramfs:/");
	CHECK_EQ(chdir("initfs:/bin"), 0);
	CWD_IS("initfs:/bin");
	int fd = open("echo", O_RDONLY);	/* relative to the new cwd */
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(chdir("ramfs:/d"), 0);
	CWD_IS("ramfs:/d");
	printf("cwdtest: chdir across schemes ok\n");

	/* Failures leave the cwd as it was. */
	int f = open("file", O_CREAT | O_RDWR, 0644);
	CHECK(f >= 0);
	CHECK_EQ(close(f), 0);
	CHECK_ERR(chdir("file"), ENOTDIR);
	CHECK_ERR(chdir("file/"), ENOTDIR);
	CHECK_ERR(chdir("initfs:/bin/echo"), ENOTDIR);
	CHECK_ERR(chdir("nosuch"), ENOENT);
	CHECK_ERR(chdir("e/nosuch/x"), ENOENT);
	/* ".." is lexical (not POSIX): "nosuch/.." is the cwd itself. */
	CHECK_EQ(chdir("nosuch/.."), 0);
	CHECK_ERR(chdir(""), ENOENT);
	CHECK_ERR(chdir("nosuchscheme:/"), ENOENT);
	CHECK_ERR(chdir("Bad:/x"), EINVAL);
	CHECK_ERR(chdir(NULL), EFAULT);
	CHECK_ERR(chdir((const char *)0xffffffff80000000UL), EFAULT);
	CWD_IS("ramfs:/d");
	/* ... and no fd behind, even after many. */
	for (int i = 0; i < 100; i++) {
		CHECK(chdir(i % 2 ? "file" : "nosuch") < 0);
		CHECK(errno == (i % 2 ? ENOTDIR : ENOENT));
	}
	CHECK_EQ(open_fds(), fds);
	CWD_IS("ramfs:/d");
	/* A directory removed under the cwd: the cwd is only a name. */
	CHECK_EQ(chdir("e"), 0);
	CHECK_EQ(rmdir("ramfs:/d/e"), 0);
	CWD_IS("ramfs:/d/e");
	CHECK_ERR(open(".", O_RDONLY | O_DIRECTORY), ENOENT);
	CHECK_EQ(chdir(".."), 0);
	CWD_IS("ramfs:/d");
	printf("cwdtest: failed chdirs change nothing ok\n");

	/* fchdir: by an open directory. */
	int dir = open("initfs:/bin", O_RDONLY | O_DIRECTORY);
	CHECK(dir >= 0);
	CHECK_EQ(fchdir(dir), 0);
	CWD_IS("initfs:/bin");
	CHECK_EQ(close(dir), 0);
	int file = open("echo", O_RDONLY);
	CHECK(file >= 0);
	CHECK_ERR(fchdir(file), ENOTDIR);
	CHECK_EQ(close(file), 0);
	CHECK_ERR(fchdir(file), EBADF);
	CHECK_ERR(fchdir(-1), EBADF);
	CWD_IS("initfs:/bin");
	CHECK_EQ(open_fds(), fds);
	printf("cwdtest: fchdir ok\n");

	/* getcwd's sizes: "initfs:/bin" is 11 bytes, 12 with the NUL. */
	char small[16];
	memset(small, 'x', sizeof(small));
	CHECK(getcwd(small, 12) == small);
	CHECK(strcmp(small, "initfs:/bin") == 0);
	CHECK_EQ(small[12], 'x');		/* nothing past the NUL */
	errno = 0;
	CHECK(getcwd(small, 11) == NULL);
	CHECK_EQ(errno, ERANGE);
	errno = 0;
	CHECK(getcwd(small, 1) == NULL);
	CHECK_EQ(errno, ERANGE);
	errno = 0;
	CHECK(getcwd(small, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	char *m = getcwd(NULL, 0);		/* as big as needed */
	CHECK(m && strcmp(m, "initfs:/bin") == 0);
	free(m);
	errno = 0;
	CHECK(getcwd(NULL, 5) == NULL);
	CHECK_EQ(errno, ERANGE);
	printf("cwdtest: getcwd sizes ok\n");

	/* 1000 random paths: chdir either works or fails with a path errno;
	 * the cwd is always canonical and names a directory; no fd stays. */
	static const char *pieces[] = { "..", ".", "/", "//", "bin", "d", "e",
					"ramfs:", "initfs:", "nosuch", "echo",
					"Bad:", ":", "file", "x:y", "lnk:" };
	unsigned long long rng = 5;
	for (int i = 0; i < 1000; i++) {
		char p[64] = "";
		int parts = 1 + (int)(rng >> 60) % 6;
		for (int k = 0; k < parts; k++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			strcat(p, pieces[(rng >> 33) % 16]);
			if ((rng >> 40) & 1)
				strcat(p, "/");
		}
		errno = 0;
		if (chdir(p) < 0 && errno != ENOENT && errno != ENOTDIR &&
		    errno != EINVAL) {
			printf("cwdtest: FAIL chdir(\"%s\"): errno %d (%s)\n", p,
			       errno, strerror(errno));
			exit(1);
		}
		CHECK(getcwd(cwd, sizeof(cwd)) == cwd);
		CHECK(path_is_canonical(cwd));
		int dfd = open(".", O_RDONLY | O_DIRECTORY);
		CHECK(dfd >= 0);
		CHECK_EQ(close(dfd), 0);
	}
	CHECK_EQ(open_fds(), fds);
	printf("cwdtest: 1000 random chdirs ok (cwd %s)\n", cwd);
	utest_ok();
}

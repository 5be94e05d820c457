/*
 * Lab 5: libc's path_canon in the guest (HANDOUT-libc.md, the table of
 * "path_canon"): the host table again, compiled as libc is; then the same
 * rules through the real cwd (chdir + open + fpath, realpath).
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre_path.h>
#include <ochre_scheme.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#define DIR	"+DIR"

struct row {
	const char *base, *path, *want;	/* canonical [+DIR], or an errno name */
};

static const struct row table[] = {
	{ "ramfs:/a/b", "x", "ramfs:/a/b/x" },
	{ "ramfs:/a/b", ".", "ramfs:/a/b" DIR },
	{ "ramfs:/a/b", "..", "ramfs:/a" DIR },
	{ "ramfs:/a/b", "./x/", "ramfs:/a/b/x" DIR },
	{ "ramfs:/a/b", "../x", "ramfs:/a/x" },
	{ "ramfs:/a/b", "../../../../x", "ramfs:/x" },
	{ "ramfs:/a/b", "x//../y", "ramfs:/a/b/y" },
	{ "ramfs:/a/b", "x/./y/.", "ramfs:/a/b/x/y" DIR },
	{ "ramfs:/a/b", "x/..", "ramfs:/a/b" DIR },
	{ "ramfs:/a/b", "/", "ramfs:/" },
	{ "ramfs:/a/b", "//", "ramfs:/" },
	{ "ramfs:/a/b", "///x", "ramfs:/x" },
	{ "ramfs:/a/b", "//x//y/", "ramfs:/x/y" DIR },
	{ "ramfs:/a/b", "/x/./y/../z", "ramfs:/x/z" },
	{ "ramfs:/a/b", "/..", "ramfs:/" DIR },
	{ "ramfs:/a/b", "initfs:", "initfs:/" },
	{ "ramfs:/a/b", "initfs:/", "initfs:/" },
	{ "ramfs:/a/b", "initfs:bin/init", "initfs:/bin/init" },
	{ "ramfs:/a/b", "initfs:/../../x", "initfs:/x" },
	{ "ramfs:/a/b", "initfs:bin/../bin/init", "initfs:/bin/init" },
	{ "ramfs:/a/b", "a:b", "a:/b" },
	{ "ramfs:/a/b", "a-b_c.d:/q", "a-b_c.d:/q" },
	{ "ramfs:/a/b", "a:b:/c", "a:/b:/c" },
	{ "ramfs:/a/b", "./a:b", "ramfs:/a/b/a:b" },
	{ "ramfs:/a/b", "x/y:z", "ramfs:/a/b/x/y:z" },
	{ "ramfs:/a/b", "Bad:x", "EINVAL" },
	{ "ramfs:/a/b", ":/x", "EINVAL" },
	{ "ramfs:/a/b", "bad name:/x", "EINVAL" },
	{ "ramfs:/a/b", "abcdefghijklmnopqrstuvwxyz012345:/x", "EINVAL" },
	{ "ramfs:/a/b", "", "ENOENT" },
	{ "initfs:/", "..", "initfs:/" DIR },
	{ "initfs:/", "../../..", "initfs:/" DIR },
	{ "initfs:/", "bin/", "initfs:/bin" DIR },
	{ "initfs:/", ".", "initfs:/" DIR },
	{ NULL, "x", "EINVAL" },
	{ NULL, "ramfs:/x/", "ramfs:/x" DIR },
	{ "ramfs:", "x", "EINVAL" },
	{ "ramfs:/a/", "x", "EINVAL" },
	{ "debug:/", "x/../..", "debug:/" DIR },
	{ "x.y:/deep/er/still", "../../z", "x.y:/deep/z" },
};

static char out[PATH_MAX], got[PATH_MAX + 8];

static const char *show(int n, unsigned info)
{
	if (n == -ENOENT)
		return "ENOENT";
	if (n == -EINVAL)
		return "EINVAL";
	if (n == -ENAMETOOLONG)
		return "ENAMETOOLONG";
	if (n < 0) {
		snprintf(got, sizeof(got), "error %d", -n);
		return got;
	}
	snprintf(got, sizeof(got), "%s%s", out, info & PATH_TRAILING_DIR ? DIR : "");
	return got;
}

static void check(const char *base, const char *path, const char *want,
		  int n, unsigned info)
{
	const char *g = show(n, info);
	if (strcmp(g, want) != 0) {
		printf("canontest: FAIL base \"%s\" path \"%s\": got \"%s\", "
		       "expected \"%s\"\n", base ? base : "(none)", path, g, want);
		exit(1);
	}
}

/* The path fd was opened as is canon. */
static void opens_as(const char *path, int flags, const char *canon)
{
	int fd = open(path, flags);
	if (fd < 0) {
		printf("canontest: FAIL open(\"%s\"): %s\n", path, strerror(errno));
		exit(1);
	}
	ssize_t n = fpath(fd, got, sizeof(got));
	CHECK(n > 0);
	if (strcmp(got, canon) != 0) {
		printf("canontest: FAIL \"%s\" opened as \"%s\", expected \"%s\"\n",
		       path, got, canon);
		exit(1);
	}
	CHECK_EQ(close(fd), 0);
}

int main(void)
{
	utest_begin("canontest");
	size_t rows = sizeof(table) / sizeof(table[0]);
	for (size_t i = 0; i < rows; i++) {
		unsigned info = 0;
		int n = path_canon(table[i].base, table[i].path, out, &info);
		check(table[i].base, table[i].path, table[i].want, n, info);
		CHECK(n < 0 || path_is_canonical(out));
	}
	printf("canontest: %zu rows of the table ok\n", rows);

	/* The same rules through the real cwd. */
	static char *ramfs_argv[] = { "ramfs", NULL };
	CHECK(scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs") > 0);
	CHECK_EQ(mkdir("ramfs:/a", 0755), 0);
	CHECK_EQ(mkdir("ramfs:/a/b", 0755), 0);
	CHECK_EQ(mkdir("ramfs:/x", 0755), 0);
	CHECK_EQ(chdir("ramfs:/a/b"), 0);
	size_t live = 0;
	for (size_t i = 0; i < rows; i++) {
		if (!table[i].base || strcmp(table[i].base, "ramfs:/a/b") != 0)
			continue;
		unsigned info = 0;
		int n = __path_resolve(table[i].path, out, &info) < 0 ? -errno : 0;
		check("cwd ramfs:/a/b", table[i].path, table[i].want, n, info);
		live++;
	}
	printf("canontest: %zu rows through the cwd ok\n", live);

	int fd = open("f", O_CREAT | O_RDWR, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	opens_as("f", O_RDONLY, "ramfs:/a/b/f");
	opens_as("./f", O_RDONLY, "ramfs:/a/b/f");
	opens_as("../b/./f", O_RDONLY, "ramfs:/a/b/f");
	opens_as("/a//b/f", O_RDONLY, "ramfs:/a/b/f");
	opens_as("../../../../a/b/f", O_RDONLY, "ramfs:/a/b/f");
	opens_as("..", O_RDONLY | O_DIRECTORY, "ramfs:/a");
	opens_as("/", O_RDONLY | O_DIRECTORY, "ramfs:/");
	opens_as("initfs:bin/../bin/echo", O_RDONLY, "initfs:/bin/echo");
	opens_as("initfs:/../../bin//echo", O_RDONLY, "initfs:/bin/echo");
	/* A trailing slash means "a directory": a file so named is not. */
	CHECK_ERR(open("f/", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("f/.", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(open("Bad:x", O_RDONLY), EINVAL);
	/* realpath: the canonical name of what exists. */
	CHECK(realpath("f", out) == out);
	CHECK(strcmp(out, "ramfs:/a/b/f") == 0);
	CHECK(realpath("..", out) == out);
	CHECK(strcmp(out, "ramfs:/a") == 0);
	char *m = realpath("initfs:/bin/../bin/./ls", NULL);
	CHECK(m && strcmp(m, "initfs:/bin/ls") == 0);
	free(m);
	CHECK(realpath("nosuch", out) == NULL);
	CHECK_EQ(errno, ENOENT);
	/* unlink, mkdir, rmdir canonicalize too. */
	CHECK_EQ(mkdir("../b/./sub/", 0755), 0);
	opens_as("sub", O_RDONLY | O_DIRECTORY, "ramfs:/a/b/sub");
	CHECK_EQ(rmdir("./sub/"), 0);
	CHECK_EQ(unlink("../b/f"), 0);
	CHECK_ERR(open("ramfs:/a/b/f", O_RDONLY), ENOENT);
	CHECK_ERR(unlink(NULL), EFAULT);
	CHECK_ERR(mkdir("", 0755), ENOENT);
	printf("canontest: open, realpath, mkdir, rmdir, unlink ok\n");
	utest_ok();
}

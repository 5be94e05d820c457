/*
 * Lab 5: ENAMETOOLONG and ERANGE at the limits of libc's paths: PATH_MAX
 * (4096 bytes with the NUL), NAME_MAX (255 bytes), a long cwd plus a
 * relative path, a deep directory and a small getcwd buffer. (Over-long
 * link targets are in linktest.) The kernel may have a smaller limit of
 * its own; libc's are checked through __path_resolve, which is what every
 * path-taking call uses before the kernel sees anything.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre_path.h>
#include <ochre_scheme.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[PATH_MAX + 64], out[PATH_MAX], cwd[PATH_MAX];

/* path = n bytes: components of `comp` bytes of c, separated by '/'. */
static const char *make(size_t n, size_t comp, char c)
{
	for (size_t i = 0; i < n; i++)
		path[i] = (i + 1) % (comp + 1) == 0 ? '/' : c;
	if (n && path[n - 1] == '/')
		path[n - 1] = c;
	path[n] = '\0';
	return path;
}

int main(void)
{
	utest_begin("longpath");
	static char *ramfs_argv[] = { "ramfs", NULL };
	CHECK(scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs") > 0);

	/* A whole path of PATH_MAX bytes (no room for the NUL). */
	make(PATH_MAX, 100, 'a');
	memcpy(path, "ramfs:/", 7);
	CHECK_ERR(__path_resolve(path, out, NULL), ENAMETOOLONG);
	CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
	CHECK_ERR(chdir(path), ENAMETOOLONG);
	CHECK_ERR(mkdir(path, 0755), ENAMETOOLONG);
	CHECK_ERR(unlink(path), ENAMETOOLONG);
	/* One byte less is a path libc can make canonical. */
	path[PATH_MAX - 1] = '\0';
	CHECK_EQ(__path_resolve(path, out, NULL), 0);
	CHECK_EQ(strlen(out), PATH_MAX - 1);
	/* A relative path that collapses is measured after "..". */
	path[0] = '\0';
	for (int i = 0; i < 700; i++)
		strcat(path, "a/../");
	strcat(path, "x");
	CHECK_EQ(__path_resolve(path, out, NULL), 0);
	CHECK(strcmp(out, "initfs:/x") == 0);
	printf("longpath: PATH_MAX ok\n");

	/* NAME_MAX: 255 bytes is a name, 256 is not. */
	make(255, 255, 'n');
	CHECK_EQ(__path_resolve(path, out, NULL), 0);
	make(256, 256, 'n');
	CHECK_ERR(__path_resolve(path, out, NULL), ENAMETOOLONG);
	CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
	snprintf(out, sizeof(out), "ramfs:/%s", path);
	CHECK_ERR(mkdir(out, 0755), ENAMETOOLONG);
	snprintf(out, sizeof(out), "ramfs:/%s/..", path);	/* even if ".." follows */
	CHECK_ERR(chdir(out), ENAMETOOLONG);
	printf("longpath: NAME_MAX ok\n");

	/* A deep cwd: relative paths add to it. */
	CHECK_EQ(chdir("ramfs:/"), 0);
	for (int i = 0; i < 4; i++) {
		make(50, 50, (char)('p' + i));
		CHECK_EQ(mkdir(path, 0755), 0);
		CHECK_EQ(chdir(path), 0);
	}
	CHECK(getcwd(cwd, sizeof(cwd)) == cwd);
	size_t len = strlen(cwd);
	CHECK_EQ(len, 7 + 4 * 51 - 1);
	make(PATH_MAX - len - 1, 200, 'r');	/* cwd + '/' + this = PATH_MAX */
	CHECK_ERR(__path_resolve(path, out, NULL), ENAMETOOLONG);
	CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
	CHECK_ERR(chdir(path), ENAMETOOLONG);
	path[strlen(path) - 1] = '\0';		/* one less: fits */
	CHECK_EQ(__path_resolve(path, out, NULL), 0);
	CHECK_EQ(strlen(out), PATH_MAX - 1);
	char small[64];
	CHECK(getcwd(small, sizeof(small)) == NULL);
	CHECK_EQ(errno, ERANGE);
	CHECK(getcwd(cwd, len) == NULL);
	CHECK_EQ(errno, ERANGE);
	CHECK(getcwd(cwd, len + 1) == cwd);
	CHECK_EQ(strlen(cwd), len);
	printf("longpath: long cwd ok\n");
	utest_ok();
}

/*
 * Paths: "scheme:/path", checked and made canonical by the kernel in
 * lab 3. Malformed ones are refused with the right errno; relative ones,
 * "." and ".." resolve against the current directory (chdir/getcwd).
 */
#include "utest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Opens path and checks that the kernel canonicalized it to canon. */
static void opens_as(const char *path, const char *canon)
{
	char got[OCHRE_PATH_MAX];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("pathtest: FAIL open(\"%s\"): %s\n", path, strerror(errno));
		exit(1);
	}
	CHECK(fpath(fd, got, sizeof(got)) > 0);
	if (strcmp(got, canon) != 0) {
		printf("pathtest: FAIL \"%s\" opened as \"%s\", expected \"%s\"\n",
		       path, got, canon);
		exit(1);
	}
	CHECK_EQ(close(fd), 0);
}

static void cwd_is(const char *expected)
{
	char cwd[OCHRE_PATH_MAX];
	CHECK(getcwd(cwd, sizeof(cwd)) == cwd);
	if (strcmp(cwd, expected) != 0) {
		printf("pathtest: FAIL cwd is \"%s\", expected \"%s\"\n", cwd,
		       expected);
		exit(1);
	}
}

int main(void)
{
	utest_begin("pathtest");
	char path[400];

	/* Malformed. */
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(open(":", O_RDONLY), EINVAL);		/* empty scheme name */
	CHECK_ERR(open(":/x", O_RDONLY), EINVAL);
	CHECK_ERR(open("nosuch:/x", O_RDONLY), ENOENT);
	CHECK_ERR(open("bad name:/x", O_RDONLY), EINVAL);
	CHECK_ERR(open("UPPER:/x", O_RDONLY), EINVAL);
	CHECK_ERR(open("a-very-long-scheme-name-of-40-chars-xxxx:/x", O_RDONLY),
		  EINVAL);
	CHECK_ERR(open((const char *)0xffffffff80100000UL, O_RDONLY), EFAULT);
	CHECK_ERR(open(NULL, O_RDONLY), EFAULT);
	CHECK_ERR(open("initfs:/bin/echo", 0x3), EINVAL);	/* O_ACCMODE */
	CHECK_ERR(open("initfs:/bin/echo", 0x40000000), EINVAL); /* unknown flag */
	memset(path, 'a', 300);
	memcpy(path, "initfs:/", 8);
	path[300] = '\0';
	CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
	CHECK_ERR(chdir(path), ENAMETOOLONG);
	CHECK_ERR(unlink(path), ENAMETOOLONG);
	path[OCHRE_PATH_MAX - 1] = '\0';	/* 255 characters: fits, no file */
	CHECK_ERR(open(path, O_RDONLY), ENOENT);
	CHECK_ERR(open("initfs:/nosuchdir/echo", O_RDONLY), ENOENT);
	printf("pathtest: malformed paths ok\n");

	/* Canonical forms of absolute paths. */
	opens_as("initfs:/bin/echo", "initfs:/bin/echo");
	opens_as("initfs:bin/echo", "initfs:/bin/echo");
	opens_as("initfs://bin///echo", "initfs:/bin/echo");
	opens_as("initfs:/bin/./echo", "initfs:/bin/echo");
	opens_as("initfs:/bin/../bin/echo", "initfs:/bin/echo");
	opens_as("initfs:/../../bin/echo", "initfs:/bin/echo");	/* stops at / */
	opens_as("null:", "null:/");

	/* Relative paths from the cwd. */
	cwd_is("initfs:/");
	opens_as("bin/echo", "initfs:/bin/echo");
	CHECK_EQ(chdir("initfs:/bin"), 0);
	cwd_is("initfs:/bin");
	opens_as("echo", "initfs:/bin/echo");
	opens_as("./echo", "initfs:/bin/echo");
	opens_as("../bin/./echo", "initfs:/bin/echo");
	opens_as("/bin/echo", "initfs:/bin/echo");	/* root of the cwd's scheme */
	opens_as(".", "initfs:/bin");
	opens_as("..", "initfs:/");
	struct stat st;
	CHECK_EQ(stat("echo", &st), 0);
	CHECK(S_ISREG(st.st_mode));

	/* chdir: only to directories; a failure leaves the cwd alone. */
	CHECK_ERR(chdir("echo"), ENOTDIR);
	CHECK_ERR(chdir("initfs:/nosuch"), ENOENT);
	CHECK_ERR(chdir("nosuch:/"), ENOENT);
	CHECK_ERR(chdir(""), ENOENT);
	cwd_is("initfs:/bin");
	CHECK_EQ(chdir(".."), 0);
	cwd_is("initfs:/");
	CHECK_EQ(chdir("bin/"), 0);
	cwd_is("initfs:/bin");

	/* getcwd needs room for the NUL. */
	char small[12];
	CHECK(getcwd(small, 12) == small);		/* "initfs:/bin" is 11 */
	CHECK(getcwd(small, 11) == NULL);
	CHECK_EQ(errno, ERANGE);

	/* The cwd is inherited by a child and used by its execve. */
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "true", NULL };
		execv("./true", argv);
		_exit(42);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	/* A child's chdir is its own. */
	pid = fork();
	if (pid == 0)
		_exit(chdir("initfs:/") == 0 ? 0 : 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	cwd_is("initfs:/bin");
	printf("pathtest: relative paths and cwd ok\n");
	utest_ok();
}

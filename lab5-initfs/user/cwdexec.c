/*
 * Lab 5: the cwd through fork and exec. fork copies libc's cwd with the
 * rest of memory; exec passes it in the auxv (AT_OCHRE_CWD), where the new
 * program's libc finds it before main. /bin/pwd prints it; the shell's cd
 * is its own.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre_path.h>
#include <ochre_scheme.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/auxv.h>

static char out[4096];

/* Runs argv[0] (a path) with stdout into a pipe; returns its output. */
static const char *run(char *const argv[])
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		printf("exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	CHECK_EQ(close(p[1]), 0);
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	CHECK_EQ(close(p[0]), 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (status != 0) {
		printf("cwdexec: FAIL %s exited with %#x: %s\n", argv[0], status, out);
		exit(1);
	}
	return out;
}

/* Is name one of the lines of text? */
static int has_line(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		if (strncmp(l, name, n) == 0 && l[n] == '\n')
			return 1;
	return 0;
}

static void output_is(int line, const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		printf("cwdexec: FAIL line %d: printed \"%s\", expected \"%s\"\n",
		       line, got, want);
		exit(1);
	}
}
#define OUTPUT_IS(g, w)	output_is(__LINE__, g, w)

int main(void)
{
	utest_begin("cwdexec");
	static char *ramfs_argv[] = { "ramfs", NULL };
	CHECK(scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs") > 0);
	char cwd[PATH_MAX];

	/* We were exec'ed by bootstrap: our cwd came in the auxv too. */
	const char *aux = (const char *)getauxval(AT_OCHRE_CWD);
	CHECK(aux && strcmp(aux, "initfs:/") == 0);

	/* fork: the child starts where the parent is; its chdir is its own. */
	CHECK_EQ(mkdir("ramfs:/d", 0755), 0);
	CHECK_EQ(chdir("ramfs:/d"), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "ramfs:/d") != 0)
			_exit(1);
		_exit(chdir("initfs:/bin") == 0 ? 0 : 2);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "ramfs:/d") == 0);
	printf("cwdexec: fork ok\n");

	/* exec: /bin/pwd prints the cwd it was given. */
	char *pwd[] = { "initfs:/bin/pwd", NULL };
	OUTPUT_IS(run(pwd), "ramfs:/d\n");
	CHECK_EQ(chdir("initfs:/bin"), 0);
	char *rel[] = { "./pwd", NULL };	/* exec by a relative name */
	OUTPUT_IS(run(rel), "initfs:/bin\n");
	char *up[] = { "../bin/pwd", NULL };
	OUTPUT_IS(run(up), "initfs:/bin\n");
	CHECK_EQ(chdir("/"), 0);
	char *abs[] = { "/bin/pwd", NULL };	/* the cwd's scheme: initfs */
	OUTPUT_IS(run(abs), "initfs:/\n");
	/* A deep, long cwd travels whole. */
	static const char *long_dir = "ramfs:/d/a-rather-long-directory-name-"
		"that-makes-the-auxv-string-longer-than-a-few-words";
	CHECK_EQ(mkdir(long_dir, 0755), 0);
	CHECK_EQ(chdir(long_dir), 0);
	snprintf(cwd, sizeof(cwd), "%s\n", long_dir);
	OUTPUT_IS(run(pwd), cwd);
	printf("cwdexec: exec ok\n");

	/* The shell: cd and relative paths, in its own process. */
	CHECK_EQ(chdir("initfs:/"), 0);
	char *sh_ls[] = { "initfs:/bin/sh", "-c", "cd /bin; ls", NULL };
	const char *ls = run(sh_ls);
	CHECK(has_line(ls, "pwd") && has_line(ls, "echo") && has_line(ls, "sh"));
	char *sh_up[] = { "initfs:/bin/sh", "-c", "cd initfs:/bin; cd ..; pwd", NULL };
	OUTPUT_IS(run(sh_up), "initfs:/\n");
	char *sh_x[] = { "initfs:/bin/sh", "-c",
			 "cd ramfs:/; echo hi > x; cat ./x; cd d; cat ../x; pwd", NULL };
	OUTPUT_IS(run(sh_x), "hi\nhi\nramfs:/d\n");
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "initfs:/") == 0);
	printf("cwdexec: shell ok\n");
	utest_ok();
}

/*
 * init (lab 3): the first real process. Starts the ramfs daemon, so that
 * there is somewhere to write files, then the shell on the console. When
 * the shell exits, so does init, and the kernel powers off with its
 * status. Meanwhile init reaps the orphans it inherits.
 */
#include <errno.h>
#include <ochre_scheme.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	static char *ramfs_argv[] = { "ramfs", NULL };
	static char *sh_argv[] = { "sh", NULL };

	printf("init: starting the ramfs: daemon and the shell\n");
	pid_t ramfs = scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs");
	if (ramfs < 0)
		printf("init: ramfs did not start (%s); continuing without it\n",
		       strerror(errno));

	pid_t sh = fork();
	if (sh == 0) {
		execv("initfs:/bin/sh", sh_argv);
		printf("init: cannot run initfs:/bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	if (sh < 0) {
		printf("init: fork: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			return 1;	/* cannot happen: the shell is our child */
		if (pid == ramfs)
			printf("init: ramfs exited (status %#x)\n", status);
		if (pid != sh)
			continue;	/* an orphan, or ramfs */
		int code = WIFEXITED(status) ? WEXITSTATUS(status)
					     : 128 + WTERMSIG(status);
		printf("init: shell exited with status %d\n", code);
		return code;
	}
}

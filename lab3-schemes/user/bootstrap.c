/*
 * Lab 3's bootstrap: the first process. The kernel maps this flat image
 * and starts it with argv[0] from init= (default "init"). Programs are ELF
 * files in initfs now, so bootstrap only gives the process its console
 * (fds 0, 1, 2) and execs initfs:/bin/<argv[0]>, which becomes pid 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
	static char *default_argv[] = { "init", NULL };
	char path[OCHRE_PATH_MAX];

	for (int fd = 0; fd < 3; fd++)
		if (open("debug:", O_RDWR) != fd)
			return 126;	/* no console: nobody to tell */
	if (argc < 1 || !argv[0] || !argv[0][0])
		argv = default_argv;
	/* init=sh runs initfs:/bin/sh; a full path is taken as it is. */
	const char *name = argv[0];
	if (strchr(name, ':'))
		snprintf(path, sizeof(path), "%s", name);
	else if (name[0] == '/')
		snprintf(path, sizeof(path), "initfs:%s", name);
	else
		snprintf(path, sizeof(path), "initfs:/bin/%s", name);
	execve(path, argv, envp);
	printf("bootstrap: cannot run %s: %s\n", path, strerror(errno));
	return 127;
}

/*
 * Lab 3's bootstrap: the first process. The kernel maps this flat image
 * and starts it with argv[0] from init= (default "init"). Programs are ELF
 * files in initfs now, so bootstrap only gives the process its console
 * (fds 0, 1, 2) and execs initfs:/bin/<argv[0]>, which becomes pid 1.
 *
 * If that fails (no initfs, or a damaged one the kernel refused), a tiny
 * rescue shell built into bootstrap keeps the machine usable: it can list
 * and print files of the kernel's schemes and run programs by full path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

static void rescue_ls(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("ls: %s: %s\n", path, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		printf("%s\n", e->d_name);
	closedir(d);
}

static void rescue_cat(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("cat: %s: %s\n", path, strerror(errno));
		return;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(1, buf, (size_t)n);
	close(fd);
}

static void rescue_run(char **argv, char **envp)
{
	pid_t pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, envp);
		printf("run: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* Commands: ls PATH, cat PATH, run PATH [ARGS], echo ..., exit [N]. */
static int rescue_shell(char **envp)
{
	char line[256], *argv[16];
	printf("bootstrap: rescue shell (ls, cat, run, echo, exit)\n");
	for (;;) {
		printf("rescue> ");
		if (readline(0, line, sizeof(line)) <= 0)
			return 1;
		int argc = 0;
		for (char *p = line; *p && argc < 15;) {
			while (*p == ' ' || *p == '\t' || *p == '\n')
				*p++ = '\0';
			if (*p)
				argv[argc++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				p++;
		}
		argv[argc] = NULL;
		if (argc == 0)
			continue;
		if (!strcmp(argv[0], "exit"))
			return argc > 1 ? atoi(argv[1]) : 0;
		else if (!strcmp(argv[0], "ls"))
			rescue_ls(argc > 1 ? argv[1] : "sys:/");
		else if (!strcmp(argv[0], "cat") && argc > 1)
			rescue_cat(argv[1]);
		else if (!strcmp(argv[0], "run") && argc > 1)
			rescue_run(argv + 1, envp);
		else if (!strcmp(argv[0], "echo")) {
			for (int i = 1; i < argc; i++)
				printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
		} else
			printf("rescue: unknown command '%s'\n", argv[0]);
	}
}

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
	int err = errno;
	printf("bootstrap: cannot run %s: %s\n", path, strerror(err));
	/* No initfs (missing or refused at boot): keep the machine usable.
	 * Any other failure is a bug to report, not to paper over. */
	return err == ENOENT ? rescue_shell(envp) : 127;
}

/*
 * sh: the Ochre shell.
 *
 *   sh               read commands from standard input, with a "$ " prompt
 *   sh -c 'cmds'     run cmds and exit
 *   sh file          run the commands in file
 *
 * A line holds commands separated by ';'. A command is a pipeline
 * (a | b | c) of programs with redirections (< in, > out, >> out). A word
 * without ':' or '/' names initfs:/bin/<word>; any other word is a path
 * (relative ones from the current directory). Quotes ('...' and "...") and
 * backslash make special characters plain; $? is the status of the last
 * pipeline. Builtins: cd [dir], pwd, exit [n], help. See docs/shell.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX	1024
#define MAX_TOKENS	256
#define MAX_ARGS	64
#define MAX_CMDS	16

enum { T_WORD, T_PIPE, T_IN, T_OUT, T_APPEND, T_END };

struct token {
	int type;
	char *word;
};

struct cmd {
	char *argv[MAX_ARGS + 1];
	int argc;
	char *in, *out;		/* redirections, or NULL */
	int append;
};

static int last_status;

/* ---- reading a line into tokens ---- */

static char words[3 * LINE_MAX];	/* unquoted words ($? makes them grow) */

/*
 * Splits one pipeline, up to ';' or the end of the line, into tokens;
 * returns their number, or -1 (error printed). *rest is where the next
 * pipeline starts, or NULL at the end of the line. One pipeline at a time,
 * so that $? in "false; echo $?" is the status of false.
 */
static int tokenize(const char *p, struct token *t, const char **rest)
{
	char *w = words, *end = words + sizeof(words) - 16;
	int n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (n == MAX_TOKENS - 1) {
			dprintf(2, "sh: too many words\n");
			return -1;
		}
		if (!*p || *p == '#' || *p == ';') {
			*rest = *p == ';' ? p + 1 : NULL;
			t[n++].type = T_END;
			return n;
		}
		if (*p == '|' || *p == '<') {
			t[n++].type = *p == '|' ? T_PIPE : T_IN;
			p++;
			continue;
		}
		if (*p == '>') {
			int twice = p[1] == '>';
			t[n++].type = twice ? T_APPEND : T_OUT;
			p += twice ? 2 : 1;
			continue;
		}
		/* A word, up to an unquoted space or operator. */
		t[n].type = T_WORD;
		t[n++].word = w;
		char quote = 0;
		while (*p && w < end) {
			char c = *p;
			if (!quote && strchr(" \t\r\n|;<>", c))
				break;
			p++;
			if (c == quote) {
				quote = 0;
			} else if (!quote && (c == '\'' || c == '"')) {
				quote = c;
			} else if (c == '\\' && quote != '\'' && *p) {
				*w++ = *p++;
			} else if (c == '$' && *p == '?' && quote != '\'') {
				p++;
				w += snprintf(w, (size_t)(end - w), "%d", last_status);
			} else {
				*w++ = c;
			}
		}
		if (quote) {
			dprintf(2, "sh: unterminated %c\n", quote);
			return -1;
		}
		if (w >= end) {
			dprintf(2, "sh: line too long\n");
			return -1;
		}
		*w++ = '\0';
	}
}

static int syntax_error(const char *what)
{
	dprintf(2, "sh: syntax error: %s\n", what);
	return -1;
}

/* Parses the tokens of one pipeline into cmds; returns the number of
 * commands (0 for an empty line), or -1 on a syntax error. */
static int parse(struct token *t, struct cmd *cmds)
{
	int ncmd = 0;
	struct cmd *c = NULL;
	for (int i = 0;; i++) {
		int type = t[i].type;
		if (type == T_END || type == T_PIPE) {
			if (c && c->argc == 0)
				return syntax_error("a redirection without a command");
			if (!c && (type == T_PIPE || ncmd > 0))
				return syntax_error("'|' needs a command on each side");
			c = NULL;
			if (type == T_END)
				return ncmd;
			continue;
		}
		if (!c) {
			if (ncmd == MAX_CMDS)
				return syntax_error("pipeline too long");
			c = &cmds[ncmd++];
			memset(c, 0, sizeof(*c));
		}
		if (type == T_WORD) {
			if (c->argc == MAX_ARGS)
				return syntax_error("too many arguments");
			c->argv[c->argc++] = t[i].word;
			continue;
		}
		if (t[i + 1].type != T_WORD)
			return syntax_error("a file name must follow < > >>");
		if (type == T_IN) {
			c->in = t[++i].word;
		} else {
			c->out = t[++i].word;
			c->append = type == T_APPEND;
		}
	}
}

/* ---- running commands ---- */

/* Opens the redirection files of c onto fds 0 and 1. */
static int redirect(const struct cmd *c)
{
	if (c->in) {
		int fd = open(c->in, O_RDONLY);
		if (fd < 0) {
			dprintf(2, "sh: %s: %s\n", c->in, strerror(errno));
			return -1;
		}
		dup2(fd, 0);
		if (fd != 0)
			close(fd);
	}
	if (c->out) {
		int flags = O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC);
		int fd = open(c->out, flags, 0644);
		if (fd < 0) {
			dprintf(2, "sh: %s: %s\n", c->out, strerror(errno));
			return -1;
		}
		dup2(fd, 1);
		if (fd != 1)
			close(fd);
	}
	return 0;
}

static int is_builtin(const char *name)
{
	return strcmp(name, "cd") == 0 || strcmp(name, "pwd") == 0 ||
	       strcmp(name, "exit") == 0 || strcmp(name, "help") == 0;
}

/* help: the builtins, then every program a bare word can name. */
static int help(void)
{
	printf("builtins: cd [dir], pwd, exit [n], help\n");
	printf("programs in initfs:/bin:");
	DIR *d = opendir("initfs:/bin");
	if (!d) {
		printf("\n");
		dprintf(2, "sh: help: initfs:/bin: %s\n", strerror(errno));
		return 1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf(" %s", e->d_name);
	closedir(d);
	printf("\n");
	return 0;
}

static int builtin(struct cmd *c)
{
	const char *name = c->argv[0];
	if (strcmp(name, "exit") == 0)
		exit(c->argc > 1 ? atoi(c->argv[1]) : last_status);
	if (strcmp(name, "help") == 0)
		return help();
	if (strcmp(name, "pwd") == 0) {
		char cwd[OCHRE_PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			dprintf(2, "sh: pwd: %s\n", strerror(errno));
			return 1;
		}
		printf("%s\n", cwd);
		return 0;
	}
	/* cd */
	const char *dir = c->argc > 1 ? c->argv[1] : getenv("HOME");
	if (!dir)
		dir = "initfs:/";
	if (chdir(dir) < 0) {
		dprintf(2, "sh: cd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

/* In a child: redirections, then the program (never returns). */
static void __attribute__((noreturn)) child(struct cmd *c)
{
	if (redirect(c) < 0)
		_exit(1);
	if (is_builtin(c->argv[0]))
		_exit(builtin(c));
	char path[OCHRE_PATH_MAX];
	const char *name = c->argv[0];
	if (!strchr(name, ':') && !strchr(name, '/')) {
		snprintf(path, sizeof(path), "initfs:/bin/%s", name);
		name = path;
	}
	execv(name, c->argv);
	int e = errno;
	dprintf(2, "sh: %s: %s\n", c->argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/* A builtin run by the shell itself (cd and exit must be), with its
 * redirections applied around it. */
static int builtin_here(struct cmd *c)
{
	int saved0 = c->in ? dup(0) : -1, saved1 = c->out ? dup(1) : -1;
	int status = redirect(c) < 0 ? 1 : builtin(c);
	if (saved0 >= 0) {
		dup2(saved0, 0);
		close(saved0);
	}
	if (saved1 >= 0) {
		dup2(saved1, 1);
		close(saved1);
	}
	return status;
}

static int status_of(int wstatus, const char *name)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	dprintf(2, "sh: %s: killed by signal %d\n", name, WTERMSIG(wstatus));
	return 128 + WTERMSIG(wstatus);
}

/* Runs a | b | c: one child per command, each reading the pipe the one
 * before writes; the status is that of the last. */
static int run_pipeline(struct cmd *cmds, int n)
{
	if (n == 1 && is_builtin(cmds[0].argv[0]))
		return builtin_here(&cmds[0]);
	pid_t pids[MAX_CMDS];
	int started = 0, in = -1, status = 0;
	for (int i = 0; i < n; i++) {
		int fds[2] = { -1, -1 };
		if (i < n - 1 && pipe(fds) < 0) {
			dprintf(2, "sh: pipe: %s\n", strerror(errno));
			status = 1;
			break;
		}
		pid_t pid = fork();
		if (pid == 0) {
			if (in >= 0) {
				dup2(in, 0);
				close(in);
			}
			if (fds[1] >= 0) {
				dup2(fds[1], 1);
				close(fds[1]);
				close(fds[0]);
			}
			child(&cmds[i]);
		}
		/* Our copies of the pipe ends must go, or the reader never
		 * sees the end of the file. */
		if (in >= 0)
			close(in);
		if (fds[1] >= 0)
			close(fds[1]);
		in = fds[0];
		if (pid < 0) {
			dprintf(2, "sh: fork: %s\n", strerror(errno));
			status = 1;
			break;
		}
		pids[started++] = pid;
	}
	if (in >= 0)
		close(in);
	for (int i = 0; i < started; i++) {
		int w;
		if (waitpid(pids[i], &w, 0) == pids[i] && i == n - 1)
			status = status_of(w, cmds[i].argv[0]);
	}
	return status;
}

static void run_line(const char *line)
{
	static struct token t[MAX_TOKENS];
	static struct cmd cmds[MAX_CMDS];
	while (line) {
		int ncmd = -1;
		if (tokenize(line, t, &line) >= 0)
			ncmd = parse(t, cmds);
		if (ncmd < 0) {
			last_status = 2;
			return;
		}
		if (ncmd > 0)
			last_status = run_pipeline(cmds, ncmd);
	}
}

int main(int argc, char **argv)
{
	static char line[LINE_MAX];
	int fd = 0, prompt = 1;
	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		run_line(argv[2]);
		return last_status;
	}
	if (argc > 1) {
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			dprintf(2, "sh: %s: %s\n", argv[1], strerror(errno));
			return 127;
		}
		prompt = 0;
	}
	for (;;) {
		if (prompt)
			write(1, "$ ", 2);
		ssize_t n = readline(fd, line, sizeof(line));
		if (n <= 0)
			break;
		run_line(line);
	}
	return last_status;
}

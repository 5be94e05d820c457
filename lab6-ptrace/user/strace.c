/*
 * strace [-f] program [args...] (lab 6, HANDOUT.md §7): runs program and
 * prints each system call it makes, one line per call, on stderr:
 *
 *	[pid 7] open("initfs:/nosuch", O_RDONLY) = -1 ENOENT (no such file or directory)
 *	[pid 7] write(1, "hello\n", 6) = 6
 *	[pid 7] exit(3) = ?
 *	[pid 7] +++ exited with 3 +++
 *
 * With -f it follows every process the traced ones start (fork is a
 * series of proc: calls since lab 4; the kernel reports the new pid with
 * PTRACE_EVENT_CLONE when the child is started, and keeps the child frozen
 * until the tracer attaches to it or lets it go).
 *
 * strace is an ordinary program: everything goes through <ptrace.h>,
 * i.e. proc:/<pid>/trace and proc:/<pid>/mem. It is also the tracer the
 * grader runs from the shell (grader/test_lab6_strace.py).
 */
#include <errno.h>
#include <fcntl.h>
#include <ptrace.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/proc.h>
#include <ochre/syscall.h>

#define MAX_TRACEES	16
#define MAX_ARGS	5	/* a PRE event carries five arguments */
#define ARG_TEXT	144	/* one decoded argument: 32 bytes, escaped */
#define STR_SHOWN	32	/* bytes of a string or buffer shown */
#define BIN_SHOWN	8	/* ... of a buffer that is mostly not text */

/* ---- decoding --------------------------------------------------------- */

enum arg_kind {
	A_INT,		/* signed decimal */
	A_UINT,		/* unsigned decimal (sizes) */
	A_HEX,		/* flags and masks */
	A_PTR,		/* an address: hex, NULL for 0 */
	A_STR,		/* a NUL-terminated string, read through mem */
	A_WBUF,		/* a buffer the call reads: the next argument is its length */
	A_RBUF,		/* a buffer the call fills: shown at POST, ret bytes */
	A_OFLAGS,	/* open() flags */
	A_SIG,		/* a signal number */
	A_WHENCE,	/* lseek origin */
	A_FDPAIR,	/* int[2] filled by the call (pipe) */
	A_PFLAGS,	/* pipe2() flags: 0 or O_CLOEXEC|O_CLOFORK */
};

struct syscall_info {
	const char *name;
	int nargs;
	enum arg_kind kind[MAX_ARGS];
	bool ret_hex;	/* the result is an address */
};

#define CALL(s, n, ...) { .name = (s), .nargs = (n), .kind = { __VA_ARGS__ } }
#define CALL_ADDR(s, n, ...) { .name = (s), .nargs = (n), \
			       .kind = { __VA_ARGS__ }, .ret_hex = true }

/* By number, from <ochre/syscall.h>. */
static const struct syscall_info syscalls[SYS_MAX] = {
	[SYS_EXIT]	= CALL("exit", 1, A_INT),
	[SYS_WRITE]	= CALL("write", 3, A_INT, A_WBUF, A_UINT),
	[SYS_GETPID]	= CALL("getpid", 0),
	[SYS_GETPPID]	= CALL("getppid", 0),
	[SYS_YIELD]	= CALL("yield", 0),
	[SYS_NANOSLEEP]	= CALL("nanosleep", 1, A_PTR),
	[SYS_WAITPID]	= CALL("waitpid", 3, A_INT, A_PTR, A_HEX),
	[SYS_KILL]	= CALL("kill", 2, A_INT, A_SIG),
	[SYS_FORK]	= CALL("fork", 0),
	[SYS_MMAP]	= CALL_ADDR("mmap", 5, A_PTR, A_UINT, A_HEX, A_HEX, A_INT),
	[SYS_MUNMAP]	= CALL("munmap", 2, A_PTR, A_UINT),
	[SYS_MPROTECT]	= CALL("mprotect", 3, A_PTR, A_UINT, A_HEX),
	[SYS_CLOCK]	= CALL("clock", 0),
	[SYS_MEMINFO]	= CALL("meminfo", 1, A_PTR),
	[SYS_OPEN]	= CALL("open", 2, A_STR, A_OFLAGS),
	[SYS_CLOSE]	= CALL("close", 1, A_INT),
	[SYS_READ]	= CALL("read", 3, A_INT, A_RBUF, A_UINT),
	[SYS_LSEEK]	= CALL("lseek", 3, A_INT, A_INT, A_WHENCE),
	[SYS_FSTAT]	= CALL("fstat", 2, A_INT, A_PTR),
	[SYS_FPATH]	= CALL("fpath", 3, A_INT, A_RBUF, A_UINT),
	[SYS_DUP]	= CALL("dup", 1, A_INT),
	[SYS_DUP2]	= CALL("dup2", 2, A_INT, A_INT),
	[SYS_PIPE]	= CALL("pipe2", 2, A_FDPAIR, A_PFLAGS),
	[SYS_GETDENTS]	= CALL("getdents", 3, A_INT, A_PTR, A_UINT),
	[SYS_UNLINK]	= CALL("unlink", 1, A_STR),
	[SYS_MKDIR]	= CALL("mkdir", 2, A_STR, A_HEX),
	[SYS_RMDIR]	= CALL("rmdir", 1, A_STR),
	[SYS_FSYNC]	= CALL("fsync", 1, A_INT),
	[SYS_FTRUNCATE]	= CALL("ftruncate", 2, A_INT, A_INT),
	[SYS_CHDIR]	= CALL("chdir", 1, A_STR),
	[SYS_GETCWD]	= CALL("getcwd", 2, A_RBUF, A_UINT),
	[SYS_EXECVE]	= CALL("execve", 3, A_STR, A_PTR, A_PTR),
	[SYS_CALL]	= CALL("call", 2, A_INT, A_PTR),
};

static const char *const signal_names[NSIG] = {
	[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL", [SIGSEGV] = "SIGSEGV", [SIGTERM] = "SIGTERM",
};

static const struct { int flag; const char *name; } open_flags[] = {
	{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
	{ O_DIRECTORY, "O_DIRECTORY" }, { O_CLOEXEC, "O_CLOEXEC" },
	{ O_CLOFORK, "O_CLOFORK" },
#ifdef O_NOFOLLOW	/* lab 5 */
	{ O_NOFOLLOW, "O_NOFOLLOW" },
#endif
#ifdef O_SYMLINK	/* lab 5 */
	{ O_SYMLINK, "O_SYMLINK" },
#endif
};

/* ---- the traced processes --------------------------------------------- */

struct tracee {
	pid_t pid;		/* 0: free slot */
	int tfd;		/* proc:/<pid>/trace */
	int mfd;		/* proc:/<pid>/mem, to read strings; -1 if none */
	bool ours;		/* our child: we reap it with waitpid */
	bool in_call;		/* a PRE was seen, its POST not yet */
	bool exited;		/* its EXIT stop was seen */
	uint64_t nr;
	uint64_t args[MAX_ARGS];
	char text[MAX_ARGS][ARG_TEXT];	/* the arguments, decoded at PRE */
	char path[64];			/* an open's path, until its POST */
	uint8_t fdkind[OCHRE_OPEN_MAX];	/* enum fd_kind of each fd it opened */
};

static struct tracee tracees[MAX_TRACEES];
static int ntracees;		/* slots in use */
static uint64_t request;	/* the word written after every stop */
static bool follow;		/* -f */
static int status_of_first = 1;	/* strace exits with its program's status */

/* One line of output, written with a single write: lines of different
 * processes never mix mid-line. */
static void emit(struct tracee *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emit(struct tracee *t, const char *fmt, ...)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "[pid %d] ", t->pid);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	if (len == sizeof(line) - 1)
		line[len - 1] = '\n';
	write(STDERR_FILENO, line, len);
}

/* "text" with C escapes, at most STR_SHOWN bytes (BIN_SHOWN if it looks
 * binary, like the structs that fork and exec write), then ... if longer. */
static void quote(char *out, size_t size, const char *s, size_t n, bool more)
{
	size_t o = 0, odd = 0, shown = n < STR_SHOWN ? n : STR_SHOWN;
	for (size_t i = 0; i < shown; i++)
		odd += (unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t';
	if (odd * 4 > shown && shown > BIN_SHOWN) {
		shown = BIN_SHOWN;
		more = true;
	}
	out[o++] = '"';
	for (size_t i = 0; i < shown && o + 6 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" :
				  c == '"' ? "\\\"" : c == '\\' ? "\\\\" : NULL;
		if (esc)
			o += (size_t)snprintf(out + o, size - o, "%s", esc);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	if (more || n > shown)
		snprintf(out + o, size - o, "...");
}

/* n bytes of the tracee's memory at va, shown as a string. */
static void show_mem(struct tracee *t, char *out, size_t size, uint64_t va,
		     size_t n, bool cstring)
{
	char buf[STR_SHOWN + 1];
	size_t want = n < STR_SHOWN ? n : STR_SHOWN;
	ssize_t got = -1;
	if (t->mfd >= 0)
		got = cstring ? ptrace_peekstr(t->mfd, va, buf, sizeof(buf))
			      : ptrace_peek(t->mfd, va, buf, want);
	if (got < 0) {
		snprintf(out, size, "0x%lx", (unsigned long)va);
		return;
	}
	/* A C string of STR_SHOWN bytes may go on: say so. */
	quote(out, size, buf, (size_t)got,
	      cstring ? (size_t)got == STR_SHOWN : n > STR_SHOWN);
}

static void show_oflags(char *out, size_t size, uint64_t v)
{
	static const char *const access[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	size_t o = (size_t)snprintf(out, size, "%s", access[v & O_ACCMODE]);
	v &= ~(uint64_t)O_ACCMODE;
	for (size_t i = 0; i < sizeof(open_flags) / sizeof(open_flags[0]); i++)
		if (v & (uint64_t)open_flags[i].flag) {
			o += (size_t)snprintf(out + o, size - o, "|%s", open_flags[i].name);
			v &= ~(uint64_t)open_flags[i].flag;
		}
	if (v)
		snprintf(out + o, size - o, "|0x%lx", (unsigned long)v);
}

/* pipe2's flags have no access mode: 0 is "0", not O_RDONLY; bits the
 * kernel rejects are shown in hex, not dropped. */
static void show_pflags(char *out, size_t size, uint64_t v)
{
	static const struct { uint64_t flag; const char *name; } pflags[] = {
		{ O_CLOEXEC, "O_CLOEXEC" }, { O_CLOFORK, "O_CLOFORK" },
	};
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(pflags) / sizeof(pflags[0]); i++)
		if (v & pflags[i].flag) {
			o += (size_t)snprintf(out + o, size - o, "%s%s",
					      o ? "|" : "", pflags[i].name);
			v &= ~pflags[i].flag;
		}
	if (v)
		snprintf(out + o, size - o, "%s0x%lx", o ? "|" : "",
			 (unsigned long)v);
	else if (!o)
		snprintf(out, size, "0");
}

static void show_arg(struct tracee *t, int i, enum arg_kind kind)
{
	char *out = t->text[i];
	uint64_t v = t->args[i];
	switch (kind) {
	case A_INT:
		snprintf(out, ARG_TEXT, "%ld", (long)v);
		break;
	case A_UINT:
		snprintf(out, ARG_TEXT, "%lu", (unsigned long)v);
		break;
	case A_PTR:
		if (!v) {
			snprintf(out, ARG_TEXT, "NULL");
			break;
		}
		/* fall through */
	case A_HEX:
	case A_RBUF:	/* replaced at POST when the call succeeds */
	case A_FDPAIR:
		snprintf(out, ARG_TEXT, "0x%lx", (unsigned long)v);
		break;
	case A_STR:
		show_mem(t, out, ARG_TEXT, v, STR_SHOWN, true);
		break;
	case A_WBUF:
		show_mem(t, out, ARG_TEXT, v, i + 1 < MAX_ARGS ? t->args[i + 1] : 0, false);
		break;
	case A_OFLAGS:
		show_oflags(out, ARG_TEXT, v);
		break;
	case A_PFLAGS:
		show_pflags(out, ARG_TEXT, v);
		break;
	case A_SIG:
		if (v < NSIG && signal_names[v])
			snprintf(out, ARG_TEXT, "%s", signal_names[v]);
		else
			snprintf(out, ARG_TEXT, "%lu", (unsigned long)v);
		break;
	case A_WHENCE:
		snprintf(out, ARG_TEXT, "%s", v == SEEK_SET ? "SEEK_SET" :
			 v == SEEK_CUR ? "SEEK_CUR" : v == SEEK_END ? "SEEK_END" : "?");
		break;
	}
}

static const struct syscall_info *info_of(uint64_t nr)
{
	return nr < SYS_MAX && syscalls[nr].name ? &syscalls[nr] : NULL;
}

/* ---- lab 4's primitives: fork and exec, decoded ---------------------- */

/* What an fd of the tracee is, learnt from its opens: the writes to these
 * carry structs of <ochre/proc.h>, worth showing field by field. */
enum fd_kind { FD_OTHER, FD_NEW, FD_ADDRSPACE, FD_FILETABLE, FD_REGS, FD_EXEC };

static enum fd_kind classify(const char *path)
{
	const char *file = strrchr(path, '/');
	if (strncmp(path, "thisproc:", 9) == 0) {
		/* "thisproc:new", or "thisproc:/new" once libc canonicalizes
		 * every path (lab 5) */
		const char *name = path + 9 + (path[9] == '/');
		return strcmp(name, "new") == 0 ? FD_NEW :
		       strcmp(name, "new-addrspace") == 0 ? FD_ADDRSPACE :
		       strcmp(name, "exec") == 0 ? FD_EXEC : FD_OTHER;
	}
	if (strncmp(path, "proc:", 5) != 0 || !file)
		return FD_OTHER;
	return strcmp(file, "/addrspace") == 0 ? FD_ADDRSPACE :
	       strcmp(file, "/filetable") == 0 ? FD_FILETABLE :
	       strcmp(file, "/regs") == 0 ? FD_REGS : FD_OTHER;
}

static enum fd_kind kind_of(struct tracee *t, uint64_t fd)
{
	return fd < OCHRE_OPEN_MAX ? (enum fd_kind)t->fdkind[fd] : FD_OTHER;
}

static void set_kind(struct tracee *t, uint64_t fd, enum fd_kind k)
{
	if (fd < OCHRE_OPEN_MAX)
		t->fdkind[fd] = (uint8_t)k;
}

static const char *prot_text(uint32_t prot)
{
	static const char *const names[] = { "---", "r--", "-w-", "rw-",
					     "--x", "r-x", "-wx", "rwx" };
	return names[prot & 7];
}

/* write(fd, buf, len) to a primitive: its struct instead of raw bytes. */
static void show_primitive(struct tracee *t, char *out, size_t size)
{
	static const char *const ops[] = { "?", "AS_MAP", "AS_UNMAP",
					   "AS_PROTECT", "AS_COPY", "AS_WRITE" };
	uint64_t fd = t->args[0], buf = t->args[1], len = t->args[2];
	enum fd_kind k = kind_of(t, fd);
	union {
		struct as_op as;
		struct ft_op ft;
		struct proc_regs regs;
		struct proc_exec ex;
	} u;
	if (k == FD_OTHER || k == FD_NEW || len > sizeof(u) || t->mfd < 0 ||
	    ptrace_peek(t->mfd, buf, &u, len) != (ssize_t)len)
		return;
	if (k == FD_ADDRSPACE && len == sizeof(u.as) && u.as.op < 6) {
		int n = snprintf(out, size, "{%s, va=0x%lx, len=0x%lx", ops[u.as.op],
				 (unsigned long)u.as.va, (unsigned long)u.as.len);
		if (u.as.op == AS_MAP || u.as.op == AS_PROTECT)
			snprintf(out + n, size - (size_t)n, ", %s}", prot_text(u.as.prot));
		else if (u.as.op == AS_WRITE)
			snprintf(out + n, size - (size_t)n, ", buf=0x%lx}",
				 (unsigned long)u.as.buf);
		else
			snprintf(out + n, size - (size_t)n, "}");
	} else if (k == FD_FILETABLE && len == sizeof(u.ft))
		snprintf(out, size, "{%s}", u.ft.op == FT_INHERIT ? "FT_INHERIT" : "?");
	else if (k == FD_REGS && len == sizeof(u.regs))
		snprintf(out, size, "{rip=0x%lx, rsp=0x%lx, ...}",
			 (unsigned long)u.regs.rip, (unsigned long)u.regs.rsp);
	else if (k == FD_EXEC && len == sizeof(u.ex))
		snprintf(out, size, "{as_fd=%ld, rip=0x%lx, rsp=0x%lx, name=\"%.16s\"}",
			 (long)u.ex.as_fd, (unsigned long)u.ex.rip,
			 (unsigned long)u.ex.rsp, u.ex.name);
}

/* What a successful call did to the tracee's fds. */
static void track_fds(struct tracee *t, long ret)
{
	if (ret < 0)
		return;
	if (t->nr == SYS_OPEN)
		set_kind(t, (uint64_t)ret, classify(t->path));
	else if (t->nr == SYS_CLOSE)
		set_kind(t, t->args[0], FD_OTHER);
	else if (t->nr == SYS_DUP || t->nr == SYS_DUP2)
		set_kind(t, (uint64_t)ret, kind_of(t, t->args[0]));
}

/* PRE: remember the call and decode what goes in (it may be gone by POST,
 * e.g. after an exec). */
static void on_pre(struct tracee *t, const struct ptrace_event *ev)
{
	const struct syscall_info *si = info_of(PTRACE_EV_NR(ev));
	t->in_call = true;
	t->nr = PTRACE_EV_NR(ev);
	for (int i = 0; i < MAX_ARGS; i++)
		t->args[i] = PTRACE_EV_ARG(ev, i);
	for (int i = 0; i < MAX_ARGS; i++)	/* a buffer needs its length */
		show_arg(t, i, si ? si->kind[i] : A_HEX);
	t->path[0] = '\0';
	if (t->nr == SYS_OPEN && t->mfd >= 0 &&
	    ptrace_peekstr(t->mfd, t->args[0], t->path, sizeof(t->path)) < 0)
		t->path[0] = '\0';
	if (t->nr == SYS_WRITE)
		show_primitive(t, t->text[1], ARG_TEXT);
}

/* "name(a, b, c)" of the call being closed. */
static void format_call(struct tracee *t, char *out, size_t size)
{
	const struct syscall_info *si = info_of(t->nr);
	int nargs = si ? si->nargs : MAX_ARGS;
	size_t o = si ? (size_t)snprintf(out, size, "%s(", si->name)
		      : (size_t)snprintf(out, size, "syscall_%lu(", (unsigned long)t->nr);
	for (int i = 0; i < nargs && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? ", " : "", t->text[i]);
	if (o < size)
		snprintf(out + o, size - o, ")");
}

/* POST: decode what came out, print the whole line. */
static void on_post(struct tracee *t, const struct ptrace_event *ev)
{
	const struct syscall_info *si = info_of(t->nr);
	long ret = (long)PTRACE_EV_RET(ev);
	char call[800], result[96];

	if (!t->in_call) {	/* attached in the middle of a call */
		t->nr = PTRACE_EV_NR(ev);
		si = info_of(t->nr);
		for (int i = 0; i < MAX_ARGS; i++)
			snprintf(t->text[i], ARG_TEXT, "?");
	}
	t->in_call = false;
	for (int i = 0; si && i < si->nargs && ret >= 0; i++) {
		if (si->kind[i] == A_RBUF)
			show_mem(t, t->text[i], ARG_TEXT, t->args[i], (size_t)ret, false);
		if (si->kind[i] == A_FDPAIR) {
			int fds[2];
			if (t->mfd >= 0 && ptrace_peek(t->mfd, t->args[i], fds, sizeof(fds)) ==
			    sizeof(fds))
				snprintf(t->text[i], ARG_TEXT, "[%d, %d]", fds[0], fds[1]);
		}
	}
	if (t->nr == SYS_READ && ret == 8 && kind_of(t, t->args[0]) == FD_NEW) {
		int64_t pid;
		if (t->mfd >= 0 && ptrace_peek(t->mfd, t->args[1], &pid, 8) == 8)
			snprintf(t->text[1], ARG_TEXT, "{pid=%ld}", (long)pid);
	}
	track_fds(t, ret);
	format_call(t, call, sizeof(call));
	if (ret < 0 && ret > -4096) {
		int e = (int)-ret;
		snprintf(result, sizeof(result), "-1 %s (%s)", errno_name(e),
			 strerror(e));
	} else if (si && si->ret_hex) {
		snprintf(result, sizeof(result), "0x%lx", (unsigned long)ret);
	} else {
		snprintf(result, sizeof(result), "%ld", ret);
	}
	emit(t, "%s = %s\n", call, result);
}

static void show_status(char *out, size_t size, int status)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exited with %d", WEXITSTATUS(status));
	else if (WTERMSIG(status) < NSIG && signal_names[WTERMSIG(status)])
		snprintf(out, size, "killed by %s", signal_names[WTERMSIG(status)]);
	else
		snprintf(out, size, "killed by signal %d", WTERMSIG(status));
}

/* EXIT: the process is about to end; the exit call never returns. */
static void on_exit_stop(struct tracee *t, const struct ptrace_event *ev)
{
	char call[800], how[48];
	int status = (int)PTRACE_EV_STATUS(ev);
	if (t->in_call) {
		format_call(t, call, sizeof(call));
		emit(t, "%s = ?\n", call);
		t->in_call = false;
	}
	show_status(how, sizeof(how), status);
	emit(t, "+++ %s +++\n", how);
	t->exited = true;
	if (t->ours)
		status_of_first = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Handles one event; returns true if it was a stop (the tracee is parked
 * and waits for the next request). */
static bool on_event(struct tracee *t, const struct ptrace_event *ev);

/* ---- bookkeeping ------------------------------------------------------ */

static struct tracee *tracee_add(pid_t pid, int tfd, bool ours)
{
	for (int i = 0; i < MAX_TRACEES; i++) {
		struct tracee *t = &tracees[i];
		if (t->pid)
			continue;
		memset(t, 0, sizeof(*t));
		t->pid = pid;
		t->tfd = tfd;
		t->ours = ours;
		/* Without mem, strings show as addresses: not fatal. */
		t->mfd = ptrace_open(pid, "mem", O_RDONLY);
		ntracees++;
		return t;
	}
	return NULL;
}

/* The session said ESRCH: the process is gone (a zombie or reaped). */
static void tracee_gone(struct tracee *t)
{
	int status;
	if (t->ours && waitpid(t->pid, &status, 0) == t->pid && !t->exited) {
		char how[48];
		show_status(how, sizeof(how), status);
		emit(t, "+++ %s +++\n", how);
		status_of_first = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	} else if (!t->exited) {
		emit(t, "+++ killed +++\n");	/* SIGKILL skips the EXIT stop */
	}
	close(t->tfd);
	if (t->mfd >= 0)
		close(t->mfd);
	t->pid = 0;
	ntracees--;
}

/* ---- -f: following clones (HANDOUT.md §7) ----------------------------- */

/*
 * EVENT_CLONE from parent: child has been started and is frozen until we
 * attach to it or, if we never do, until our next request to parent.
 */
static void follow_clone(struct tracee *parent, pid_t child)
{
	/* BEGIN LAB6 SOLUTION: §7.1 follow_clone */
	emit(parent, "--- clone: child %d ---\n", child);
	/* No O_TRUNC: the child is frozen already. O_NONBLOCK: trace_many
	 * polls every session. */
	int tfd = ptrace_attach(child, O_NONBLOCK);
	if (tfd < 0) {
		/* Not following it: the next request to parent lets it go. */
		dprintf(STDERR_FILENO, "strace: cannot follow pid %d: %s\n",
			child, strerror(errno));
		return;
	}
	struct tracee *t = tracee_add(child, tfd, false);
	if (!t) {
		dprintf(STDERR_FILENO, "strace: pid %d: too many processes\n", child);
		close(tfd);	/* closing the session releases the child */
		return;
	}
	/* The first request releases the frozen child. */
	if (ptrace_resume(tfd, request) < 0)
		tracee_gone(t);
	/* END LAB6 SOLUTION */
	/* STARTER: (void)parent; (void)child; */
}

/*
 * -f: several tracees, each on an O_NONBLOCK session. One blocking read
 * per tracee in turn could deadlock (a parent waiting for a child that
 * waits for us), so poll them all and yield when none has news.
 */
static void trace_many(void)
{
	/* BEGIN LAB6 SOLUTION: §7.2 trace_many */
	struct ptrace_event ev[8];
	while (ntracees > 0) {
		bool news = false;
		for (int i = 0; i < MAX_TRACEES; i++) {
			struct tracee *t = &tracees[i];
			if (!t->pid)
				continue;
			ssize_t n = ptrace_events(t->tfd, ev, 8);
			if (n < 0 && errno == EAGAIN)
				continue;
			news = true;
			if (n < 0) {		/* ESRCH: gone, every event read */
				tracee_gone(t);
				continue;
			}
			bool stopped = n == 0;	/* 0: parked, nothing new */
			for (ssize_t k = 0; k < n; k++)
				stopped |= on_event(t, &ev[k]);
			if (stopped && ptrace_resume(t->tfd, request) < 0)
				tracee_gone(t);
		}
		if (!news)
			sched_yield();
	}
	/* END LAB6 SOLUTION */
	/* STARTER: dprintf(STDERR_FILENO, "strace: -f is not implemented yet\n"); */
}

/* ---- the given part: one tracee, blocking ----------------------------- */

static bool on_event(struct tracee *t, const struct ptrace_event *ev)
{
	switch (ev->cause) {
	case PTRACE_STOP_PRE_SYSCALL:
		on_pre(t, ev);
		return true;
	case PTRACE_STOP_POST_SYSCALL:
		on_post(t, ev);
		return true;
	case PTRACE_STOP_EXIT:
		on_exit_stop(t, ev);
		return true;
	case PTRACE_EVENT_CLONE:
		follow_clone(t, (pid_t)PTRACE_EV_PID(ev));
		return false;
	case PTRACE_EVENT_ADDRSPACE_SWITCH:
		emit(t, "--- exec: new image, rip 0x%lx ---\n", (unsigned long)ev->a);
		/* The exec commit closed libc's handles (all O_CLOEXEC); the
		 * write being committed was decoded at its PRE already. */
		memset(t->fdkind, 0, sizeof(t->fdkind));
		return false;
	default:
		/* A stop we did not ask for (another tracer's request is not
		 * possible: one session per tracee). Say so and go on. */
		emit(t, "--- event 0x%lx (0x%lx) ---\n", (unsigned long)ev->cause,
		     (unsigned long)ev->a);
		return (ev->cause & PTRACE_STOP_MASK) != 0;
	}
}

static void trace_one(struct tracee *t)
{
	struct ptrace_event ev[8];
	for (;;) {
		ssize_t n = ptrace_events(t->tfd, ev, 8);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != ESRCH)
				dprintf(STDERR_FILENO, "strace: pid %d: %s\n", t->pid,
					strerror(errno));
			tracee_gone(t);
			return;
		}
		bool stopped = n == 0;
		for (ssize_t k = 0; k < n; k++)
			stopped |= on_event(t, &ev[k]);
		if (stopped && ptrace_resume(t->tfd, request) < 0) {
			tracee_gone(t);
			return;
		}
	}
}

/* initfs:/bin/<name> for a bare name, as the shell does. */
static void program_path(char *out, size_t size, const char *name)
{
	if (strchr(name, ':') || strchr(name, '/'))
		snprintf(out, size, "%s", name);
	else
		snprintf(out, size, "initfs:/bin/%s", name);
}

/*
 * Starts argv[0] as our child, held before its exec: it blocks reading a
 * pipe until we have attached, then closes the pipe's read end (that call
 * is the marker sync_with_child looks for) and execs. Returns the child's
 * pid; *go is the pipe's write end, *marker the read end's number.
 */
static pid_t spawn(char **argv, int *go, int *marker)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char path[OCHRE_PATH_MAX], c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)	/* strace gave up on us */
			_exit(127);
		close(p[0]);
		program_path(path, sizeof(path), argv[0]);
		execv(path, argv);
		dprintf(STDERR_FILENO, "strace: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go = p[1];
	*marker = p[0];
	return pid;
}

/* The next stop of a session, O_NONBLOCK or not. */
static int next_stop(int tfd, uint64_t req, struct ptrace_event *stop)
{
	if (ptrace_resume(tfd, req) < 0)
		return -1;
	while (ptrace_wait_stop(tfd, stop, NULL, NULL) < 0) {
		if (errno != EAGAIN)
			return -1;
		sched_yield();	/* an O_NONBLOCK session (-f) */
	}
	return 0;
}

/*
 * O_TRUNC parked the child wherever it was: before its read of the pipe,
 * inside it, or just after it. Let it run from PRE stop to PRE stop until
 * it closes the pipe's read end (fd `marker`, after the read), then finish
 * that close quietly: from there on, every call is its exec's or the
 * program's.
 */
static int sync_with_child(int tfd, int marker)
{
	struct ptrace_event stop;
	do {
		if (next_stop(tfd, PTRACE_STOP_PRE_SYSCALL, &stop) < 0)
			return -1;
	} while (stop.cause != PTRACE_STOP_PRE_SYSCALL ||
		 PTRACE_EV_NR(&stop) != SYS_CLOSE ||
		 PTRACE_EV_ARG(&stop, 0) != (uint64_t)marker);
	return next_stop(tfd, PTRACE_STOP_POST_SYSCALL, &stop);
}

static void usage(void)
{
	dprintf(STDERR_FILENO, "usage: strace [-f] program [args...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0)
			follow = true;
		else
			usage();
	}
	if (i == argc)
		usage();

	int go, marker;
	pid_t pid = spawn(argv + i, &go, &marker);
	if (pid < 0) {
		perror("strace: fork");
		return 1;
	}
	int tfd = ptrace_attach(pid, O_TRUNC | (follow ? O_NONBLOCK : 0));
	if (tfd < 0) {
		int e = errno;
		dprintf(STDERR_FILENO, "strace: cannot trace pid %d: %s\n", pid, strerror(e));
		close(go);	/* the child reads end of file and exits */
		waitpid(pid, NULL, 0);
		return 1;
	}
	struct tracee *t = tracee_add(pid, tfd, true);
	if (write(go, "g", 1) != 1 || sync_with_child(tfd, marker) < 0) {
		perror("strace: starting the child");
		return 1;
	}
	close(go);

	request = PTRACE_STOP_PRE_SYSCALL | PTRACE_STOP_POST_SYSCALL |
		  PTRACE_STOP_EXIT | PTRACE_EVENT_ADDRSPACE_SWITCH;
	if (follow)
		request |= PTRACE_EVENT_CLONE;
	if (ptrace_resume(tfd, request) < 0) {
		perror("strace: resume");
		return 1;
	}
	if (follow)
		trace_many();
	else
		trace_one(t);
	return status_of_first;
}

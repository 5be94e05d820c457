/*
 * tracebench: what tracing costs, in guest instructions (docs/bench.md).
 * Run it with
 *
 *	make -C lab6-ptrace bench BENCH=tracebench
 *
 * which boots init=tracebench under -icount shift=0 (the TSC counts guest
 * instructions). One CPU runs tracer and tracee, so the TSC difference
 * seen by either side is the whole round trip: both processes, the
 * kernel, and the context switches between them.
 *
 *	traced null syscall	the tracee loops on getpid; the tracer
 *				resumes with PRE|POST and reads each stop:
 *				cost per getpid (two stops, four switches)
 *	single step		the tracee loops on nop; cost per SINGLESTEP
 *	fork+exec+wait		lab 3's benchmark, plain, then under strace
 *				and strace -f (their output goes to null:)
 *
 * `tracebench forkexec [label]` is the fork+exec+wait loop alone (what
 * strace runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <ptrace.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static int tfd;			/* the session of the current benchmark */
static struct ptrace_event stop;

static void die(const char *what)
{
	printf("tracebench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void traced_getpid(void)
{
	const uint64_t req = PTRACE_STOP_PRE_SYSCALL | PTRACE_STOP_POST_SYSCALL;
	if (ptrace_next(tfd, req, &stop, NULL, NULL) < 0 ||
	    ptrace_next(tfd, req, &stop, NULL, NULL) < 0)
		die("syscall stop");
}

static void single_step(void)
{
	if (ptrace_next(tfd, PTRACE_STOP_SINGLESTEP, &stop, NULL, NULL) < 0)
		die("single step");
}

/* A child running `loop` forever, attached and stopped; O_EXCL: closing
 * the session kills it. */
static pid_t start_tracee(void (*loop)(void))
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		loop();
	tfd = ptrace_attach(pid, O_TRUNC | O_EXCL);
	if (tfd < 0)
		die("attach");
	return pid;
}

static void end_tracee(pid_t pid)
{
	close(tfd);
	waitpid(pid, NULL, 0);
}

static void __attribute__((noreturn)) getpid_loop(void)
{
	for (;;)
		getpid();
}

static void __attribute__((noreturn)) nop_loop(void)
{
	for (;;)
		__asm__ volatile("nop");
}

/* strace [-f] tracebench forkexec LABEL, strace's lines sent to null:. */
static void under_strace(const char *flag, const char *label)
{
	char *argv[] = { "strace", (char *)flag, "tracebench", "forkexec",
			 (char *)label, NULL };
	if (!flag[0])
		memmove(&argv[1], &argv[2], 4 * sizeof(argv[0]));
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("null:", O_WRONLY);
		if (null < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(126);
		execv("initfs:/bin/strace", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "forkexec") == 0) {
		bench(argc > 2 ? argv[2] : "fork+execve+wait (true)",
		      bench_fork_exec_wait, 5);
		return 0;
	}
	bench("null syscall (getpid)", bench_null_syscall, 2000);

	pid_t pid = start_tracee(getpid_loop);
	bench("traced null syscall", traced_getpid, 500);
	end_tracee(pid);

	pid = start_tracee(nop_loop);
	bench("single step", single_step, 500);
	end_tracee(pid);

	bench("fork+execve+wait (true)", bench_fork_exec_wait, 5);
	under_strace("", "... under strace");
	under_strace("-f", "... under strace -f");
	return 0;
}

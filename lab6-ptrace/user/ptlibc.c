/*
 * libc's <ptrace.h> keeps the kernel's contract (HANDOUT.md §8): each
 * wrapper returns -1 with the kernel's errno, or its own (ENAMETOOLONG,
 * EINVAL, EAGAIN) where it says so. A child is traced from its first
 * getpid to its exit with the wrappers alone: attach with O_TRUNC, the
 * held stop, PRE, registers, mem peek/poke/peekstr, x87 registers, EXIT,
 * ESRCH after the end.
 */
#include "utest.h"
#include <fcntl.h>
#include <ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/syscall.h>

static char secret[16] = "ochre";	/* the child's copy is peeked and poked */

static void child(int go)
{
	char c;
	read(go, &c, 1);		/* traced from here */
	getpid();			/* the first PRE stop */
	_exit(strcmp(secret, "OCHRE") == 0 ? 0 : 1);
}

static void on_event(const struct ptrace_event *ev, void *arg)
{
	(*(int *)arg)++;
	printf("ptlibc: unexpected event %#lx\n", (unsigned long)ev->cause);
}

int main(void)
{
	utest_begin("ptlibc");
	char longname[80];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	/* Who may be traced, through the wrapper. */
	CHECK_ERR(ptrace_attach(getpid(), 0), EPERM);
	CHECK_ERR(ptrace_attach(1, 0), EPERM);
	CHECK_ERR(ptrace_attach(99999, 0), ESRCH);

	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		child(p[0]);
	}
	close(p[0]);
	CHECK_ERR(ptrace_open(pid, "bogus", O_RDONLY), ENOENT);
	CHECK_ERR(ptrace_open(pid, longname, O_RDONLY), ENAMETOOLONG);

	int t = ptrace_attach(pid, O_TRUNC);
	CHECK(t >= 0);
	CHECK_ERR(ptrace_attach(pid, 0), EBUSY);
	CHECK_EQ(write(p[1], "g", 1), 1);

	/* Held by O_TRUNC: a stop without an event. */
	struct ptrace_event ev[2], stop;
	CHECK_EQ(ptrace_events(t, ev, 2), 0);
	CHECK_ERR(ptrace_wait_stop(t, &stop, NULL, NULL), EAGAIN);
	CHECK_ERR(ptrace_events(t, ev, 0), EINVAL);
	CHECK_ERR(ptrace_resume(t, 1ULL << 40), EINVAL);

	/* PRE of getpid, registers agree with the event. */
	int events = 0;
	do {
		CHECK_EQ(ptrace_next(t, PTRACE_STOP_PRE_SYSCALL, &stop, on_event,
				     &events), 0);
	} while (PTRACE_EV_NR(&stop) != SYS_GETPID);
	CHECK_EQ(stop.cause, PTRACE_STOP_PRE_SYSCALL);
	CHECK_EQ(events, 0);
	int r = ptrace_open(pid, "regs/int", O_RDWR);
	CHECK(r >= 0);
	struct ptrace_regs regs;
	CHECK_EQ(ptrace_getregs(r, &regs), 0);
	CHECK_EQ(regs.rax, SYS_GETPID);
	CHECK_EQ(ptrace_setregs(r, &regs), 0);
	regs.rip = 0xffff800000000000UL;
	CHECK_ERR(ptrace_setregs(r, &regs), EINVAL);
	int f = ptrace_open(pid, "regs/float", O_RDWR);
	CHECK(f >= 0);
	struct ptrace_fpregs fp;
	CHECK_EQ(ptrace_getfpregs(f, &fp), 0);
	CHECK_EQ(ptrace_setfpregs(f, &fp), 0);

	/* Memory: the child's copy of secret, then a poke it will see. */
	int m = ptrace_open(pid, "mem", O_RDWR);
	CHECK(m >= 0);
	char buf[16];
	CHECK_EQ(ptrace_peek(m, (uint64_t)secret, buf, 6), 6);
	CHECK(memcmp(buf, "ochre", 6) == 0);
	CHECK_EQ(ptrace_peekstr(m, (uint64_t)secret, buf, sizeof(buf)), 5);
	CHECK_EQ(ptrace_peekstr(m, (uint64_t)secret, buf, 3), 2);	/* "oc" */
	CHECK(strcmp(buf, "oc") == 0);
	CHECK_ERR(ptrace_peekstr(m, (uint64_t)secret, buf, 0), EINVAL);
	CHECK_ERR(ptrace_peek(m, 0, buf, 8), EFAULT);
	CHECK_ERR(ptrace_peek(m, 0xffff800000000000UL, buf, 8), EFAULT);
	CHECK_EQ(ptrace_poke(m, (uint64_t)secret, "OCHRE", 5), 5);

	/* To its exit: the EXIT stop carries the status the poke decided. */
	CHECK_EQ(ptrace_next(t, PTRACE_STOP_EXIT, &stop, NULL, NULL), 0);
	CHECK_EQ(stop.cause, PTRACE_STOP_EXIT);
	CHECK_EQ(PTRACE_EV_STATUS(&stop), W_EXITCODE(0));
	CHECK_ERR(ptrace_next(t, 0, &stop, NULL, NULL), ESRCH);
	CHECK_ERR(ptrace_getregs(r, &regs), ESRCH);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(m);
	close(f);
	close(r);
	close(t);
	close(p[1]);
	utest_ok();
}

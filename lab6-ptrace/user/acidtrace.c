/*
 * The acid test of tracing, after Redox's acid `ptrace` test, with Ochre's
 * rules (HANDOUT.md §9.1). One tracee, one line per step; the first step
 * that fails is the headline.
 */
#include "pttest.h"

/* The tracee's instruction block: getpid, seven steps with known rax, three
 * pushes, then getpid again and two nops. Plain asm, so the instruction
 * count is exact and no red zone is clobbered by the pushes. */
void step_block(void);
extern char after_syscall[];
__asm__(".text\n.globl step_block\nstep_block:\n"
	"	mov $3, %eax\n	syscall\n"
	"	mov $1, %eax\n	push %rax\n	mov $2, %eax\n	push %rax\n"
	"	mov $3, %eax\n	pop %rax\n	pop %rax\n"
	"	push $3\n	push $2\n	push $1\n	add $24, %rsp\n"
	"	mov $3, %eax\n	syscall\n"
	".globl after_syscall\nafter_syscall:\n"
	"	nop\n	nop\n	ret\n");

__attribute__((noinline)) int target_fn(void)
{
	__asm__ volatile("");
	return 42;
}

static int go[2], go2[2];

static void tracee(void)
{
	char c;
	read(go[0], &c, 1);		/* attached while blocked here */
	step_block();
	pid_t k = fork();		/* fork, not followed */
	if (k == 0)
		_exit(7);
	int st;
	if (waitpid(k, &st, 0) != k || WEXITSTATUS(st) != 7)
		_exit(90);
	getppid();			/* marker */
	k = fork();			/* fork, followed */
	if (k == 0) {
		getpid();
		_exit(8);
	}
	if (waitpid(k, &st, 0) != k || WEXITSTATUS(st) != 8)
		_exit(91);
	getppid();
	kill(getpid(), SIGTERM);	/* the tracer drops it */
	getppid();
	if (target_fn() != 42)		/* an int3 is planted here */
		_exit(92);
	getppid();
	read(go2[0], &c, 1);
	_exit((int)raw_syscall1(SYS_GETPID, 0));	/* sysemu: 123 */
}

int main(void)
{
	utest_begin("acidtrace");
	CHECK_EQ(pipe(go), 0);
	CHECK_EQ(pipe(go2), 0);
	long pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		tracee();

	/* 1: attach with O_TRUNC: stopped (read says 0), then POST getpid */
	int tfd = pt_open(pid, "trace", O_RDWR | O_TRUNC);
	CHECK(tfd >= 0);
	CHECK_ERR(pt_open(pid, "trace", O_RDWR), EBUSY);
	CHECK_EQ(write(go[1], "x", 1), 1);
	struct ptrace_event ev;
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), 0);
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), 0);	/* still parked */
	/* It stopped before or after its read of go: either way, the next
	 * getpid is step_block's. */
	pt_to_pre(tfd, SYS_GETPID, 0, NULL);
	ev = pt_step(tfd, PTRACE_STOP_POST_SYSCALL, PTRACE_STOP_POST_SYSCALL, NULL);
	CHECK_EQ(ev.a, SYS_GETPID);
	CHECK_EQ(ev.b, pid);
	CHECK_EQ(pt_regs(pid).rax, pid);
	STEP_OK(1, "attach, POST of getpid");

	/* 2: seven single steps with known rax */
	static const long want[7] = { 1, 1, 2, 2, 3, 2, 1 };
	for (int i = 0; i < 7; i++) {
		ev = pt_step(tfd, PTRACE_STOP_SINGLESTEP, PTRACE_STOP_SINGLESTEP, NULL);
		struct ptrace_regs r = pt_regs(pid);
		CHECK_EQ(r.rax, want[i]);
		CHECK_EQ(ev.a, r.rip);
		CHECK_EQ(r.rflags & 0x100, 0);	/* TF is the kernel's business */
	}
	STEP_OK(2, "single-step values 1 1 2 2 3 2 1");

	/* 3: three pushes, then the stack through mem */
	for (int i = 0; i < 3; i++)
		pt_step(tfd, PTRACE_STOP_SINGLESTEP, PTRACE_STOP_SINGLESTEP, NULL);
	struct ptrace_regs r = pt_regs(pid);
	int mfd = pt_open(pid, "mem", O_RDWR);
	CHECK(mfd >= 0);
	uint64_t stack[3];
	CHECK_EQ(lseek(mfd, (off_t)r.rsp, SEEK_SET), (off_t)r.rsp);
	CHECK_EQ(read(mfd, stack, sizeof(stack)), sizeof(stack));
	CHECK(stack[0] == 1 && stack[1] == 2 && stack[2] == 3);
	CHECK_EQ(lseek(mfd, 0, SEEK_CUR), (off_t)(r.rsp + 24));
	STEP_OK(3, "stack [1,2,3] through mem");

	/* 4: SINGLESTEP|PRE: exactly two steps, then the PRE of getpid;
	 * from there the step over `syscall` is one step */
	int steps = 0;
	for (;;) {
		pt_resume(tfd, PTRACE_STOP_SINGLESTEP | PTRACE_STOP_PRE_SYSCALL);
		ev = pt_next(tfd, NULL);
		if (ev.cause != PTRACE_STOP_SINGLESTEP)
			break;
		steps++;
		CHECK(steps <= 2);
	}
	CHECK_EQ(steps, 2);
	CHECK_EQ(ev.cause, PTRACE_STOP_PRE_SYSCALL);
	CHECK_EQ(ev.a, SYS_GETPID);
	for (int i = 0; i < 3; i++) {
		ev = pt_step(tfd, PTRACE_STOP_SINGLESTEP, PTRACE_STOP_SINGLESTEP, NULL);
		CHECK_EQ(ev.a, (uint64_t)after_syscall + (uint64_t)i);
	}
	CHECK_EQ(pt_regs(pid).rax, pid);
	STEP_OK(4, "step counts: 2 then PRE; syscall is one step");

	/* 5: a fork not followed: the child is released, waitpid returns */
	long child = 0;
	pt_to_pre(tfd, SYS_GETPPID, PTRACE_EVENT_CLONE, &child);
	CHECK(child > pid);
	STEP_OK(5, "fork not followed");

	/* 6: a fork followed: the child's getpid, then ESRCH at its exit */
	child = 0;
	while (!child)
		pt_step(tfd, PTRACE_STOP_PRE_SYSCALL | PTRACE_EVENT_CLONE,
			PTRACE_STOP_PRE_SYSCALL, &child);
	int cfd = pt_open(child, "trace", O_RDWR);
	CHECK(cfd >= 0);
	CHECK_EQ(read(cfd, &ev, sizeof(ev)), 0);	/* frozen = stopped */
	pt_to_pre(cfd, SYS_GETPID, 0, NULL);
	ev = pt_step(cfd, PTRACE_STOP_POST_SYSCALL, PTRACE_STOP_POST_SYSCALL, NULL);
	CHECK_EQ(ev.b, child);
	pt_resume(cfd, 0);
	CHECK_ERR(read(cfd, &ev, sizeof(ev)), ESRCH);
	CHECK_ERR(write(cfd, &(uint64_t){ 0 }, 8), ESRCH);
	CHECK_EQ(close(cfd), 0);
	pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	STEP_OK(6, "fork followed");

	/* 7: SIGTERM stops at SIGNAL and is dropped with IGNORE */
	pt_to_pre(tfd, SYS_KILL, 0, NULL);
	ev = pt_step(tfd, PTRACE_STOP_SIGNAL, PTRACE_STOP_SIGNAL, NULL);
	CHECK_EQ(ev.a, SIGTERM);
	pt_resume(tfd, PTRACE_FLAG_IGNORE | PTRACE_STOP_PRE_SYSCALL);
	ev = pt_next(tfd, NULL);
	CHECK_EQ(ev.cause, PTRACE_STOP_PRE_SYSCALL);
	CHECK_EQ(ev.a, SYS_GETPPID);
	STEP_OK(7, "signal stop, signal dropped");

	/* 8: an int3 planted in read-only text stops with rip at it */
	uint8_t orig, cc = 0xcc;
	uint64_t at = (uint64_t)target_fn;
	CHECK_EQ(lseek(mfd, (off_t)at, SEEK_SET), (off_t)at);
	CHECK_EQ(read(mfd, &orig, 1), 1);
	CHECK_EQ(lseek(mfd, (off_t)at, SEEK_SET), (off_t)at);
	CHECK_EQ(write(mfd, &cc, 1), 1);
	CHECK_EQ(target_fn(), 42);	/* our own copy is untouched */
	ev = pt_step(tfd, PTRACE_STOP_BREAKPOINT, PTRACE_STOP_BREAKPOINT, NULL);
	CHECK_EQ(ev.a, at);
	CHECK_EQ(pt_regs(pid).rip, at);
	CHECK_EQ(lseek(mfd, (off_t)at, SEEK_SET), (off_t)at);
	CHECK_EQ(write(mfd, &orig, 1), 1);
	pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	STEP_OK(8, "int3 stop and continue");

	/* 9: a new, non-blocking session: EAGAIN while nothing happens */
	CHECK_EQ(close(tfd), 0);	/* it runs on, into its read of go2 */
	for (int i = 0; i < 20; i++)
		sched_yield();
	tfd = pt_open(pid, "trace", O_RDWR | O_NONBLOCK);
	CHECK(tfd >= 0);
	pt_resume(tfd, PTRACE_STOP_PRE_SYSCALL);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), EAGAIN);
	CHECK_EQ(write(go2[1], "x", 1), 1);
	long n;
	while ((n = read(tfd, &ev, sizeof(ev))) < 0 && errno == EAGAIN)
		sched_yield();
	CHECK_EQ(n, EV_SIZE);
	CHECK_EQ(ev.cause, PTRACE_STOP_PRE_SYSCALL);
	STEP_OK(9, "non-blocking EAGAIN");

	/* 10: sysemu: getpid skipped, 123 is its result and the exit status */
	while (ev.a != SYS_GETPID) {
		pt_resume(tfd, PTRACE_STOP_PRE_SYSCALL);
		while ((n = read(tfd, &ev, sizeof(ev))) < 0 && errno == EAGAIN)
			sched_yield();
		CHECK_EQ(n, EV_SIZE);
	}
	r = pt_regs(pid);
	r.rax = 123;
	pt_setregs(pid, &r);
	pt_resume(tfd, PTRACE_FLAG_IGNORE | PTRACE_STOP_POST_SYSCALL);
	while ((n = read(tfd, &ev, sizeof(ev))) < 0 && errno == EAGAIN)
		sched_yield();
	CHECK_EQ(ev.cause, PTRACE_STOP_POST_SYSCALL);
	CHECK_EQ(ev.b, 123);
	pt_resume(tfd, PTRACE_STOP_EXIT);
	while ((n = read(tfd, &ev, sizeof(ev))) < 0 && errno == EAGAIN)
		sched_yield();
	CHECK_EQ(ev.cause, PTRACE_STOP_EXIT);
	CHECK(WIFEXITED(ev.a) && WEXITSTATUS(ev.a) == 123);
	pt_resume(tfd, 0);
	while ((n = read(tfd, &ev, sizeof(ev))) < 0 && errno == EAGAIN)
		sched_yield();
	CHECK(n == -1 && errno == ESRCH);
	int st;
	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 123);
	CHECK_ERR(lseek(mfd, 0x1000, SEEK_SET) >= 0 ? read(mfd, &orig, 1) : -1, ESRCH);
	close(mfd);
	close(tfd);
	STEP_OK(10, "sysemu result 123 in the EXIT stop, then ESRCH");

	/* 11: nothing we may not trace opens (our own descendants, such as
	 * a daemon we started, may be traced: kill(pid, 0) finds them) */
	int eperm = 0, esrch = 0;
	for (long id = 0; id <= 300; id++) {
		static const char *const files[] = { "trace", "regs/int", "mem" };
		if (id != getpid() && id > 0 && kill((pid_t)id, 0) == 0)
			continue;
		for (int i = 0; i < 3; i++) {
			errno = 0;
			int fd = pt_open(id, files[i], O_RDWR);
			if (fd >= 0)
				printf("acidtrace: proc:%ld/%s opened\n", id, files[i]);
			CHECK(fd < 0);
			CHECK(errno == EPERM || errno == ESRCH);
			eperm += errno == EPERM;
			esrch += errno == ESRCH;
		}
	}
	CHECK(eperm >= 3 && esrch > 0);	/* ourselves at least */
	STEP_OK(11, "illegal opens give only EPERM or ESRCH");
	utest_ok();
}

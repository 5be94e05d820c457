/*
 * Lifetimes (HANDOUT.md §6): nothing hangs. Clone events with frozen
 * children, tracee death while the tracer waits, tracer death (with and
 * without O_EXCL), the EXIT stop, and signals sent to a parked tracee.
 */
#include "pttest.h"
#include <ochre/elf.h>

static volatile int child_ran;

/* Attach with O_TRUNC (plus extra flags), let it go, wait for the stop. */
static int attach_stopped(long pid, int go[2], int extra)
{
	int tfd = pt_open(pid, "trace", O_RDWR | O_TRUNC | extra);
	CHECK(tfd >= 0);
	CHECK_EQ(write(go[1], "x", 1), 1);
	struct ptrace_event ev;
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), 0);
	return tfd;
}

static int wait_status(long pid)
{
	int st;
	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	return st;
}

static void forker(void)
{
	long k = fork();
	if (k == 0) {
		child_ran = 1;
		getpid();
		_exit(3);
	}
	int st;
	if (k < 0 || waitpid((pid_t)k, &st, 0) != k || WEXITSTATUS(st) != 3)
		_exit(90);
}

static void clone_frozen(void)
{
	int go[2];
	long pid = pt_spawn(go, forker);
	int tfd = attach_stopped(pid, go, 0);
	pt_resume(tfd, PTRACE_EVENT_CLONE);
	struct ptrace_event ev;
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), EV_SIZE);
	CHECK_EQ(ev.cause, PTRACE_EVENT_CLONE);
	long child = (long)ev.a;
	for (int i = 0; i < 100; i++)
		sched_yield();
	/* Frozen: not one instruction of its own yet. */
	int mfd = pt_open(child, "mem", O_RDONLY);
	CHECK(mfd >= 0);
	int ran = -1;
	CHECK_EQ(lseek(mfd, (off_t)(uintptr_t)&child_ran, SEEK_SET),
		 (off_t)(uintptr_t)&child_ran);
	CHECK_EQ(read(mfd, &ran, sizeof(ran)), sizeof(ran));
	CHECK_EQ(ran, 0);
	int cfd = pt_open(child, "trace", O_RDWR);
	CHECK(cfd >= 0);
	CHECK_EQ(read(cfd, &ev, sizeof(ev)), 0);	/* stopped */
	ev = pt_step(cfd, PTRACE_STOP_PRE_SYSCALL, PTRACE_STOP_PRE_SYSCALL, NULL);
	CHECK_EQ(ev.a, SYS_GETPID);		/* its first system call */
	CHECK_EQ(lseek(mfd, (off_t)(uintptr_t)&child_ran, SEEK_SET),
		 (off_t)(uintptr_t)&child_ran);
	CHECK_EQ(read(mfd, &ran, sizeof(ran)), sizeof(ran));
	CHECK_EQ(ran, 1);
	close(mfd);
	CHECK_EQ(close(cfd), 0);		/* runs free */
	pt_resume(tfd, 0);
	CHECK_EQ(wait_status(pid), 0);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
	CHECK_EQ(close(tfd), 0);
	printf("ptlife: clone event, child frozen until attached: ok\n");
}

static void clone_ignored(bool read_event)
{
	int go[2];
	long pid = pt_spawn(go, forker);
	int tfd = attach_stopped(pid, go, 0);
	pt_resume(tfd, PTRACE_EVENT_CLONE | PTRACE_STOP_EXIT);
	struct ptrace_event ev;
	if (read_event) {
		/* Read the event, then resume: that releases the child. */
		CHECK_EQ(read(tfd, &ev, sizeof(ev)), EV_SIZE);
		CHECK_EQ(ev.cause, PTRACE_EVENT_CLONE);
		pt_resume(tfd, PTRACE_EVENT_CLONE | PTRACE_STOP_EXIT);
		ev = pt_next(tfd, NULL);
		CHECK_EQ(ev.cause, PTRACE_STOP_EXIT);
		CHECK_EQ(ev.a, 0);
		pt_resume(tfd, 0);
	} else {
		/* Closing the session releases even an unread child. */
		for (int i = 0; i < 100; i++)
			sched_yield();
		CHECK_EQ(close(tfd), 0);
	}
	CHECK_EQ(wait_status(pid), 0);		/* its child finished too */
	if (read_event) {
		CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
		close(tfd);
	}
	printf("ptlife: clone event not followed (%s): ok\n",
	       read_event ? "read" : "closed unread");
}

/* Spins in user mode, no system calls. Not with `pause`: QEMU leaves its
 * translated code at every pause, which makes each guest instruction of
 * the spin hundreds of times dearer on the host. */
static void spin(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void spin_marked(void)
{
	child_ran = 1;
	spin();
}

static void syscalls(void)
{
	for (;;)
		getppid();
}

/* A tracer (our child) blocks in read; we kill its tracee. */
static void tracee_killed(void)
{
	int info[2];
	CHECK_EQ(pipe(info), 0);
	long tracer = fork();
	CHECK(tracer >= 0);
	if (tracer == 0) {
		int go[2];
		long pid = pt_spawn(go, spin);
		CHECK_EQ(write(go[1], "x", 1), 1);
		for (int i = 0; i < 10; i++)
			sched_yield();		/* it spins, no more syscalls */
		int tfd = pt_open(pid, "trace", O_RDWR);
		CHECK(tfd >= 0);
		pt_resume(tfd, PTRACE_STOP_PRE_SYSCALL);
		CHECK_EQ(write(info[1], &pid, sizeof(pid)), sizeof(pid));
		struct ptrace_event ev;
		CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
		int st = wait_status(pid);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		_exit(0);
	}
	long pid;
	CHECK_EQ(read(info[0], &pid, sizeof(pid)), sizeof(pid));
	for (int i = 0; i < 10; i++)
		sched_yield();
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_EQ(wait_status(tracer), 0);
	printf("ptlife: tracee killed while the tracer waits: ESRCH: ok\n");
}

static void quick_exit(void)
{
	for (int i = 0; i < 5; i++)
		getppid();
	_exit(0);
}

/* The tracer exits holding a stopped tracee; we (init) inherit it. */
static void tracer_dies(bool excl)
{
	int info[2];
	CHECK_EQ(pipe(info), 0);
	long tracer = fork();
	CHECK(tracer >= 0);
	if (tracer == 0) {
		int go[2];
		long pid = pt_spawn(go, quick_exit);
		attach_stopped(pid, go, excl ? O_EXCL : 0);
		CHECK_EQ(write(info[1], &pid, sizeof(pid)), sizeof(pid));
		_exit(0);			/* without resuming it */
	}
	long pid;
	CHECK_EQ(read(info[0], &pid, sizeof(pid)), sizeof(pid));
	CHECK_EQ(wait_status(tracer), 0);
	int st = wait_status(pid);		/* reparented to us */
	if (excl)
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	else
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("ptlife: tracer exits, tracee %s: ok\n",
	       excl ? "killed (O_EXCL)" : "runs on");
}

static int held_pid[2];		/* exit7_holding tells us its child */

/* Holds a child of its own at its O_TRUNC stop (the child would set
 * child_ran), then exits with 7 without closing the session. */
static void exit7_holding(void)
{
	int go[2];
	long q = pt_spawn(go, spin_marked);
	attach_stopped(q, go, 0);
	CHECK_EQ(write(held_pid[1], &q, sizeof(q)), sizeof(q));
	_exit(7);
}

static int ran_of(int mfd)
{
	int ran = -1;
	CHECK_EQ(lseek(mfd, (off_t)(uintptr_t)&child_ran, SEEK_SET),
		 (off_t)(uintptr_t)&child_ran);
	CHECK_EQ(read(mfd, &ran, sizeof(ran)), sizeof(ran));
	return ran;
}

/* The EXIT stop comes before any teardown (HANDOUT §4.6): the dying
 * tracee's files are still open there (its own session still holds its
 * child), and its parent's waitpid does not see it exit yet. */
static void exit_stop(void)
{
	int go[2];
	CHECK_EQ(pipe(held_pid), 0);
	long pid = pt_spawn(go, exit7_holding);
	int tfd = attach_stopped(pid, go, 0);
	struct ptrace_event ev = pt_step(tfd, PTRACE_STOP_EXIT,
					 PTRACE_STOP_EXIT, NULL);
	CHECK(WIFEXITED(ev.a) && WEXITSTATUS(ev.a) == 7);
	struct ptrace_regs r = pt_regs(pid);	/* still inspectable */
	CHECK_EQ(r.rax, SYS_EXIT);
	long q;
	CHECK_EQ(read(held_pid[0], &q, sizeof(q)), sizeof(q));
	for (int i = 0; i < 20; i++)
		sched_yield();
	int mfd = pt_open(q, "mem", O_RDONLY);
	CHECK(mfd >= 0);
	CHECK_EQ(ran_of(mfd), 0);	/* still held: its files are open */
	int st;
	CHECK_EQ(waitpid((pid_t)pid, &st, WNOHANG), 0);
	pt_resume(tfd, PTRACE_STOP_EXIT);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
	CHECK_ERR(pt_open(pid, "regs/int", O_RDONLY), ESRCH);
	CHECK_EQ(WEXITSTATUS(wait_status(pid)), 7);
	/* Its session closed with its files: the child runs free. */
	for (int i = 0; i < 200 && ran_of(mfd) == 0; i++)
		sched_yield();
	CHECK_EQ(ran_of(mfd), 1);
	CHECK_EQ(kill((pid_t)q, SIGKILL), 0);
	st = wait_status(q);			/* reparented to us */
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(mfd);
	CHECK_EQ(close(tfd), 0);
	close(held_pid[0]);
	close(held_pid[1]);
	printf("ptlife: EXIT stop with the status, before any teardown: ok\n");
}

static void signals_parked(void)
{
	int go[2];
	long pid = pt_spawn(go, syscalls);
	int tfd = attach_stopped(pid, go, 0);
	struct ptrace_event ev = pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	/* SIGTERM to a parked tracee: no second event, still parked. */
	CHECK_EQ(kill((pid_t)pid, SIGTERM), 0);
	for (int i = 0; i < 10; i++)
		sched_yield();
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), 0);
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), 0);
	/* It acts once the tracee runs on: a SIGNAL stop, then dropped. */
	ev = pt_step(tfd, PTRACE_STOP_SIGNAL, PTRACE_STOP_SIGNAL, NULL);
	CHECK_EQ(ev.a, SIGTERM);
	ev = pt_step(tfd, PTRACE_FLAG_IGNORE | PTRACE_STOP_PRE_SYSCALL,
		     PTRACE_STOP_PRE_SYSCALL, NULL);
	CHECK_EQ(ev.a, SYS_GETPPID);
	/* SIGKILL ends a parked tracee. */
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
	int st = wait_status(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK_EQ(close(tfd), 0);
	printf("ptlife: signals to a parked tracee: ok\n");
}

static void spin_then_exit(void)
{
	for (volatile long i = 0; i < 200000; i++)
		;
	_exit(0);
}

/* A tracer SIGKILLed while it waits (or while its tracee is parked at
 * PRE of _exit): the tracee runs on and finishes. */
static void tracer_killed(void)
{
	int info[2];
	CHECK_EQ(pipe(info), 0);
	long tracer = fork();
	CHECK(tracer >= 0);
	if (tracer == 0) {
		int go[2];
		long pid = pt_spawn(go, spin_then_exit);
		int tfd = attach_stopped(pid, go, 0);
		pt_resume(tfd, PTRACE_STOP_PRE_SYSCALL);
		CHECK_EQ(write(info[1], &pid, sizeof(pid)), sizeof(pid));
		struct ptrace_event ev;
		for (;;)
			if (read(tfd, &ev, sizeof(ev)) == 0)
				sched_yield();
	}
	long pid;
	CHECK_EQ(read(info[0], &pid, sizeof(pid)), sizeof(pid));
	for (int i = 0; i < 5; i++)
		sched_yield();
	CHECK_EQ(kill((pid_t)tracer, SIGKILL), 0);
	int st = wait_status(tracer);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	st = wait_status(pid);			/* reparented to us */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("ptlife: tracer killed, tracee runs on: ok\n");
}

/*
 * The tracer of a forking tracee dies while the new child is frozen, in
 * every state a frozen clone can be in: its event unread, read and not
 * followed, attached (parked under its own session), run to a stop of
 * its own; the tracer exiting or SIGKILLed, with the parent running or
 * parked. The parent and its child must both run on to their exit: the
 * parent (reparented to us) reports its child's status 3 as exit 0.
 */
enum clone_state { UNREAD, READ, ATTACHED, STOPPED, NSTATES };

static void tracer_of_forker(int state, bool parent_parked, int info[2],
			     int bye[2])
{
	int go[2];
	long pid = pt_spawn(go, forker);
	int tfd = attach_stopped(pid, go, 0);
	uint64_t w = PTRACE_EVENT_CLONE |
		     (parent_parked ? PTRACE_STOP_PRE_SYSCALL : 0);
	long child = 0;
	if (parent_parked) {		/* on to the PRE after the fork */
		while (!child)
			pt_step(tfd, w, PTRACE_STOP_PRE_SYSCALL, &child);
	} else {
		pt_resume(tfd, w);
		if (state != UNREAD) {
			struct ptrace_event ev;
			CHECK_EQ(read(tfd, &ev, sizeof(ev)), EV_SIZE);
			CHECK_EQ(ev.cause, PTRACE_EVENT_CLONE);
			child = (long)ev.a;
		}
	}
	if (state >= ATTACHED) {
		int cfd = pt_open(child, "trace", O_RDWR);
		CHECK(cfd >= 0);
		struct ptrace_event ev;
		CHECK_EQ(read(cfd, &ev, sizeof(ev)), 0);	/* held */
		if (state == STOPPED)
			pt_step(cfd, PTRACE_STOP_PRE_SYSCALL,
				PTRACE_STOP_PRE_SYSCALL, NULL);
	}
	for (int i = 0; i < 20; i++)
		sched_yield();		/* an unread event is queued by now */
	CHECK_EQ(write(info[1], &pid, sizeof(pid)), sizeof(pid));
	char c;
	read(bye[0], &c, 1);		/* or be killed while waiting */
	_exit(0);
}

static void tracer_dies_clones_frozen(void)
{
	for (int state = 0; state < NSTATES; state++) {
		for (int how = 0; how < 3; how++) {
			bool killed = how > 0, parked = how == 2;
			int info[2], bye[2];
			CHECK_EQ(pipe(info), 0);
			CHECK_EQ(pipe(bye), 0);
			long tracer = fork();
			CHECK(tracer >= 0);
			if (tracer == 0)
				tracer_of_forker(state, parked, info, bye);
			long pid;
			CHECK_EQ(read(info[0], &pid, sizeof(pid)), sizeof(pid));
			if (!killed)
				CHECK_EQ(write(bye[1], "x", 1), 1);
			else
				CHECK_EQ(kill((pid_t)tracer, SIGKILL), 0);
			close(info[0]);
			close(info[1]);
			close(bye[0]);
			close(bye[1]);
			int st = wait_status(tracer);
			CHECK(killed ? WIFSIGNALED(st) : WIFEXITED(st));
			/* Reparented to us; it waits for its child. */
			CHECK_EQ_SOON(waitpid((pid_t)pid, &st, 0), pid);
			if (st != 0)
				printf("ptlife: clone state %d, tracer %s: "
				       "parent status %#x\n", state,
				       killed ? "killed" : "exits", st);
			CHECK_EQ(st, 0);
		}
	}
	printf("ptlife: tracer dies, frozen clones run on: ok\n");
}

/*
 * A tracer that reads slowly. Events queue up in a ring of PTRACE_QUEUE
 * slots, one kept for a stop; nothing may be lost silently and nothing
 * may hang. Stops: a write releases the tracee to its next stop even if
 * the last one was not read, so the write that would let a stop find
 * the ring full is refused (EBUSY), and the tracee stays parked until
 * the tracer reads. Clones: each start queues a clone event and freezes
 * the child; when no slot is left for it, fork fails with EAGAIN at
 * once, and every child frozen before runs on once the tracer reads.
 */
static void exec_true(void);
static int forks_done[2];	/* forks_then_exec's loop has ended */

/* Forks until refused (the children exit with 5), says how many and why
 * the last failed, then execs true without waiting for its children. */
static void forks_then_exec(void)
{
	long r[2] = { 0, 0 };
	long k;
	while (r[0] < 64 && (k = fork()) > 0)
		r[0]++;
	if (k == 0)
		_exit(5);
	r[1] = k < 0 ? errno : 0;
	write(forks_done[1], r, sizeof(r));
	exec_true();
}

static void slow_tracer(void)
{
	static struct ptrace_event ev[PTRACE_QUEUE + 8];
	int go[2];
	long pid = pt_spawn(go, syscalls);
	int tfd = attach_stopped(pid, go, 0);
	int writes = 0;
	uint64_t w = PTRACE_STOP_PRE_SYSCALL;
	while (write(tfd, &w, sizeof(w)) == sizeof(w)) {
		CHECK(++writes < 200);
		sched_yield();			/* on to its next stop */
	}
	CHECK_EQ(errno, EBUSY);			/* 31 stops queued unread */
	CHECK_EQ(read(tfd, ev, sizeof(ev)), (PTRACE_QUEUE - 1) * EV_SIZE);
	for (int i = 0; i < PTRACE_QUEUE - 1; i++)
		CHECK_EQ(ev[i].cause, PTRACE_STOP_PRE_SYSCALL);
	CHECK_EQ(read(tfd, ev, sizeof(ev)), 0);	/* still parked */
	pt_step(tfd, PTRACE_STOP_PRE_SYSCALL, PTRACE_STOP_PRE_SYSCALL, NULL);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_ERR(read(tfd, ev, sizeof(ev)), ESRCH);
	wait_status(pid);
	close(tfd);

	CHECK_EQ(pipe(forks_done), 0);
	pid = pt_spawn(go, forks_then_exec);
	tfd = attach_stopped(pid, go, 0);
	pt_resume(tfd, PTRACE_EVENT_CLONE | PTRACE_EVENT_ADDRSPACE_SWITCH);
	long r[2];
	CHECK_EQ_SOON(read(forks_done[0], r, sizeof(r)), sizeof(r));
	CHECK_EQ(r[0], PTRACE_QUEUE - 1);	/* then fork said EAGAIN */
	CHECK_EQ(r[1], EAGAIN);
	CHECK_EQ(wait_status(pid), 0);		/* true's, unread */
	/* The exec found no slot: its event is dropped, nothing else. */
	long n, seen = 0;
	while ((n = read(tfd, ev + seen, sizeof(ev) - seen * EV_SIZE)) > 0)
		seen += n / EV_SIZE;
	int e = errno;
	CHECK_EQ(n, -1);
	CHECK_EQ(e, ESRCH);
	CHECK_EQ(seen, PTRACE_QUEUE - 1);
	for (int i = 0; i < seen; i++)
		CHECK_EQ(ev[i].cause, PTRACE_EVENT_CLONE);
	close(tfd);			/* releases the 31, now ours */
	pid_t dog = utest_watch(__FILE__, __LINE__, "reaping the 31 released "
				"children", UTEST_SOON_MS);
	for (int i = 0; i < seen; i++)
		CHECK_EQ(wait_status((long)ev[i].a), W_EXITCODE(5));
	utest_unwatch(dog);
	close(forks_done[0]);
	close(forks_done[1]);
	printf("ptlife: a slow tracer: write EBUSY, fork EAGAIN, exec event dropped: ok\n");
}

static void exec_true(void)
{
	char *argv[] = { "true", NULL };
	execv("initfs:/bin/true", argv);
	_exit(99);
}

/* The entry point of /bin/true and its first 16 bytes, from the file. */
static uint64_t true_entry(uint8_t code[16])
{
	static uint8_t elf[16384];
	int fd = open("initfs:/bin/true", O_RDONLY);
	CHECK(fd >= 0);
	long n = read(fd, elf, sizeof(elf));
	close(fd);
	CHECK(n >= (long)sizeof(struct elf64_ehdr));
	struct elf64_ehdr eh;
	memcpy(&eh, elf, sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;
		CHECK(eh.e_phoff + (i + 1) * sizeof(ph) <= (uint64_t)n);
		memcpy(&ph, elf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != ELF_PT_LOAD || eh.e_entry < ph.p_vaddr ||
		    eh.e_entry + 16 > ph.p_vaddr + ph.p_filesz)
			continue;
		uint64_t off = ph.p_offset + (eh.e_entry - ph.p_vaddr);
		CHECK(off + 16 <= (uint64_t)n);
		memcpy(code, elf + off, 16);
		return eh.e_entry;
	}
	CHECK(!"no PT_LOAD holds the entry point of /bin/true");
	return 0;
}

/* exec: EVENT_ADDRSPACE_SWITCH with the new entry; mem (opened before)
 * shows the new image; a single step starts at its first instruction. */
static void exec_event(void)
{
	uint8_t want[16], got[16];
	uint64_t entry = true_entry(want);
	int go[2];
	long pid = pt_spawn(go, exec_true);
	int mfd = pt_open(pid, "mem", O_RDONLY);
	CHECK(mfd >= 0);
	int tfd = attach_stopped(pid, go, 0);
	const uint64_t w = PTRACE_STOP_POST_SYSCALL | PTRACE_EVENT_ADDRSPACE_SWITCH;
	struct ptrace_event ev;
	bool switched = false;
	while (!switched) {
		pt_resume(tfd, w);
		for (;;) {
			CHECK_EQ(read(tfd, &ev, sizeof(ev)), EV_SIZE);
			if (ev.cause == PTRACE_EVENT_ADDRSPACE_SWITCH) {
				CHECK_EQ(ev.a, entry);
				switched = true;
			} else {
				CHECK_EQ(ev.cause, PTRACE_STOP_POST_SYSCALL);
				break;
			}
		}
	}
	/* The POST of the committing call already shows the new image. */
	CHECK_EQ(pt_regs(pid).rip, entry);
	CHECK_EQ(lseek(mfd, (off_t)entry, SEEK_SET), (off_t)entry);
	CHECK_EQ(read(mfd, got, sizeof(got)), sizeof(got));
	CHECK(memcmp(got, want, sizeof(got)) == 0);
	ev = pt_step(tfd, PTRACE_STOP_SINGLESTEP, PTRACE_STOP_SINGLESTEP, NULL);
	CHECK(ev.a > entry && ev.a < entry + 16);
	pt_resume(tfd, 0);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
	CHECK_EQ(wait_status(pid), 0);
	close(mfd);
	close(tfd);
	printf("ptlife: exec: ADDRSPACE_SWITCH, mem follows, step at entry: ok\n");
}

/* A tracer blocked in read is interrupted by a signal (EINTR): we trace
 * the tracer, and drop the SIGTERM at its SIGNAL stop so it lives to see
 * the EINTR. */
static void tracer_interrupted(void)
{
	int info[2], ready[2];
	CHECK_EQ(pipe(info), 0);
	CHECK_EQ(pipe(ready), 0);
	long tracer = fork();
	CHECK(tracer >= 0);
	if (tracer == 0) {
		int go[2];
		long pid = pt_spawn(go, spin);
		CHECK_EQ(write(go[1], "x", 1), 1);
		for (int i = 0; i < 10; i++)
			sched_yield();
		int tfd = pt_open(pid, "trace", O_RDWR);
		CHECK(tfd >= 0);
		pt_resume(tfd, PTRACE_STOP_PRE_SYSCALL);
		char c;
		CHECK_EQ(read(ready[0], &c, 1), 1);	/* we are traced now */
		struct ptrace_event ev;
		CHECK_ERR(read(tfd, &ev, sizeof(ev)), EINTR);
		CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
		CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
		_exit(0);
	}
	int tfd = pt_open(tracer, "trace", O_RDWR);
	CHECK(tfd >= 0);
	pt_resume(tfd, PTRACE_STOP_SIGNAL);
	CHECK_EQ(write(ready[1], "x", 1), 1);
	for (int i = 0; i < 20; i++)
		sched_yield();			/* it blocks in read */
	CHECK_EQ(kill((pid_t)tracer, SIGTERM), 0);
	struct ptrace_event ev = pt_next(tfd, NULL);
	CHECK_EQ(ev.cause, PTRACE_STOP_SIGNAL);
	CHECK_EQ(ev.a, SIGTERM);
	pt_resume(tfd, PTRACE_FLAG_IGNORE);
	CHECK_EQ(wait_status(tracer), 0);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
	CHECK_EQ(close(tfd), 0);
	printf("ptlife: a blocked tracer's read gives EINTR: ok\n");
}

int main(void)
{
	utest_begin("ptlife");
	clone_frozen();
	clone_ignored(true);
	clone_ignored(false);
	tracee_killed();
	tracer_dies(false);
	tracer_dies(true);
	tracer_killed();
	tracer_dies_clones_frozen();
	slow_tracer();
	exit_stop();
	signals_parked();
	tracer_interrupted();
	exec_event();
	utest_ok();
}

/*
 * Who may trace whom, and bad arguments (HANDOUT.md §2): every case gives
 * its errno, never a kernel panic.
 */
#include "pttest.h"

static uint64_t seed = 0x9e3779b97f4a7c15UL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Words a hostile tracer would try: edges, kernel and odd addresses. */
static uint64_t nasty(void)
{
	static const uint64_t pick[] = {
		0, 1, 7, 8, 55, 56, 57, 168, 512, 4095, 4096, 0x7fffffffefffUL,
		0x7ffffffff000UL, 0x800000000000UL, 0xffff800000000000UL,
		0xffffffff80100000UL, ~0UL, ~0UL >> 1, PTRACE_VALID,
		PTRACE_STOP_MASK, 1UL << 40,
	};
	uint64_t r = rnd();
	return r & 1 ? pick[(r >> 1) % (sizeof(pick) / sizeof(pick[0]))]
		     : rnd() >> (rnd() % 64);
}

static void busy(void)
{
	for (int i = 0; i < 400; i++) {
		getppid();
		for (volatile int j = 0; j < 200; j++)
			;
	}
	_exit(0);
}

/* Thousands of random operations on a live tracee's files: only errnos. */
static void fuzz(void)
{
	int go[2];
	long pid = pt_spawn(go, busy);
	static const char *const files[] = { "trace", "regs/int",
					     "regs/float", "mem" };
	static uint8_t buf[1024];
	int fds[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = pt_open(pid, files[i], O_RDWR | (i == 0 ? O_NONBLOCK : 0));
		CHECK(fds[i] >= 0);
	}
	CHECK_EQ(write(go[1], "x", 1), 1);
	for (int i = 0; i < 3000; i++) {
		int fd = fds[rnd() % 4];
		uint64_t len = rnd() % 3 ? rnd() % sizeof(buf) : nasty();
		void *p = rnd() % 4 ? (void *)buf : (void *)nasty();
		for (size_t k = 0; k < 16; k++)
			((uint64_t *)buf)[rnd() % (sizeof(buf) / 8)] = nasty();
		switch (rnd() % 5) {
		case 0:
			read(fd, p, len);
			break;
		case 1:
			if (fd == fds[0])	/* keep it running, mostly */
				((uint64_t *)buf)[0] &= PTRACE_VALID &
					~(uint64_t)PTRACE_STOP_EXIT;
			write(fd, p, len);
			break;
		case 2:
			lseek(fd, (off_t)nasty(), (int)(rnd() % 4));
			break;
		case 3:
			pt_open(rnd() % 3 ? pid : (long)(rnd() % 200),
				files[rnd() % 4], (int)(rnd() & 0xfff));
			break;
		default:
			if (rnd() % 8 == 0)
				sched_yield();
			break;
		}
		/* fds opened by case 3 are closed below; keep our four */
		for (int f = 3; f < 64; f++) {
			bool ours = false;
			for (int k = 0; k < 4; k++)
				ours |= fds[k] == f;
			if (!ours && f != go[0] && f != go[1])
				close(f);
		}
	}
	for (int i = 0; i < 4; i++)
		CHECK_EQ(close(fds[i]), 0);
	int st;
	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	close(go[0]);
	close(go[1]);
	printf("ptperm: 3000 random operations, no panic: ok\n");
}

int main(void)
{
	utest_begin("ptperm");
	int go[2], go2[2];
	long a = pt_spawn(go, NULL);
	long b = fork();
	CHECK(b >= 0);
	if (b == 0) {
		/* a sibling, our parent (pid 1), ourselves: EPERM */
		CHECK_ERR(pt_open(a, "trace", O_RDWR), EPERM);
		CHECK_ERR(pt_open(a, "mem", O_RDONLY), EPERM);
		CHECK_ERR(pt_open(a, "regs/int", O_RDONLY), EPERM);
		CHECK_ERR(pt_open(1, "trace", O_RDWR), EPERM);
		CHECK_ERR(pt_open(getpid(), "trace", O_RDWR), EPERM);
		CHECK_ERR(pt_open(getpid(), "regs/float", O_RDONLY), EPERM);
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid((pid_t)b, &st, 0), b);
	CHECK_EQ(st, 0);
	CHECK_ERR(pt_open(1, "trace", O_RDWR), EPERM);	/* ourselves */
	CHECK_ERR(pt_open(99999, "trace", O_RDWR), ESRCH);
	CHECK_ERR(pt_open(b, "trace", O_RDWR), ESRCH);	/* reaped */
	CHECK_ERR(pt_open(a, "bogus", O_RDWR), ENOENT);
	CHECK_ERR(pt_open(a, "regs/bogus", O_RDWR), ENOENT);
	CHECK_ERR(open("proc:abc/trace", O_RDWR), ENOENT);
	CHECK_ERR(pt_open(a, "trace", O_RDONLY), EINVAL);
	printf("ptperm: permissions: ok\n");

	int tfd = pt_open(a, "trace", O_RDWR);
	CHECK(tfd >= 0);
	CHECK_ERR(pt_open(a, "trace", O_RDWR), EBUSY);
	uint64_t w = PTRACE_STOP_PRE_SYSCALL;
	CHECK_ERR(write(tfd, &w, 4), EINVAL);
	CHECK_ERR(write(tfd, &w, 16), EINVAL);
	CHECK_ERR(write(tfd, &w, 0), EINVAL);
	w = 1UL << 40;
	CHECK_ERR(write(tfd, &w, 8), EINVAL);
	w = 0x40;				/* Redox's removed STOP_EXEC */
	CHECK_ERR(write(tfd, &w, 8), EINVAL);
	CHECK_ERR(write(tfd, (void *)1, 8), EFAULT);
	CHECK_ERR(write(tfd, (void *)0xffffffff80100000UL, 8), EFAULT);
	struct ptrace_event ev[2];
	CHECK_ERR(read(tfd, ev, 10), EINVAL);
	CHECK_ERR(read(tfd, ev, 0), EINVAL);
	CHECK_ERR(read(tfd, (void *)0xffff800000000000UL, sizeof(ev)), EFAULT);
	CHECK_ERR(lseek(tfd, 0, SEEK_SET), ESPIPE);
	/* an event waits: a bad buffer fails and leaves it queued */
	pt_resume(tfd, PTRACE_STOP_PRE_SYSCALL);
	CHECK_EQ(write(go[1], "x", 1), 1);
	for (int i = 0; i < 10; i++)
		sched_yield();
	CHECK_ERR(read(tfd, (void *)1, sizeof(ev)), EFAULT);
	CHECK_ERR(read(tfd, (void *)0x7ffffffff000UL - 8, sizeof(ev)), EFAULT);
	CHECK_EQ(read(tfd, ev, sizeof(ev)), EV_SIZE);	/* only one */
	CHECK_EQ(ev[0].cause, PTRACE_STOP_PRE_SYSCALL);
	CHECK_EQ(ev[0].a, SYS_EXIT);
	printf("ptperm: bad arguments: ok\n");

	/* the tracee dies under an open session: everything says ESRCH */
	int rfd = pt_open(a, "regs/int", O_RDWR);
	CHECK(rfd >= 0);
	CHECK_EQ(kill((pid_t)a, SIGKILL), 0);
	CHECK_ERR(read(tfd, ev, sizeof(ev)), ESRCH);
	w = PTRACE_STOP_PRE_SYSCALL;
	CHECK_ERR(write(tfd, &w, 8), ESRCH);
	struct ptrace_regs r;
	CHECK_ERR(read(rfd, &r, sizeof(r)), ESRCH);
	CHECK_EQ(waitpid((pid_t)a, &st, 0), a);
	CHECK_ERR(read(tfd, ev, sizeof(ev)), ESRCH);
	CHECK_EQ(close(tfd), 0);
	CHECK_EQ(close(rfd), 0);
	CHECK_ERR(pt_open(a, "trace", O_RDWR), ESRCH);

	/* sessions and frozen children leave nothing behind */
	struct ochre_meminfo before, after;
	CHECK_EQ(meminfo(&before), 0);
	for (int i = 0; i < 50; i++) {
		long c = pt_spawn(go2, NULL);
		int fd = pt_open(c, "trace", O_RDWR | O_TRUNC | (i & 1 ? O_EXCL : 0));
		CHECK(fd >= 0);
		CHECK_EQ(write(go2[1], "x", 1), 1);
		if (i % 3 == 0)
			CHECK_EQ(read(fd, ev, sizeof(ev)), 0);
		CHECK_EQ(close(fd), 0);
		CHECK_EQ(waitpid((pid_t)c, &st, 0), c);
		close(go2[0]);
		close(go2[1]);
	}
	CHECK_EQ(meminfo(&after), 0);
	CHECK_EQ(after.heap_live, before.heap_live);
	CHECK_EQ(after.free_frames, before.free_frames);
	printf("ptperm: tracee death, no leaks: ok\n");
	close(go[0]);
	close(go[1]);
	fuzz();
	utest_ok();
}

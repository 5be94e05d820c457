/*
 * Hostile: one huge read (16 MiB from zero:), one AS_COPY of 16 MiB into
 * an embryo, one mmap of 16 MiB: none may hold the CPU for its whole
 * length. A watcher process reads the time stamp counter (which
 * counts guest instructions under the grader's -icount) in a loop and
 * records the longest stretch it did not run. With the copy split into
 * chunks and a preemption point between them, that stretch stays about
 * one time slice, as when the reader spins in user mode; without, it is
 * the length of the whole copy.
 */
#include "embryo.h"

#define BUF	(16UL << 20)

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Runs until killed; reports each new longest gap on out. */
static void watcher(int out)
{
	uint64_t last = rdtsc(), worst = 0;
	for (;;) {
		uint64_t now = rdtsc();
		if (now - last > worst) {
			worst = now - last;
			CHECK_EQ(write(out, &worst, sizeof(worst)),
				 sizeof(worst));
		}
		last = now;
	}
}

/* The longest time the watcher did not run while work() ran. */
static uint64_t worst_gap(void (*work)(void))
{
	int out[2];
	CHECK_EQ(pipe(out), 0);
	pid_t kid = fork();
	CHECK(kid >= 0);
	if (kid == 0)
		watcher(out[1]);
	CHECK_EQ(close(out[1]), 0);
	sched_yield();		/* let the watcher start */
	work();
	usleep(30000);		/* the watcher runs again and notices */
	CHECK_EQ(kill(kid, SIGKILL), 0);
	CHECK_EQ(child_status(kid), W_SIGNALED(SIGKILL));
	uint64_t worst = 0, w;
	while (read(out[0], &w, sizeof(w)) == sizeof(w))
		worst = w;
	CHECK_EQ(close(out[0]), 0);
	return worst;
}

static char *buf;
static uint64_t copy_time;

static void huge_reads(void)
{
	int z = open("zero:/", O_RDONLY);
	CHECK(z >= 0);
	uint64_t t0 = rdtsc();
	for (int i = 0; i < 2; i++)
		CHECK_EQ(read(z, buf, BUF), (long)BUF);
	copy_time = rdtsc() - t0;
	CHECK_EQ(close(z), 0);
}

/* 16 MiB of ours copied into an embryo, twice. */
static void huge_as_copy(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < 2; i++) {
		int ctl;
		long pid = embryo_new(&ctl, O_CLOEXEC | O_CLOFORK);
		int as = embryo_open(pid, "addrspace", O_WRONLY);
		CHECK(as >= 0);
		CHECK_EQ(as_do(as, AS_COPY, 0, (uint64_t)buf, BUF, NULL),
			 sizeof(struct as_op));
		CHECK_EQ(close(as), 0);
		CHECK_EQ(close(ctl), 0);
	}
	copy_time = rdtsc() - t0;
}

/* 16 MiB of fresh (zeroed) memory, twice. */
static void huge_mmap(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < 2; i++) {
		char *m = mmap(NULL, BUF, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(m != MAP_FAILED);
		CHECK_EQ(munmap(m, BUF), 0);
	}
	copy_time = rdtsc() - t0;
}

/* As long as the work took, in user mode. */
static void spin(void)
{
	uint64_t end = rdtsc() + copy_time;
	while (rdtsc() < end)
		;
}

int main(void)
{
	utest_begin("longcopy");
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 1, BUF);
	static const struct {
		const char *what;
		void (*work)(void);
	} cases[] = {
		{ "a 16 MiB read from zero:", huge_reads },
		{ "an AS_COPY of 16 MiB", huge_as_copy },
		{ "an mmap of 16 MiB", huge_mmap },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t copy = worst_gap(cases[i].work);
		uint64_t slice = worst_gap(spin);
		printf("longcopy: the watcher waited at most %lu cycles while we "
		       "spun, %lu during %s\n", slice, copy, cases[i].what);
		if (copy > 3 * slice) {
			printf("longcopy: FAIL %s held the CPU %lu times as long "
			       "as a time slice\n", cases[i].what, copy / slice);
			exit(1);
		}
	}
	utest_ok();
}

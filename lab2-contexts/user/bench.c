/*
 * Microbenchmarks of lab 2's mechanisms, in guest TSC cycles per
 * operation (median of several batches). Run with `make bench` at the top,
 * which boots QEMU with -icount shift=0: the TSC then counts guest
 * instructions, so the numbers are reproducible on any host.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCHES	9

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)	/* insertion sort: n is tiny */
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Runs op() `iters` times per batch; prints the median cost of one. */
static void bench(const char *name, void (*op)(void), int iters)
{
	uint64_t per_op[BATCHES];
	op();	/* warm up */
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < iters; i++)
			op();
		per_op[b] = (rdtsc() - t0) / (uint64_t)iters;
	}
	printf("bench: %-28s %10lu cycles/op\n", name,
	       (unsigned long)median(per_op, BATCHES));
}

static void null_syscall(void)
{
	getpid();
}

static void fork_exit_wait(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

static void mmap_touch_munmap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	munmap(p, 4096);
}

/* A child yields forever; each of our yields is a round trip through it. */
static pid_t partner;
static void yield_round_trip(void)
{
	sched_yield();
}

int main(void)
{
	printf("bench: Ochre lab 2 microbenchmarks (guest TSC; use -icount "
	       "shift=0 for instruction counts)\n");
	bench("null syscall (getpid)", null_syscall, 2000);
	bench("mmap+touch+munmap 1 page", mmap_touch_munmap, 200);
	bench("fork+exit+wait", fork_exit_wait, 30);
	partner = fork();
	if (partner == 0)
		for (;;)
			sched_yield();
	bench("yield round trip (2 procs)", yield_round_trip, 2000);
	kill(partner, 9);
	waitpid(partner, NULL, 0);
	printf("bench: done\n");
	return 0;
}

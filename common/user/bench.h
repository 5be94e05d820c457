/*
 * The microbenchmark harness shared by every lab's `bench` program, and
 * lab 2's benchmarks (process basics), which every later bench runs first
 * so that figures compare across labs.
 *
 * Costs are guest TSC cycles per operation, the median of BATCHES batches.
 * `make bench` boots QEMU with -icount shift=0, where the TSC counts guest
 * instructions: reproducible on any host.
 */
#ifndef BENCH_H
#define BENCH_H

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

static inline uint64_t median(uint64_t *v, int n)
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
static inline void bench(const char *name, void (*op)(void), int iters)
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

/* ---- lab 2: processes ---- */

static inline void bench_null_syscall(void)
{
	getpid();
}

static inline void bench_fork_exit_wait(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

static inline void bench_mmap_touch_munmap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	munmap(p, 4096);
}

/* With a partner that yields forever, each yield is a round trip. */
static inline void bench_yield(void)
{
	sched_yield();
}

static inline void bench_lab2(void)
{
	bench("null syscall (getpid)", bench_null_syscall, 2000);
	bench("mmap+touch+munmap 1 page", bench_mmap_touch_munmap, 200);
	bench("fork+exit+wait", bench_fork_exit_wait, 30);
	pid_t partner = fork();
	if (partner == 0)
		for (;;)
			sched_yield();
	bench("yield round trip (2 procs)", bench_yield, 2000);
	kill(partner, SIGKILL);
	waitpid(partner, NULL, 0);
}

/* ---- lab 3 on: exec ---- */

/* The fork+execve+wait row (lab 3's bench, sysprof, lab 6's tracebench):
 * initfs:/bin/true is the smallest program there is to exec. */
static inline void bench_fork_exec_wait(void)
{
	static char *argv[] = { "true", NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execv("initfs:/bin/true", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

#endif

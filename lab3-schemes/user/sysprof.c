/*
 * Where a benchmark's instructions go, system call by system call: run
 *     make profile
 * which builds the most complete lab with -DOCHRE_PROF (the kernel then
 * keeps a trace of segments: each system call, each stretch of user time,
 * each context's start; lab2-contexts/kernel/prof.c) and boots this
 * program under -icount shift=0, where the TSC counts instructions.
 *
 * Each benchmark operation of bench.h runs once between two getppid()
 * markers; the segments between them are printed in order (pid, what,
 * instructions) with their sum, next to the operation's cost measured
 * from user space as `make bench` measures it. docs/bench.md has the
 * figures.
 */
#include "bench.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static char text[8192];

/* The trace since the last call (sys:/prof empties it). */
static size_t take_trace(void)
{
	int fd = open("sys:/prof", O_RDONLY);
	if (fd < 0) {
		printf("prof: no sys:/prof: build with `make profile` "
		       "(-DOCHRE_PROF)\n");
		exit(1);
	}
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(text) - 1 &&
	       (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	close(fd);
	return len;
}

/* The last field of a line: the segment's instructions. */
static unsigned long cycles_of(const char *line, const char *end)
{
	const char *p = end;
	while (p > line && p[-1] != ' ')
		p--;
	return strtoul(p, NULL, 10);
}

static int is_marker(const char *line)
{
	const char *p = strchr(line, ' ');
	return p && strncmp(p + 1, "sys_getppid(", 12) == 0;
}

static void profile(const char *name, void (*op)(void))
{
	op();	/* warm up, as bench() does */
	take_trace();
	getppid();
	uint64_t t0 = rdtsc();
	op();
	uint64_t measured = rdtsc() - t0;
	getppid();
	take_trace();

	printf("prof: %s (pid what instructions)\n", name);
	unsigned long sum = 0;
	int markers = 0;
	for (char *line = text; *line;) {
		char *end = strchr(line, '\n');
		if (!end)
			break;
		*end = '\0';
		if (is_marker(line)) {
			markers++;
		} else if (markers == 1) {
			printf("prof:   %s\n", line);
			sum += cycles_of(line, end);
		}
		line = end + 1;
	}
	if (markers < 2)
		printf("prof:   (trace incomplete: more segments than the "
		       "kernel keeps)\n");
	printf("prof:   sum %lu; measured from user space %lu\n", sum,
	       (unsigned long)measured);
}

int main(void)
{
	profile("mmap+touch+munmap 1 page", bench_mmap_touch_munmap);
	profile("fork+exit+wait", bench_fork_exit_wait);
	profile("fork+execve+wait (true)", bench_fork_exec_wait);
	printf("prof: done\n");
	return 0;
}

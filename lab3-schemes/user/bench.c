/*
 * Microbenchmarks of lab 2's and lab 3's mechanisms, in guest TSC cycles
 * per operation (median of several batches). Run with `make bench` at the
 * top, which boots QEMU with -icount shift=0: the TSC then counts guest
 * instructions, so the numbers are reproducible on any host. This
 * replaces lab 2's bench (lab2-contexts/user/bench.c) and keeps its
 * benchmarks and their names, so the figures compare across labs.
 */
#include "bench.h"
#include <fcntl.h>
#include <ochre_scheme.h>
#include <string.h>

/* ---- lab 3 ---- */

/* One byte to a child and back, over two pipes. */
static int to_child, from_child;
static void pipe_round_trip(void)
{
	char c = 'x';
	write(to_child, &c, 1);
	read(from_child, &c, 1);
}

static void initfs_open_close(void)
{
	close(open("initfs:/bin/true", O_RDONLY));
}

static int ramfs_fd;
static char buf[4096];

static void ramfs_read0(void)
{
	read(ramfs_fd, buf, 0);
}

static void ramfs_lseek(void)
{
	lseek(ramfs_fd, 0, SEEK_SET);
}

static void ramfs_lseek_read4k(void)
{
	lseek(ramfs_fd, 0, SEEK_SET);
	read(ramfs_fd, buf, sizeof(buf));
}

static void ramfs_open_close(void)
{
	close(open("ramfs:/bench", O_RDONLY));
}

int main(void)
{
	static char *ramfs_argv[] = { "ramfs", NULL };
	printf("bench: Ochre microbenchmarks, labs 2-3 and later (guest TSC; use -icount "
	       "shift=0 for instruction counts)\n");
	bench_lab2();

	bench("fork+execve+wait (true)", bench_fork_exec_wait, 10);

	int down[2], up[2];
	pipe(down);
	pipe(up);
	pid_t partner = fork();
	if (partner == 0) {	/* echoes every byte back */
		char c;
		close(down[1]);
		close(up[0]);
		while (read(down[0], &c, 1) == 1)
			write(up[1], &c, 1);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	to_child = down[1];
	from_child = up[0];
	bench("pipe round trip 1 byte", pipe_round_trip, 1000);
	close(to_child);	/* the child sees EOF and exits */
	close(from_child);
	waitpid(partner, NULL, 0);

	bench("initfs open+close", initfs_open_close, 500);

	pid_t ramfs = scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs");
	ramfs_fd = open("ramfs:/bench", O_RDWR | O_CREAT, 0644);
	if (ramfs_fd < 0) {
		printf("bench: no ramfs, skipping its benchmarks\n");
	} else {
		memset(buf, 'b', sizeof(buf));
		write(ramfs_fd, buf, sizeof(buf));
		bench("ramfs read 0 bytes", ramfs_read0, 500);
		bench("ramfs lseek", ramfs_lseek, 500);
		bench("ramfs lseek+read 4 KiB", ramfs_lseek_read4k, 300);
		bench("ramfs open+close", ramfs_open_close, 300);
		close(ramfs_fd);
		unlink("ramfs:/bench");
		if (ramfs > 0) {	/* else it is init's (bench run from sh) */
			kill(ramfs, SIGKILL);
			waitpid(ramfs, NULL, 0);
		}
	}
	printf("bench: done\n");
	return 0;
}

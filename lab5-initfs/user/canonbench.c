/*
 * The cost of libc's path canonicalization (lab 5), in guest instructions
 * per call: run with
 *     make -C lab5-initfs bench BENCH=canonbench
 * (QEMU -icount shift=0: the TSC counts instructions). Figures in
 * docs/bench.md. path_canon alone on paths of several shapes, then open +
 * close of the same initfs file by a canonical, a relative and a messy
 * name: the differences are what canonicalization adds to a system call.
 */
#include "bench.h"
#include <fcntl.h>
#include <ochre_path.h>
#include <string.h>

static char out[PATH_MAX];
static const char *base = "initfs:/bin";
static char deep[PATH_MAX];

static void canon_abs(void) { path_canon(base, "initfs:/bin/true", out, NULL); }
static void canon_rel(void) { path_canon(base, "true", out, NULL); }
static void canon_messy(void) { path_canon(base, ".././bin//./x/../true", out, NULL); }
static void canon_10(void) { path_canon(base, "a/bb/ccc/dddd/eeeee/ffffff/g/hh/iii/jjjj", out, NULL); }
static void canon_deep(void) { path_canon(base, deep, out, NULL); }
static void open_abs(void) { close(open("initfs:/bin/true", O_RDONLY)); }
static void open_rel(void) { close(open("true", O_RDONLY)); }
static void open_messy(void) { close(open(".././bin//./x/../true", O_RDONLY)); }

int main(void)
{
	printf("bench: lab 5 libc path canonicalization (guest TSC; -icount shift=0)\n");
	bench("null syscall (getpid)", (void (*)(void))getpid, 2000);
	/* 4000 bytes: 20 components of 199 bytes. */
	for (int i = 0; i < 4000; i++)
		deep[i] = i % 200 == 199 ? '/' : 'd';
	deep[3999] = 'd';
	bench("path_canon initfs:/bin/true", canon_abs, 2000);
	bench("path_canon true (cwd /bin)", canon_rel, 2000);
	bench("path_canon messy (8 parts)", canon_messy, 2000);
	bench("path_canon 10 components", canon_10, 2000);
	bench("path_canon 4000 bytes", canon_deep, 200);
	chdir("initfs:/bin");
	bench("open+close initfs:/bin/true", open_abs, 300);
	bench("open+close true (relative)", open_rel, 300);
	bench("open+close messy path", open_messy, 300);
	printf("bench: done\n");
	return 0;
}

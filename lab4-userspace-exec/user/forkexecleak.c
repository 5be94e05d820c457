/*
 * Nothing leaks over many cycles: ROUNDS x (fork; the child execs
 * initfs:/bin/true; waitpid), ROUNDS x 3 failed execs in one process, and
 * ROUNDS embryos opened and closed. After each series the free frames and
 * the kernel heap's live blocks are exactly at their baseline (a leaked
 * address space handle keeps a whole image alive).
 *
 * The counts are exact, so one frame or heap block kept by any round
 * shows; 20 rounds (after 5 that warm up every cache and lazy
 * allocation) also catch a leak that only every few rounds make, and
 * cost a fifteenth of the 300 this test once ran (a fork + exec costs
 * QEMU about 7 ms of host CPU).
 */
#include "utest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/proc.h>

#define ROUNDS	20

static struct ochre_meminfo base;

static void baseline(void)
{
	CHECK_EQ(utest_meminfo(&base), 0);
}

static void check_baseline(const char *what)
{
	struct ochre_meminfo a;
	CHECK_EQ(utest_meminfo(&a), 0);
	unsigned long growth = a.heap_pages - base.heap_pages;
	printf("forkexecleak: %s: free frames %lu -> %lu (+%lu kept by the "
	       "kernel heap), heap blocks %lu -> %lu\n", what, base.free_frames,
	       a.free_frames, growth, base.heap_live, a.heap_live);
	CHECK_EQ(a.free_frames + growth, base.free_frames);
	CHECK_EQ(a.heap_live, base.heap_live);
}

static void fork_exec(int n)
{
	static char *args[] = { "true", NULL };
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			execv("initfs:/bin/true", args);
			_exit(99);
		}
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK_EQ(status, 0);
	}
}

static void failed_execs(int n)
{
	static char big[20000];	/* fits the budget, not the stack */
	memset(big, 'x', sizeof(big) - 1);
	char *too_big[] = { "true", big, NULL };
	char *bad[] = { "true", (char *)0x1, NULL };
	char *args[] = { "true", NULL };
	for (int i = 0; i < n; i++) {
		CHECK_ERR(execv("initfs:/bin/true", too_big), E2BIG);
		CHECK_ERR(execv("initfs:/bin/true", bad), EFAULT);
		CHECK_ERR(execv("initfs:/bin/nosuch", args), ENOENT);
	}
}

static void embryos(int n)
{
	for (int i = 0; i < n; i++) {
		int ctl = open("thisproc:new", O_RDWR | O_CLOEXEC | O_CLOFORK);
		CHECK(ctl >= 0);
		int64_t pid;
		CHECK_EQ(read(ctl, &pid, sizeof(pid)), 8);
		char path[64];
		snprintf(path, sizeof(path), "proc:/%ld/addrspace", (long)pid);
		int as = open(path, O_WRONLY | O_CLOEXEC | O_CLOFORK);
		CHECK(as >= 0);
		struct as_op op = { .op = AS_MAP, .prot = PROT_READ,
				    .va = 0x40000000, .len = 8 * 4096 };
		CHECK_EQ(write(as, &op, sizeof(op)), sizeof(op));
		CHECK_EQ(close(as), 0);
		CHECK_EQ(close(ctl), 0);
	}
}

int main(void)
{
	utest_begin("forkexecleak");
	fork_exec(5);
	baseline();
	fork_exec(ROUNDS);
	check_baseline("fork + exec + wait");

	failed_execs(5);
	baseline();
	failed_execs(ROUNDS);
	check_baseline("failed execs");

	embryos(5);
	baseline();
	embryos(ROUNDS);
	check_baseline("embryos");
	utest_ok();
}

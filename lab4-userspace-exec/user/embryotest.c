/*
 * An embryo (a child opened with thisproc:new and never started) dies with
 * its handle: close the handle, or exit holding it, and the pid is gone
 * and every frame it held is free again.
 */
#include "utest.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/proc.h>

#define PAGES	64

/* A new embryo with PAGES pages of memory (some filled) and our fds. */
static long embryo(int *ctl)
{
	*ctl = open("thisproc:new", O_RDWR | O_CLOEXEC | O_CLOFORK);
	CHECK(*ctl >= 0);
	int64_t pid;
	CHECK_EQ(read(*ctl, &pid, sizeof(pid)), 8);
	char path[64];
	snprintf(path, sizeof(path), "proc:/%ld/addrspace", (long)pid);
	int as = open(path, O_WRONLY | O_CLOEXEC | O_CLOFORK);
	CHECK(as >= 0);
	struct as_op op = { .op = AS_MAP, .prot = PROT_READ | PROT_WRITE,
			    .va = 0x40000000, .len = PAGES * 4096 };
	CHECK_EQ(write(as, &op, sizeof(op)), sizeof(op));
	static char junk[3 * 4096];
	memset(junk, 'j', sizeof(junk));
	op = (struct as_op){ .op = AS_WRITE, .va = 0x40000800,
			     .len = sizeof(junk), .buf = (uint64_t)junk };
	CHECK(write(as, &op, sizeof(op)) > 0);
	CHECK_EQ(close(as), 0);
	snprintf(path, sizeof(path), "proc:/%ld/filetable", (long)pid);
	int ft = open(path, O_WRONLY | O_CLOEXEC | O_CLOFORK);
	CHECK(ft >= 0);
	struct ft_op f = { .op = FT_INHERIT };
	CHECK_EQ(write(ft, &f, sizeof(f)), sizeof(f));
	CHECK_EQ(close(ft), 0);
	return pid;
}

static void check_baseline(const struct ochre_meminfo *b, const char *what)
{
	struct ochre_meminfo a;
	CHECK_EQ(utest_meminfo(&a), 0);
	unsigned long growth = a.heap_pages - b->heap_pages;
	if (a.free_frames + growth != b->free_frames || a.heap_live != b->heap_live) {
		printf("embryotest: FAIL %s: free frames %lu -> %lu (+%lu heap), "
		       "heap blocks %lu -> %lu\n", what, b->free_frames,
		       a.free_frames, growth, b->heap_live, a.heap_live);
		exit(1);
	}
}

int main(void)
{
	utest_begin("embryotest");
	int ctl;
	/* Warm up (kernel heap caches, page tables of our own). */
	long pid = embryo(&ctl);
	CHECK_EQ(close(ctl), 0);
	struct ochre_meminfo base;
	CHECK_EQ(utest_meminfo(&base), 0);

	pid = embryo(&ctl);
	struct ochre_meminfo mid;
	CHECK_EQ(utest_meminfo(&mid), 0);
	CHECK(mid.free_frames + PAGES <= base.free_frames);
	CHECK_ERR(utest_wait(NULL, WNOHANG), ECHILD);	/* not a child yet */
	CHECK_EQ(kill((pid_t)pid, 0), 0);		/* it exists */
	CHECK_EQ(kill((pid_t)pid, SIGTERM), 0);	/* discarded */
	CHECK_EQ(kill((pid_t)pid, 0), 0);
	CHECK_EQ(close(ctl), 0);
	CHECK_ERR(kill((pid_t)pid, 0), ESRCH);
	check_baseline(&base, "closed embryo");
	printf("embryotest: closing the handle destroys the embryo\n");

	/* SIGKILL destroys an embryo at once; its handle then finds it gone. */
	pid = embryo(&ctl);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_ERR(kill((pid_t)pid, 0), ESRCH);
	char path[48];
	snprintf(path, sizeof(path), "proc:/%ld/start", pid);
	CHECK_ERR(open(path, O_WRONLY), ESRCH);
	CHECK_EQ(close(ctl), 0);
	check_baseline(&base, "killed embryo");
	printf("embryotest: SIGKILL destroys an embryo\n");

	for (int i = 0; i < 20; i++) {
		pid = embryo(&ctl);
		CHECK_EQ(close(ctl), 0);
		CHECK_ERR(kill((pid_t)pid, 0), ESRCH);
	}
	check_baseline(&base, "20 embryos");

	/* A parent that exits holding an embryo takes it along. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		long e = embryo(&ctl);
		write(p[1], &e, sizeof(e));
		_exit(0);		/* ctl still open */
	}
	long e = 0;
	CHECK_EQ(read(p[0], &e, sizeof(e)), sizeof(e));
	int status;
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	CHECK_EQ(status, 0);
	CHECK_ERR(kill((pid_t)e, 0), ESRCH);
	close(p[0]);
	close(p[1]);
	/* The fork itself may leave caches warm: compare against a fresh
	 * baseline after one more warm round. */
	struct ochre_meminfo b2;
	CHECK_EQ(utest_meminfo(&b2), 0);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		embryo(&ctl);
		_exit(0);
	}
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	check_baseline(&b2, "exit with an embryo");
	printf("embryotest: exiting with an embryo destroys it\n");
	utest_ok();
}

/*
 * 20 rounds of fork + exit + wait (every other child maps and touches 8
 * pages) must leave the kernel exactly where it was: no leaked page
 * tables, kernel stacks, frames or heap blocks. The counts are exact, so
 * one frame, block or context kept by any round shows; 20 rounds also
 * catch a leak that only every few rounds make.
 */
#include "utest.h"
#include <ochre/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void round_trip(int touch_memory)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (touch_memory) {
			char *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m != MAP_FAILED)
				memset(m, 1, 8 * 4096);
		}
		_exit(3);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 3) {
		printf("forkleak: FAIL round trip (errno %d)\n", errno);
		exit(1);
	}
}

int main(void)
{
	utest_begin("forkleak");
	struct ochre_meminfo before, after;
	for (int i = 0; i < 5; i++)	/* warm up caches (kernel heap classes) */
		round_trip(i & 1);
	CHECK_EQ(utest_meminfo(&before), 0);
	for (int i = 0; i < 20; i++)
		round_trip(i & 1);
	CHECK_EQ(utest_meminfo(&after), 0);
	printf("forkleak: free frames %lu -> %lu, heap blocks %lu -> %lu, "
	       "contexts %lu -> %lu\n", before.free_frames, after.free_frames,
	       before.heap_live, after.heap_live, before.contexts, after.contexts);
	CHECK_EQ(after.free_frames, before.free_frames);
	CHECK_EQ(after.heap_live, before.heap_live);
	CHECK_EQ(after.contexts, before.contexts);
	utest_ok();
}

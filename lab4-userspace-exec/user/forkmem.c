/*
 * fork copies memory: the child sees the parent's globals, heap, stack and
 * mmap'd pages as they were at fork, and from then on each side's writes
 * are its own. Protection is copied too (a read-only page stays read-only),
 * and so are the callee-saved registers the compiler keeps across the
 * call; the child's stack is 16-byte aligned.
 */
#include "utest.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int global = 1000;
static char bss[8192];

/* long fork_regs(uint64_t out[8]): fork with magic values in rbx, rbp and
 * r12-r15; stores what those registers hold after fork returns, then fork's
 * result and rsp, in out[0..7] (each process its own copy). */
long fork_regs(uint64_t *out);
__asm__(
	".text\n"
	".globl fork_regs\n"
	"fork_regs:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	push %rdi\n"			/* 7 pushes: rsp 16-aligned */
	"	movabs $0x1111111111111111, %rbx\n"
	"	movabs $0x2222222222222222, %rbp\n"
	"	movabs $0x3333333333333333, %r12\n"
	"	movabs $0x4444444444444444, %r13\n"
	"	movabs $0x5555555555555555, %r14\n"
	"	movabs $0x6666666666666666, %r15\n"
	"	call fork\n"
	"	mov (%rsp), %rdi\n"
	"	mov %rbx, 0(%rdi)\n"
	"	mov %rbp, 8(%rdi)\n"
	"	mov %r12, 16(%rdi)\n"
	"	mov %r13, 24(%rdi)\n"
	"	mov %r14, 32(%rdi)\n"
	"	mov %r15, 40(%rdi)\n"
	"	movslq %eax, %rax\n"
	"	mov %rax, 48(%rdi)\n"
	"	mov %rsp, 56(%rdi)\n"
	"	pop %rdi\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	ret\n");

static void check_regs(const uint64_t *out)
{
	static const uint64_t want[6] = {
		0x1111111111111111, 0x2222222222222222, 0x3333333333333333,
		0x4444444444444444, 0x5555555555555555, 0x6666666666666666,
	};
	static const char *const name[6] = {
		"rbx after fork", "rbp after fork", "r12 after fork",
		"r13 after fork", "r14 after fork", "r15 after fork",
	};
	for (int i = 0; i < 6; i++)
		CHECK_HEX(name[i], out[i], want[i]);
	/* a misaligned rsp shows the 16-aligned value it should have had */
	CHECK_HEX("rsp after fork (16-byte aligned)", out[7], out[7] & ~15UL);
}

static void registers(void)
{
	uint64_t out[8] = { 0 };
	long pid = fork_regs(out);
	CHECK(pid >= 0);
	CHECK_EQ(out[6], pid);
	if (pid == 0) {
		utest_name = "forkmem (child)";
		check_regs(out);
		/* an aligned stack here too: a local of 16-byte alignment */
		volatile uint64_t probe __attribute__((aligned(16))) = 0;
		CHECK_EQ((uintptr_t)&probe % 16, 0);
		_exit(0);
	}
	check_regs(out);
	uint64_t parent_rsp = out[7];
	(void)parent_rsp;
	int status;
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	printf("forkmem: callee-saved registers survive fork on both sides\n");
}

static void snapshot(void)
{
	int stack_local = 2000;
	int *heap = malloc(100 * sizeof(int));
	CHECK(heap);
	for (int i = 0; i < 100; i++)
		heap[i] = i * 7;
	char *map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(map != MAP_FAILED);
	memset(map, 'm', 3 * 4096);
	bss[5000] = 'b';
	volatile int *vlocal = &stack_local;

	int to_child[2], to_parent[2];
	CHECK_EQ(pipe(to_child), 0);
	CHECK_EQ(pipe(to_parent), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	char c;
	if (pid == 0) {
		utest_name = "forkmem (child)";
		CHECK_EQ(global, 1000);
		CHECK_EQ(*vlocal, 2000);
		CHECK_EQ(bss[5000], 'b');
		for (int i = 0; i < 100; i++)
			CHECK_EQ(heap[i], i * 7);
		for (int i = 0; i < 3 * 4096; i++)
			CHECK_EQ(map[i], 'm');
		/* Our writes stay ours ... */
		global = 1;
		*vlocal = 2;
		heap[50] = 3;
		map[4096] = 'c';
		bss[5000] = 'c';
		/* New memory works in the child (the kernel's mmap must not
		 * hand out the addresses of the copied mappings again). */
		char *more = malloc(100000), *small = malloc(64);
		CHECK(more && small);
		memset(more, 'n', 100000);
		memset(small, 's', 64);
		for (int i = 0; i < 100; i++)
			CHECK_EQ(heap[i], i == 50 ? 3 : i * 7);
		CHECK_EQ(map[0], 'm');
		CHECK_EQ(write(to_parent[1], "w", 1), 1);
		/* ... and the parent's writes stay its own. */
		CHECK_EQ(read(to_child[0], &c, 1), 1);
		CHECK_EQ(global, 1);
		CHECK_EQ(*vlocal, 2);
		CHECK_EQ(heap[50], 3);
		CHECK_EQ(heap[51], 51 * 7);
		CHECK_EQ(map[4096], 'c');
		CHECK_EQ(map[8192], 'm');
		CHECK_EQ(bss[5000], 'c');
		_exit(0);
	}
	/* Only the child writes to_parent: if it dies, we read end of file. */
	CHECK_EQ(close(to_parent[1]), 0);
	CHECK_EQ(close(to_child[0]), 0);
	CHECK_READ_CHILD(to_parent[0], &c, 1, pid);	/* the child has written */
	CHECK_EQ(global, 1000);
	CHECK_EQ(*vlocal, 2000);
	CHECK_EQ(heap[50], 350);
	CHECK_EQ(map[4096], 'm');
	CHECK_EQ(bss[5000], 'b');
	global = 77;
	*vlocal = 78;
	heap[51] = 79;
	map[8192] = 'p';
	CHECK_EQ(write(to_child[1], "g", 1), 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_EQ(global, 77);
	CHECK_EQ(heap[50], 350);
	CHECK_EQ(close(to_child[1]), 0);
	CHECK_EQ(close(to_parent[0]), 0);
	munmap(map, 3 * 4096);
	free(heap);
	printf("forkmem: globals, bss, heap, stack and mmap copied, then "
	       "private to each side\n");
}

static void readonly(void)
{
	char *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	ro[10] = 'r';
	CHECK_EQ(mprotect(ro, 4096, PROT_READ), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (ro[10] != 'r')
			_exit(3);
		*(volatile char *)(ro + 10) = 'w';	/* must fault */
		_exit(4);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK_EQ(ro[10], 'r');
	printf("forkmem: a read-only page stays read-only in the child\n");
}

int main(void)
{
	utest_begin("forkmem");
	snapshot();
	registers();
	readonly();
	/* Many forks in a row from a deep stack work the same. */
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i);
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK_EQ(WEXITSTATUS(status), i);
	}
	utest_ok();
}

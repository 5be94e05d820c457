/*
 * Helpers for the lab 4 test programs that drive the thisproc:/proc:
 * primitives by hand: make an embryo, open its files, send as_ops, and run
 * a few bytes of machine code in a child built from scratch.
 */
#ifndef EMBRYO_H
#define EMBRYO_H

#include "utest.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/proc.h>

/* A new embryo; *ctl is its thisproc:new handle (opened with flags). */
static inline long embryo_new(int *ctl, int flags)
{
	*ctl = open("thisproc:new", O_RDWR | flags);
	CHECK(*ctl >= 0);
	int64_t pid = 0;
	CHECK_EQ(read(*ctl, &pid, sizeof(pid)), 8);
	CHECK(pid > 1);
	return pid;
}

/* Opens proc:/<pid>/<file>; returns the fd or -1 (errno). */
static inline int embryo_open(long pid, const char *file, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "proc:/%ld/%s", pid, file);
	return open(path, flags | O_CLOEXEC | O_CLOFORK);
}

static inline long as_do(int fd, uint32_t op, uint32_t prot, uint64_t va,
			 uint64_t len, const void *buf)
{
	struct as_op o = { .op = op, .prot = prot, .va = va, .len = len,
			   .buf = (uint64_t)buf };
	return write(fd, &o, sizeof(o));
}

/* FT_INHERIT into the embryo pid: it gets our fds without FD_CLOFORK. */
static inline long embryo_inherit(long pid)
{
	int ft = embryo_open(pid, "filetable", O_WRONLY);
	if (ft < 0)
		return -1;
	struct ft_op op = { .op = FT_INHERIT };
	long r = write(ft, &op, sizeof(op));
	close(ft);
	return r;
}

static inline void meminfo_now(struct ochre_meminfo *m)
{
	CHECK_EQ(utest_meminfo(m), 0);	/* after pending daemon closes */
}

/* Fails the test unless frames, heap blocks, heap pages and contexts are
 * back where they were in *b. */
static inline void check_baseline(const struct ochre_meminfo *b,
				  const char *what)
{
	struct ochre_meminfo a;
	meminfo_now(&a);
	if (a.free_frames != b->free_frames || a.heap_live != b->heap_live ||
	    a.heap_pages != b->heap_pages || a.contexts != b->contexts) {
		printf("%s: FAIL %s: not back at the baseline: free frames "
		       "%lu -> %lu, heap blocks %lu -> %lu, heap pages %lu -> "
		       "%lu, contexts %lu -> %lu\n", utest_name, what,
		       b->free_frames, a.free_frames, b->heap_live,
		       a.heap_live, b->heap_pages, a.heap_pages, b->contexts,
		       a.contexts);
		exit(1);
	}
}

#define BLOB_CODE	0x10000000UL
#define BLOB_STACK	0x10001000UL

/*
 * Machine code for a child built from scratch; it gets rdi = arg.
 * READ_BYTE exits with the byte at rdi (SIGSEGV if unmapped);
 * WRITE_BYTE stores 1 at rdi and exits 0 (SIGSEGV if not writable);
 * SPIN loops until killed.
 */
static const unsigned char BLOB_READ_BYTE[] = {
	0x0f, 0xb6, 0x3f,		/* movzx edi, byte [rdi] */
	0xb8, 0x01, 0x00, 0x00, 0x00,	/* mov eax, SYS_EXIT */
	0x0f, 0x05,			/* syscall */
	0x0f, 0x0b,			/* ud2 */
};
static const unsigned char BLOB_WRITE_BYTE[] = {
	0xc6, 0x07, 0x01,		/* mov byte [rdi], 1 */
	0x31, 0xff,			/* xor edi, edi */
	0xb8, 0x01, 0x00, 0x00, 0x00,	/* mov eax, SYS_EXIT */
	0x0f, 0x05,			/* syscall */
	0x0f, 0x0b,			/* ud2 */
};
static const unsigned char BLOB_SPIN[] = { 0xeb, 0xfe };	/* jmp . */

/* Gives the embryo a code page holding blob and a stack page. */
static inline void embryo_load_blob(int as, const unsigned char *blob,
				    size_t len)
{
	CHECK_EQ(as_do(as, AS_MAP, PROT_READ | PROT_EXEC, BLOB_CODE, 4096, 0),
		 sizeof(struct as_op));
	CHECK(as_do(as, AS_WRITE, 0, BLOB_CODE, len, blob) > 0);
	CHECK_EQ(as_do(as, AS_MAP, PROT_READ | PROT_WRITE, BLOB_STACK, 4096, 0),
		 sizeof(struct as_op));
}

/* Sets rip to the blob, rsp to its stack, rdi to arg, and starts pid. */
static inline void embryo_start_blob(long pid, uint64_t arg)
{
	int regs = embryo_open(pid, "regs", O_RDWR);
	CHECK(regs >= 0);
	struct proc_regs r;
	CHECK_EQ(read(regs, &r, sizeof(r)), sizeof(r));
	r.rip = BLOB_CODE;
	r.rsp = BLOB_STACK + 4096;
	r.rdi = arg;
	CHECK_EQ(write(regs, &r, sizeof(r)), sizeof(r));
	CHECK_EQ(close(regs), 0);
	int start = embryo_open(pid, "start", O_WRONLY);
	CHECK(start >= 0);
	CHECK_EQ(write(start, "x", 1), 1);
	CHECK_EQ(close(start), 0);
}

/* Waits for pid and returns its waitpid status. */
static inline int child_status(long pid)
{
	int status = -1;
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	return status;
}

#endif

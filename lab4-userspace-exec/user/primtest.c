/*
 * The kernel's process primitives alone, without libc's fork or exec:
 * build a child from nothing (one page of code, one page of stack, its
 * registers), start it, and collect its exit status; then every misuse
 * gets its error. The code is a byte blob, so a broken libc loader cannot
 * spoil this test.
 */
#include "utest.h"
#include <fcntl.h>
#include <signal.h>
#include <syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ochre/proc.h>

#define CODE	0x10000000UL
#define STACK	0x10001000UL

/* A page of ours that AS_COPY gives the child: its first byte is the
 * child's exit code. */
static unsigned char shared[4096] __attribute__((aligned(4096))) = { 42 };

/* spin a little (the parent gets to test its started child), then
 * exit(shared[0]) */
static unsigned char blob[] = {
	0xb9, 0x80, 0x96, 0x98, 0x00,	/* mov ecx, 10000000 */
	0xff, 0xc9,			/* 1: dec ecx */
	0x75, 0xfc,			/* jnz 1b */
	0x0f, 0xb6, 0x3c, 0x25, 0, 0, 0, 0, /* movzx edi, byte [shared] */
	0xb8, 0x01, 0x00, 0x00, 0x00,	/* mov eax, SYS_EXIT */
	0x0f, 0x05,			/* syscall */
	0x0f, 0x0b,			/* ud2 */
};

static int popen_(long pid, const char *file, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "proc:/%ld/%s", pid, file);
	return open(path, flags | O_CLOEXEC | O_CLOFORK);
}

static long as_op(int fd, uint32_t op, uint32_t prot, uint64_t va,
		  uint64_t len, const void *buf)
{
	struct as_op o = { .op = op, .prot = prot, .va = va, .len = len,
			   .buf = (uint64_t)buf };
	return write(fd, &o, sizeof(o));
}

static long new_embryo(int *ctl)
{
	*ctl = open("thisproc:new", O_RDWR | O_CLOEXEC | O_CLOFORK);
	CHECK(*ctl >= 0);
	int64_t pid = 0;
	CHECK_EQ(read(*ctl, &pid, sizeof(pid)), 8);
	CHECK(pid > 1);
	return pid;
}

int main(void)
{
	utest_begin("primtest");

	/* The old system calls are gone. */
	CHECK_EQ(__syscall6(SYS_FORK, 0, 0, 0, 0, 0, 0), -ENOSYS);
	static char *args[] = { "true", NULL };
	CHECK_EQ(__syscall6(SYS_EXECVE, (long)"initfs:/bin/true", (long)args,
			    0, 0, 0, 0), -ENOSYS);

	/* A child from scratch. */
	uint32_t where = (uint32_t)(uintptr_t)shared;
	CHECK_EQ((uintptr_t)shared, where);
	memcpy(blob + 13, &where, 4);
	int ctl;
	long pid = new_embryo(&ctl);
	int as = popen_(pid, "addrspace", O_WRONLY);
	CHECK(as >= 0);
	CHECK_EQ(as_op(as, AS_MAP, PROT_READ | PROT_EXEC, CODE, 4096, NULL),
		 sizeof(struct as_op));
	/* into read-only code: allowed */
	CHECK(as_op(as, AS_WRITE, 0, CODE, sizeof(blob), blob) > 0);
	CHECK_EQ(as_op(as, AS_MAP, PROT_READ | PROT_WRITE, STACK, 4096, NULL),
		 sizeof(struct as_op));
	CHECK(as_op(as, AS_COPY, 0, (uint64_t)shared, 4096, NULL) > 0);
	shared[0] = 1;		/* the copy is a snapshot */
	/* Bad operations. */
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ | PROT_WRITE | PROT_EXEC,
			0x20000000, 4096, NULL), EINVAL);
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ, 0x20000800, 4096, NULL), EINVAL);
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ, 0x20000000, 100, NULL), EINVAL);
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ, 0xfffffffffffff000UL, 0x2000,
			NULL), EINVAL);
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ, 0x00007ffffffff000UL, 0x1000,
			NULL), EINVAL);
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ, 0, 4096, NULL), EINVAL);
	CHECK_ERR(as_op(as, 99, 0, 0x20000000, 4096, NULL), EINVAL);
	CHECK_ERR(as_op(as, AS_WRITE, 0, CODE, 16, (void *)0x10), EFAULT);
	CHECK_ERR(write(as, "short", 5), EINVAL);

	int regs = popen_(pid, "regs", O_RDWR);
	CHECK(regs >= 0);
	struct proc_regs r;
	CHECK_EQ(read(regs, &r, sizeof(r)), sizeof(r));
	struct proc_regs bad = r;
	bad.rip = 0x800000000000UL;
	CHECK_ERR(write(regs, &bad, sizeof(bad)), EINVAL);
	bad = r;
	bad.rip = 0xffffffff80000000UL;
	CHECK_ERR(write(regs, &bad, sizeof(bad)), EINVAL);
	int start = popen_(pid, "start", O_WRONLY);
	CHECK(start >= 0);
	/* start refuses registers that cannot run (HANDOUT.md §3.3): rip
	 * not in executable code, rsp not on a writable page. */
	static const struct { uint64_t rip, rsp; const char *what; } unstartable[] = {
		{ STACK, STACK + 4096, "rip in the no-execute stack" },
		{ 0x30000000, STACK + 4096, "rip unmapped" },
		{ CODE, CODE + 4096, "rsp on read-only code" },
		{ CODE, 0x30001000, "rsp unmapped" },
	};
	for (unsigned i = 0; i < sizeof(unstartable) / sizeof(unstartable[0]); i++) {
		bad = r;
		bad.rip = unstartable[i].rip;
		bad.rsp = unstartable[i].rsp;
		CHECK_EQ(write(regs, &bad, sizeof(bad)), sizeof(bad));
		errno = 0;
		long got = write(start, "x", 1);
		if (got != -1 || errno != EINVAL) {
			printf("primtest: FAIL %s:%d: start with %s (rip %#lx, "
			       "rsp %#lx): got %ld errno %d %s, expected -1 "
			       "errno 22 EINVAL\n", __FILE__, __LINE__,
			       unstartable[i].what, (unsigned long)bad.rip,
			       (unsigned long)bad.rsp, got, errno,
			       utest_errname(errno));
			exit(1);
		}
	}
	r.rip = CODE;
	r.rsp = STACK + 4096;
	CHECK_EQ(write(regs, &r, sizeof(r)), sizeof(r));
	CHECK_EQ(write(start, "x", 1), 1);
	/* Started: the embryo files are closed to us now. */
	CHECK_ERR(write(start, "x", 1), EBUSY);
	CHECK_ERR(popen_(pid, "addrspace", O_WRONLY), EBUSY);
	CHECK_ERR(as_op(as, AS_MAP, PROT_READ, 0x20000000, 4096, NULL), EBUSY);
	CHECK_EQ(close(ctl), 0);	/* a started child survives this */
	CHECK_EQ(close(as), 0);
	CHECK_EQ(close(regs), 0);
	CHECK_EQ(close(start), 0);
	int status;
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(status, W_EXITCODE(42));
	printf("primtest: a child built from scratch exited with 42\n");

	/* Not ours, not there, not a file. */
	CHECK_ERR(popen_(getpid(), "addrspace", O_WRONLY), EPERM);
	CHECK_ERR(popen_(getpid(), "regs", O_RDWR), EPERM);
	CHECK_ERR(popen_(pid, "regs", O_RDWR), ESRCH);
	CHECK_ERR(popen_(99999, "addrspace", O_WRONLY), ESRCH);
	pid = new_embryo(&ctl);
	CHECK_ERR(popen_(pid, "bogus", O_RDWR), ENOENT);
	CHECK_ERR(open("thisproc:bogus", O_RDWR), ENOENT);

	/* An embryo is invisible to waitpid and killed by its handle. */
	CHECK_ERR(utest_wait(NULL, WNOHANG), ECHILD);
	CHECK_EQ(close(ctl), 0);
	CHECK_ERR(kill((pid_t)pid, 0), ESRCH);

	/* exec wants an address space handle. */
	int x = open("thisproc:exec", O_WRONLY | O_CLOEXEC | O_CLOFORK);
	CHECK(x >= 0);
	int file = open("initfs:/bin/true", O_RDONLY);
	CHECK(file >= 0);
	struct proc_exec pe = { .as_fd = file, .rip = CODE, .rsp = STACK + 4096,
				.name = "bad" };
	CHECK_ERR(write(x, &pe, sizeof(pe)), EBADF);
	pe.as_fd = 63;
	CHECK_ERR(write(x, &pe, sizeof(pe)), EBADF);
	/* An address space without code at rip. */
	int nas = open("thisproc:new-addrspace", O_RDWR | O_CLOEXEC | O_CLOFORK);
	CHECK(nas >= 0);
	CHECK_EQ(as_op(nas, AS_MAP, PROT_READ | PROT_WRITE, STACK, 4096, NULL),
		 sizeof(struct as_op));
	pe.as_fd = nas;
	CHECK_ERR(write(x, &pe, sizeof(pe)), EINVAL);
	CHECK_EQ(close(nas), 0);
	CHECK_EQ(close(x), 0);
	CHECK_EQ(close(file), 0);
	utest_ok();
}

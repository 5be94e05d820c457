/*
 * Registers, memory and system-call stops: stops show
 * the number and arguments, an argument rewritten at PRE changes the call,
 * sysemu, mem peek/poke with its EFAULTs and short counts, register
 * writes that redirect control flow and cannot escalate, regs/float
 * (HANDOUT.md §5, §9.1).
 */
#include "pttest.h"
#include <sys/mman.h>
#include <ochre/initfs.h>

static char secret[16] = "hidden";

static long marker(long k)
{
	return raw_syscall1(SYS_GETPPID, k);
}

__attribute__((noreturn)) void alt_path(void);
void alt_path(void)
{
	printf("ptregs: alt path taken\n");
	_exit(0);
}

static void tracee(void)
{
	char c;
	read(0x7fff, &c, 0);			/* a syscall to stop at */
	long r = write(1, "hello!\n", 7);	/* rdx rewritten to 3 */
	write(1, "\n", 1);
	if (r != 3)
		_exit(91);
	long g = raw_syscall1(SYS_GETPID, 0);	/* sysemu: 777 */
	printf("ptregs: sysemu getpid = %ld\n", g);
	if (g != 777)
		_exit(92);
	marker((long)secret);			/* peeked and poked */
	printf("ptregs: secret = %s\n", secret);
	if (strcmp(secret, "POKED") != 0)
		_exit(93);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		       MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p + 4096, 4096) != 0)
		_exit(94);
	memcpy(p + 4092, "edge", 4);
	marker((long)(p + 4092));		/* a read across the edge */
	int32_t n = 32;
	__asm__ volatile("fildl %0\n\tfsqrt" : : "m"(n));
	marker(7);				/* st0 = sqrt(32) */
	__asm__ volatile("fstp %st(0)");
	marker(8);				/* redirected to alt_path */
	_exit(95);
}

/* Our one child at start: lab 5's initfs daemon (bootstrap forked it,
 * then became us), from sys:/contexts ("PID PPID STATE NAME"). */
static long daemon_pid(void)
{
	static char text[4096];
	int fd = open("sys:/contexts", O_RDONLY);
	CHECK(fd >= 0);
	long n = read(fd, text, sizeof(text) - 1);
	close(fd);
	CHECK(n > 0);
	text[n] = 0;
	for (char *line = strchr(text, '\n'); line && line[1]; ) {
		line++;
		long pid = strtol(line, &line, 10);
		long ppid = strtol(line, &line, 10);
		if (ppid == getpid())
			return pid;
		line = strchr(line, '\n');
	}
	return -1;
}

#define INITFS_VA	0x10000000000UL	/* lab 5's bootblob.c */

/* A poke into a page shared by several address spaces (the initfs image
 * is borrowed, addrspace.h) lands in a private copy of it. */
static void borrowed_frame(long d)
{
	int fd = pt_open(d, "mem", O_RDWR);
	CHECK(fd >= 0);
	char magic[INITFS_MAGIC_LEN];
	CHECK_EQ(lseek(fd, (off_t)INITFS_VA, SEEK_SET), (off_t)INITFS_VA);
	CHECK_EQ(read(fd, magic, sizeof(magic)), sizeof(magic));
	CHECK(memcmp(magic, INITFS_MAGIC, INITFS_MAGIC_LEN) == 0);
	struct ochre_meminfo before, after;
	CHECK_EQ(meminfo(&before), 0);
	CHECK_EQ(lseek(fd, (off_t)INITFS_VA, SEEK_SET), (off_t)INITFS_VA);
	CHECK_EQ(write(fd, "X", 1), 1);
	CHECK_EQ(meminfo(&after), 0);
	CHECK_EQ(after.free_frames, before.free_frames - 1);	/* a copy */
	CHECK_EQ(lseek(fd, (off_t)INITFS_VA, SEEK_SET), (off_t)INITFS_VA);
	CHECK_EQ(read(fd, magic, 1), 1);
	CHECK_EQ(magic[0], 'X');
	CHECK_EQ(lseek(fd, (off_t)INITFS_VA, SEEK_SET), (off_t)INITFS_VA);
	CHECK_EQ(write(fd, "O", 1), 1);
	CHECK_EQ(meminfo(&before), 0);
	CHECK_EQ(before.free_frames, after.free_frames);	/* private now */
	close(fd);
	printf("ptregs: a poke into a shared (borrowed) page copies it: ok\n");
}

int main(void)
{
	utest_begin("ptregs");
	long d = daemon_pid();
	CHECK(d > 0);
	int go[2];
	long pid = pt_spawn(go, tracee);
	/* Not stopped (not even traced): registers are busy. */
	int rfd = pt_open(pid, "regs/int", O_RDWR);
	CHECK(rfd >= 0);
	struct ptrace_regs r;
	CHECK_ERR(read(rfd, &r, sizeof(r)), EBUSY);
	CHECK_ERR(write(rfd, &r, sizeof(r)), EBUSY);

	int tfd = pt_open(pid, "trace", O_RDWR | O_TRUNC);
	CHECK(tfd >= 0);
	CHECK_EQ(write(go[1], "x", 1), 1);
	struct ptrace_event ev;
	CHECK_EQ(read(tfd, &ev, sizeof(ev)), 0);

	/* write(1, "hello!\n", 7): number and arguments at PRE */
	ev = pt_to_pre(tfd, SYS_WRITE, 0, NULL);
	CHECK_EQ(ev.b, 1);
	CHECK_EQ(ev.d, 7);
	int mfd = pt_open(pid, "mem", O_RDWR);
	CHECK(mfd >= 0);
	char buf[16] = { 0 };
	CHECK_EQ(lseek(mfd, (off_t)ev.c, SEEK_SET), (off_t)ev.c);
	CHECK_EQ(read(mfd, buf, 7), 7);
	CHECK(memcmp(buf, "hello!\n", 7) == 0);
	CHECK_EQ(read(rfd, &r, sizeof(r)), sizeof(r));
	CHECK_EQ(r.rax, SYS_WRITE);
	CHECK(r.rdi == 1 && r.rdx == 7 && r.rsi == ev.c);
	r.rdx = 3;
	CHECK_EQ(write(rfd, &r, sizeof(r)), sizeof(r));
	ev = pt_step(tfd, PTRACE_STOP_POST_SYSCALL, PTRACE_STOP_POST_SYSCALL, NULL);
	CHECK(ev.a == SYS_WRITE && ev.b == 3);

	/* sysemu: getpid is skipped, its result is what we put in rax */
	ev = pt_to_pre(tfd, SYS_GETPID, 0, NULL);
	CHECK_EQ(read(rfd, &r, sizeof(r)), sizeof(r));
	r.rax = 777;
	CHECK_EQ(write(rfd, &r, sizeof(r)), sizeof(r));
	ev = pt_step(tfd, PTRACE_FLAG_IGNORE | PTRACE_STOP_POST_SYSCALL,
		     PTRACE_STOP_POST_SYSCALL, NULL);
	CHECK_EQ(ev.b, 777);
	printf("ptregs: syscall stops, argument rewritten: ok\n");
	printf("ptregs: sysemu: ok\n");

	/* mem: peek and poke the string rdi points at */
	do
		ev = pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	while (ev.b != (uint64_t)secret);
	CHECK_EQ(lseek(mfd, (off_t)ev.b, SEEK_SET), (off_t)ev.b);
	CHECK_EQ(read(mfd, buf, sizeof(secret)), sizeof(secret));
	CHECK(strcmp(buf, "hidden") == 0);
	CHECK_EQ(lseek(mfd, (off_t)ev.b, SEEK_SET), (off_t)ev.b);
	CHECK_EQ(write(mfd, "POKED", 6), 6);
	CHECK_EQ(lseek(mfd, 0, SEEK_SET), 0);
	CHECK_ERR(read(mfd, buf, 8), EFAULT);
	CHECK_ERR(write(mfd, buf, 8), EFAULT);
	CHECK_ERR(lseek(mfd, (off_t)0xffff800000000000UL, SEEK_SET), EFAULT);
	CHECK_EQ(lseek(mfd, 0x7ffffffff000L, SEEK_SET), 0x7ffffffff000L);
	CHECK_ERR(read(mfd, buf, 8), EFAULT);
	CHECK_EQ(read(mfd, buf, 0), 0);
	/* the edge of a mapping: a short count */
	ev = pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	CHECK_EQ(lseek(mfd, (off_t)ev.b, SEEK_SET), (off_t)ev.b);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(mfd, buf, 8), 4);
	CHECK(memcmp(buf, "edge", 4) == 0);
	CHECK_EQ(lseek(mfd, (off_t)ev.b, SEEK_SET), (off_t)ev.b);
	CHECK_EQ(write(mfd, "EDGE1234", 8), 4);
	printf("ptregs: mem peek, poke, EFAULT, short count: ok\n");

	/* regs/float: st0 = sqrt(32) as an 80-bit value; MXCSR checked */
	do
		ev = pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	while (ev.b != 7);
	int ffd = pt_open(pid, "regs/float", O_RDWR);
	CHECK(ffd >= 0);
	struct ptrace_fpregs fp;
	CHECK_EQ(read(ffd, &fp, sizeof(fp)), sizeof(fp));
	uint64_t mant;
	uint16_t exp;
	memcpy(&mant, fp.st[0], 8);
	memcpy(&exp, fp.st[0] + 8, 2);
	if (mant != 0xb504f333f9de6484UL || exp != 0x4001)
		printf("ptregs: st0 mantissa %#lx exponent %#x\n",
		       (unsigned long)mant, exp);
	CHECK(mant == 0xb504f333f9de6484UL && exp == 0x4001);
	CHECK_EQ(write(ffd, &fp, sizeof(fp)), sizeof(fp));
	fp.mxcsr |= 1U << 16;			/* reserved */
	CHECK_ERR(write(ffd, &fp, sizeof(fp)), EINVAL);
	CHECK_ERR(write(ffd, &fp, 100), EINVAL);
	close(ffd);
	printf("ptregs: regs/float: ok\n");

	/* register writes: bad values refused, privilege never granted */
	do
		ev = pt_to_pre(tfd, SYS_GETPPID, 0, NULL);
	while (ev.b != 8);
	CHECK_EQ(read(rfd, &r, sizeof(r)), sizeof(r));
	struct ptrace_regs bad = r;
	bad.rip = 0x0000800000000000UL;		/* non-canonical */
	CHECK_ERR(write(rfd, &bad, sizeof(bad)), EINVAL);
	bad.rip = 0xffffffff80100000UL;		/* the kernel */
	CHECK_ERR(write(rfd, &bad, sizeof(bad)), EINVAL);
	bad = r;
	bad.rsp = 0xffff800000000000UL;
	CHECK_ERR(write(rfd, &bad, sizeof(bad)), EINVAL);
	CHECK_ERR(write(rfd, &bad, 100), EINVAL);
	CHECK_ERR(read(rfd, &bad, 100), EINVAL);
	bad = r;
	bad.cs = 0x08;				/* kernel code */
	bad.ss = 0x10;
	bad.rflags = 0x3000 | 0x100;		/* IOPL 3, TF, IF clear */
	CHECK_EQ(write(rfd, &bad, sizeof(bad)), sizeof(bad));
	CHECK_EQ(read(rfd, &bad, sizeof(bad)), sizeof(bad));
	CHECK(bad.cs == r.cs && bad.ss == r.ss);
	CHECK_EQ(bad.rflags & 0x3000, 0);
	CHECK_EQ(bad.rflags & 0x300, 0x200);	/* IF on, TF untouched */
	/* rip = alt_path (with a call-aligned stack) changes the path */
	bad.rip = (uint64_t)alt_path;
	bad.rsp = (r.rsp & ~15UL) - 8;
	CHECK_EQ(write(rfd, &bad, sizeof(bad)), sizeof(bad));
	pt_resume(tfd, PTRACE_STOP_EXIT);
	ev = pt_next(tfd, NULL);
	CHECK_EQ(ev.cause, PTRACE_STOP_EXIT);
	CHECK_EQ(ev.a, 0);			/* alt_path's _exit(0) */
	pt_resume(tfd, 0);
	CHECK_ERR(read(tfd, &ev, sizeof(ev)), ESRCH);
	CHECK_ERR(read(rfd, &r, sizeof(r)), ESRCH);
	int st;
	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("ptregs: register writes redirect and cannot escalate: ok\n");
	borrowed_frame(d);
	utest_ok();
}

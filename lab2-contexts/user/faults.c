/*
 * Every kind of user fault kills only the process that made it, with the
 * right signal, and the kernel reports why. The parent (and the kernel)
 * carry on.
 */
#include "utest.h"
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void null_read(void) { (void)*(volatile int *)0; }
static int *volatile null_ptr;	/* volatile: hide NULL from the compiler */
static void null_write(void) { null_ptr[2] = 1; }
static void kernel_read(void) { (void)*(volatile long *)0xffffffff80100000UL; }
static void kernel_write(void) { *(volatile long *)0xffff800000100000UL = 1; }
static void noncanonical(void) { (void)*(volatile long *)0x0000900000000000UL; }
static void text_write(void) { *(volatile char *)(void *)&text_write = 0; }
static void privileged(void) { __asm__ volatile("cli"); }
static void halt(void) { __asm__ volatile("hlt"); }
static void port_io(void) { __asm__ volatile("outb %%al, $0x80" : : "a"(0)); }
static void invalid_opcode(void) { __asm__ volatile("ud2"); }

static void divide(void)
{
	/* In assembly: C compilers may drop a division whose result is unused. */
	__asm__ volatile("xor %%edx, %%edx; xor %%ecx, %%ecx; div %%ecx"
			 : : "a"(10) : "rcx", "rdx");
}

static void exec_stack(void)
{
	/* "ret", written at run time so it really is on the (NX) stack:
	 * a constant array could be placed in read-only (executable) data. */
	volatile unsigned char code[4];
	code[0] = 0xc3;
	((void (*)(void))(uintptr_t)code)();
}

static void jump_kernel(void)
{
	((void (*)(void))0xffffffff80100000UL)();
}

static const struct {
	const char *name;
	void (*fn)(void);
	int sig;
} faults[] = {
	{ "null read", null_read, SIGSEGV },
	{ "null write", null_write, SIGSEGV },
	{ "kernel read", kernel_read, SIGSEGV },
	{ "kernel write", kernel_write, SIGSEGV },
	{ "non-canonical", noncanonical, SIGSEGV },
	{ "write to text", text_write, SIGSEGV },
	{ "execute stack", exec_stack, SIGSEGV },
	{ "jump to kernel", jump_kernel, SIGSEGV },
	{ "cli", privileged, SIGSEGV },
	{ "hlt", halt, SIGSEGV },
	{ "port I/O", port_io, SIGSEGV },
	{ "ud2", invalid_opcode, SIGILL },
	{ "divide by zero", divide, SIGFPE },
};

int main(void)
{
	utest_begin("faults");
	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			faults[i].fn();
			_exit(0);	/* not reached if the fault killed us */
		}
		int status = -1;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		printf("faults: %-15s -> %s %d\n", faults[i].name,
		       WIFSIGNALED(status) ? "signal" : "exit",
		       WIFSIGNALED(status) ? WTERMSIG(status)
					   : WEXITSTATUS(status));
		CHECK(WIFSIGNALED(status));
		CHECK_EQ(WTERMSIG(status), faults[i].sig);
	}
	utest_ok();
}

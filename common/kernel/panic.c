/*
 * panic(): the kernel cannot go on. Print why, where (RIP and symbol) and
 * how we got there (a frame-pointer backtrace; the kernel is built with
 * -fno-omit-frame-pointer), then exit QEMU with EXIT_PANIC so the grader
 * sees it even if the output is garbled.
 */
#include "kernel.h"
#include "x86.h"
#include "memlayout.h"

static bool in_panic;

static bool plausible_frame(uint64_t rbp)
{
	return rbp >= KERNEL_HALF && IS_ALIGNED(rbp, 8);
}

void backtrace_from(uint64_t rbp)
{
	printk("  backtrace:\n");
	for (int depth = 0; depth < 32 && plausible_frame(rbp); depth++) {
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (ret < (uint64_t)__text_start || ret >= (uint64_t)__text_end)
			break;
		printk("    #%d 0x%016lx ", depth, ret);
		print_symbol(ret);
		printk("\n");
		if (frame[0] <= rbp)	/* frames must go up the stack */
			break;
		rbp = frame[0];
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;
	uint64_t rip = (uint64_t)__builtin_return_address(0);

	cli();
	if (in_panic) {		/* panic inside panic: just stop */
		printk("PANIC (nested)\nPANIC end\n");
		qemu_exit(EXIT_PANIC);
	}
	in_panic = true;
	printk("\nPANIC: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n  RIP 0x%016lx ", rip);
	print_symbol(rip);
	printk("\n");
	backtrace_from(read_rbp());
	printk("PANIC end\n");
	qemu_exit(EXIT_PANIC);
}

/*
 * Lab 1, part 4: page-fault reports. HANDOUT.md §6.
 *
 * On a page fault the CPU puts the faulting address in CR2 and pushes an
 * error code describing the access:
 *
 *   bit 0 P     0 = the page was not present, 1 = protection violation
 *   bit 1 W/R   0 = read, 1 = write
 *   bit 2 U/S   0 = kernel mode, 1 = user mode
 *   bit 3 RSVD  a reserved bit was set in a paging entry
 *   bit 4 I/D   instruction fetch
 *
 * The report must look exactly like this (the grader reads it):
 *
 *   PAGE FAULT: address 0x00000000deadb000, error 0x2 (not-present, write, kernel)
 *     RIP 0xffffffff80101234 <some_function+0x2a>
 *
 * In lab 1 every page fault is a kernel bug, so page_fault() below stops
 * with trap_fatal(); from lab 2 on, a user fault kills only the process.
 */
#include "kernel.h"
#include "trap.h"
#include "x86.h"
#include <ochre/signal.h>

#define PF_PRESENT	(1UL << 0)
#define PF_WRITE	(1UL << 1)
#define PF_USER		(1UL << 2)
#define PF_RESERVED	(1UL << 3)
#define PF_FETCH	(1UL << 4)

void pagefault_report(const struct trapframe *tf, uint64_t addr)
{
	/* BEGIN LAB1 SOLUTION: §6 pagefault_report */
	uint64_t err = tf->error;
	printk("PAGE FAULT: address 0x%016lx, error %#lx (%s, %s, %s%s%s)\n",
	       addr, err, err & PF_PRESENT ? "protection" : "not-present",
	       err & PF_WRITE ? "write" : "read",
	       err & PF_USER ? "user" : "kernel",
	       err & PF_RESERVED ? ", reserved-bit" : "",
	       err & PF_FETCH ? ", instruction-fetch" : "");
	printk("  RIP 0x%016lx ", tf->rip);
	print_symbol(tf->rip);
	printk("\n");
	/* END LAB1 SOLUTION */
}

/*
 * Given: what happens after the report. A fault on a user address while
 * copying from or to user space (lab 2) continues at a fixup that returns
 * -EFAULT; a fault in user mode (lab 2) kills the process; anything else
 * is a kernel bug.
 */
static void page_fault(struct trapframe *tf)
{
	uint64_t addr = read_cr2();
	if (!trap_from_user(tf) && trap_fixup(tf))
		return;
	pagefault_report(tf, addr);
	if (trap_from_user(tf))
		user_exception(tf, SIGSEGV, "page fault");
	else
		trap_fatal(tf, "page fault in the kernel");
}
TRAP_HANDLER(T_PAGE_FAULT, page_fault);

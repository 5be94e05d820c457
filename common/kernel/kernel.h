/*
 * The kernel's common declarations: console output, panic, power-off,
 * init calls. Included by almost every kernel file.
 */
#ifndef OCHRE_KERNEL_H
#define OCHRE_KERNEL_H

#include "types.h"
#include <ochre/errno.h>

/* printk.c: formatted output to the serial console. */
int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);

/* lib/fmt.c and lib/string.c, shared with libc and host tools. */
#include "../lib/fmt.h"
#include "../lib/string.h"

/* panic.c: print a message, the caller's RIP and a backtrace; exit QEMU. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
void backtrace_from(uint64_t rbp);

/*
 * poweroff.c: exit codes the grader understands. QEMU's isa-debug-exit
 * turns code c into host exit status (c << 1) | 1, so a clean exit is 1 and
 * status 0 can only mean "the machine reset itself" (e.g. a triple fault).
 */
enum exit_code {
	EXIT_OK = 0,		/* all tests passed, or "poweroff" */
	EXIT_TEST_FAILED = 1,	/* a KTEST failed */
	EXIT_PANIC = 2,		/* kernel panic */
	EXIT_USAGE = 4,		/* bad command line (e.g. unknown ktest) */
};
void qemu_exit(enum exit_code code) __noreturn;

/* ksyms.c: kernel symbol lookup for reports. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
void print_symbol(uint64_t addr);	/* prints "<name+0xoff>" */

/*
 * Init calls: a file registers a function to run at boot, at a level:
 * 2 = cpu and traps (gdt.c's IST stacks, lab 2's syscall MSRs), then
 * 3 = devices and schemes (the timer, the serial input, kernel schemes,
 * initfs). Memory comes before any of them: kmain sets up frames, the
 * kernel space and the heap itself, in that order, because every init
 * call may allocate. Processes come after all of them, from the main_loop
 * seam (seam.h). The linker collects init calls in .initcall.<level>
 * sections, sorted, so a lab adds a subsystem by adding a file, with no
 * edit to kmain.
 */
typedef void (*initcall_t)(void);
#define INITCALL(fn, level) \
	static initcall_t __initcall_##fn __used \
		__section(".initcall." #level) = fn


#endif

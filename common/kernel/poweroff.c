/* Leaving QEMU with a status the grader can read (see enum exit_code). */
#include "kernel.h"
#include "x86.h"

#define DEBUG_EXIT_PORT	0xf4	/* -device isa-debug-exit,iobase=0xf4 */

void qemu_exit(enum exit_code code)
{
	cli();
	outl(DEBUG_EXIT_PORT, code);
	/* Not under QEMU (or no debug-exit device): stop here. */
	printk("Ochre: halted (exit code %d)\n", code);
	for (;;)
		hlt();
}

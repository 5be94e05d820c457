/*
 * The kernel's C entry point. boot.asm gets us to 64-bit mode with the
 * loader's magic and information address (multiboot2 from GRUB, PVH from
 * QEMU's -kernel); from here everything is C.
 */
#include "kernel.h"
#include "boot.h"
#include "cmdline.h"
#include "frame.h"
#include "gdt.h"
#include "heap.h"
#include "ktest.h"
#include "mapper.h"
#include "monitor.h"
#include "seam.h"
#include "serial.h"
#include "trap.h"

extern const initcall_t __initcalls_start[], __initcalls_end[];

/*
 * What the kernel does after booting when no ktest= is given: lab 1 has
 * the monitor; from lab 2 on, bootstrap.c provides this seam and starts
 * the first process instead.
 */
static void (*main_loop)(void);
SEAM(main_loop, 2, main_loop);

static void print_memory_summary(void)
{
	size_t free = frame_free_count();
	printk("memory: %zu MiB usable, %zu frames free\n",
	       frame_usable_count() * 4 / 1024, free);
}

void kmain(uint32_t magic, physaddr_t boot_information)
{
	serial_init();
	printk("\nOchre %s - a teaching OS for x86_64\n", OCHRE_LAB_NAME);
	gdt_init();
	idt_init();
	boot_parse(magic, boot_information);
	cmdline_init();

	seam_init();
	frame_init();
	kspace_init();
	heap_init();
	if (!cmdline_flag("quiet"))
		print_memory_summary();

	for (const initcall_t *f = __initcalls_start; f < __initcalls_end; f++)
		(*f)();

	const char *test = cmdline_get("ktest");
	if (test)
		ktest_main(test);
	if (cmdline_flag("monitor"))
		monitor();
	if (main_loop)
		main_loop();
	else
		monitor();
	panic("the main loop returned");
}

/*
 * A small interactive monitor, so that booting lab 1 is already something
 * to explore: look at the memory map, the free frames, walk the page tables
 * for an address. Later labs replace it with a user-space shell.
 */
#include "kernel.h"
#include "boot.h"
#include "cmdline.h"
#include "frame.h"
#include "heap.h"
#include "mapper.h"
#include "memlayout.h"
#include "monitor.h"
#include "serial.h"
#include "x86.h"

#define LINE_MAX	128
#define MAX_ARGV	8

extern const struct monitor_cmd __monitor_cmds_start[], __monitor_cmds_end[];

CMDLINE_OPTION(monitor, "monitor",
	       "start the kernel monitor instead of the first process");

static void cmd_help(int argc __unused, char **argv __unused)
{
	for (const struct monitor_cmd *c = __monitor_cmds_start;
	     c < __monitor_cmds_end; c++)
		printk("  %-10s %s\n", c->name, c->help);
}
MONITOR_COMMAND(help, "help", "list commands", cmd_help);

static void cmd_mem(int argc __unused, char **argv __unused)
{
	printk("usable RAM (below 4 GiB):\n");
	for (int i = 0; i < boot_info.nusable; i++)
		printk("  %#012lx-%#012lx %6lu KiB\n", boot_info.usable[i].start,
		       boot_info.usable[i].end,
		       (boot_info.usable[i].end - boot_info.usable[i].start) >> 10);
	printk("reserved:\n");
	for (int i = 0; i < boot_info.nreserved; i++)
		printk("  %#012lx-%#012lx %s\n", boot_info.reserved[i].start,
		       boot_info.reserved[i].end, boot_info.reserved[i].what);
	printk("boot modules (loaded by %s):\n", boot_info.loader);
	for (int i = 0; i < boot_info.nmodules; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		printk("  %#012lx-%#012lx %s, %lu bytes\n", m->start, m->end,
		       m->name, m->end - m->start);
	}
}
MONITOR_COMMAND(mem, "mem", "show the memory map", cmd_mem);

static void cmd_frames(int argc __unused, char **argv __unused)
{
	printk("free frames: %zu of %zu (%zu KiB free)\n", frame_free_count(),
	       frame_usable_count(), frame_free_count() * 4);
}
MONITOR_COMMAND(frames, "frames", "count free physical frames", cmd_frames);

static void cmd_heap(int argc __unused, char **argv __unused)
{
	struct heap_stats st;
	heap_get_stats(&st);
	printk("heap: %zu live allocations, %zu bytes, %zu pages mapped\n",
	       st.live_allocs, st.live_bytes, st.pages_mapped);
}
MONITOR_COMMAND(heap, "heap", "kernel heap statistics", cmd_heap);

static const char *level_names[] = { "", "PT", "PD", "PDPT", "PML4" };

/* Walks the tables by hand (not with the mapper) and shows every level. */
static void cmd_walk(int argc, char **argv)
{
	if (argc != 2) {
		printk("usage: walk ADDRESS   (e.g. walk 0xffffffff80100000)\n");
		return;
	}
	uintptr_t va = strtoul(argv[1], NULL, 0);
	if (!va_is_canonical(va)) {
		printk("%#lx is not canonical (bits 48-63 must copy bit 47)\n",
		       va);
		return;
	}
	physaddr_t table = read_cr3() & PTE_ADDR_MASK;
	for (int level = PT_LEVELS; level >= 1; level--) {
		unsigned idx = pt_index(va, level);
		pte_t e = ((pte_t *)phys_to_virt(table))[idx];
		printk("  %-4s[%3u] at %#lx = %#018lx", level_names[level], idx,
		       table, e);
		if (!(e & PTE_P)) {
			printk("  not present\n");
			return;
		}
		printk("  %s%s%s%s\n", e & PTE_W ? "W " : "R ",
		       e & PTE_U ? "U " : "K ", e & PTE_NX ? "NX " : "X ",
		       (e & PTE_PS) && level > 1 ? "huge" : "");
		if (level == 1 || (e & PTE_PS)) {
			uint64_t size = 1UL << (12 + 9 * (level - 1));
			printk("  -> physical %#lx\n",
			       (e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1)));
			return;
		}
		table = e & PTE_ADDR_MASK;
	}
}
MONITOR_COMMAND(walk, "walk", "walk the page tables for an address", cmd_walk);

static void cmd_bt(int argc __unused, char **argv __unused)
{
	backtrace_from(read_rbp());
}
MONITOR_COMMAND(bt, "bt", "print a backtrace of the monitor", cmd_bt);

static void cmd_cmdline(int argc __unused, char **argv __unused)
{
	printk("command line: '%s'\n", cmdline_text());
}
MONITOR_COMMAND(cmdline, "cmdline", "show the kernel command line", cmd_cmdline);

static void cmd_poweroff(int argc __unused, char **argv __unused)
{
	printk("Powering off.\n");
	qemu_exit(EXIT_OK);
}
MONITOR_COMMAND(poweroff, "poweroff", "leave QEMU", cmd_poweroff);

static void read_line(char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		int c = serial_getc_wait();
		if (c == '\r' || c == '\n') {
			printk("\n");
			break;
		}
		if ((c == 0x7f || c == '\b') && n > 0) {
			n--;
			printk("\b \b");
		} else if (c >= ' ' && c < 0x7f && n + 1 < size) {
			buf[n++] = (char)c;
			serial_putc((char)c);
		}
	}
	buf[n] = '\0';
}

static int split_args(char *line, char **argv)
{
	int argc = 0;
	for (char *p = line; *p && argc < MAX_ARGV;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return argc;
}

static void run_command(int argc, char **argv)
{
	for (const struct monitor_cmd *c = __monitor_cmds_start;
	     c < __monitor_cmds_end; c++) {
		if (strcmp(c->name, argv[0]) == 0) {
			c->fn(argc, argv);
			return;
		}
	}
	printk("unknown command '%s'; try 'help'\n", argv[0]);
}

void monitor(void)
{
	char line[LINE_MAX];
	char *argv[MAX_ARGV];
	printk("Ochre kernel monitor. Type 'help' for commands.\n");
	for (;;) {
		printk("ochre> ");
		read_line(line, sizeof(line));
		int argc = split_args(line, argv);
		if (argc > 0)
			run_command(argc, argv);
	}
}

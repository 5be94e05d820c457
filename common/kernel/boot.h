/*
 * What the boot loader told us, in a form the rest of the kernel can use
 * without knowing which loader ran (GRUB's multiboot2 or QEMU's PVH direct
 * boot): usable memory, reserved ranges, modules and the command line.
 * Filled in by boot_parse() (bootinfo.c) before anything else runs.
 */
#ifndef OCHRE_BOOT_H
#define OCHRE_BOOT_H

#include "types.h"

#define BOOT_MAX_REGIONS	64
#define BOOT_MAX_RESERVED	32
#define BOOT_MAX_MODULES	8

struct mem_region {
	physaddr_t start;	/* inclusive */
	physaddr_t end;		/* exclusive */
	const char *what;	/* for reserved ranges: who owns it */
};

struct boot_module {
	physaddr_t start, end;
	char name[64];		/* GRUB's module command line, or the
				   container entry's name (pvh.c) */
};

struct boot_info {
	struct mem_region usable[BOOT_MAX_REGIONS];	/* RAM we may use */
	int nusable;
	struct mem_region reserved[BOOT_MAX_RESERVED];	/* inside usable, taken */
	int nreserved;
	struct boot_module modules[BOOT_MAX_MODULES];
	int nmodules;
	char cmdline[512];	/* from the loader; fw_cfg may override it */
	const char *loader;	/* "GRUB (multiboot2)" or "QEMU -kernel (PVH)" */
};

extern struct boot_info boot_info;

/* Reads the loader's information (magic and address as boot.asm got them). */
void boot_parse(uint32_t magic, physaddr_t info);

/* The two formats (multiboot.c, pvh.c), and what they fill in with. */
void multiboot_parse(physaddr_t info);
void pvh_parse(physaddr_t info);
void boot_add_usable(uint64_t start, uint64_t end);
void boot_add_module(physaddr_t start, physaddr_t end, const char *name);

/* Marks [start, end) as not for the frame allocator. */
void boot_reserve(physaddr_t start, physaddr_t end, const char *what);

/* Is any byte of [start, end) reserved? */
bool boot_is_reserved(physaddr_t start, physaddr_t end);

/*
 * Early allocator for boot-time tables that live forever (e.g. the frame
 * allocator's own metadata). Returns zeroed memory (through PHYS_OFFSET) and
 * reserves it, or NULL. Only before the frame allocator is set up.
 */
void *bootmem_alloc(size_t size);

#endif

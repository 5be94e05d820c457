/*
 * PVH boot information (QEMU's -kernel: direct boot, what the grader uses).
 * QEMU enters _start_pvh (boot.asm) with a struct hvm_start_info, the x86
 * PVH boot ABI's start-of-day structure: a memory map, a command line and
 * a list of modules. QEMU passes exactly one module, -initrd; Ochre's
 * build packs all its boot modules (bootstrap, initfs) into that one file,
 * a module container (below; common/mk/bootmods.py writes it), and we
 * unpack it into boot_info.modules[] as GRUB's module2 lines would have.
 */
#include "kernel.h"
#include "boot.h"
#include "memlayout.h"

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;	/* 1 and later have the memory map */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;	/* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;	/* struct hvm_memmap_entry[memmap_entries] */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size;
	uint64_t cmdline_paddr;	/* 0: none (QEMU's -initrd has none) */
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define E820_RAM	1

/*
 * The module container: a header, then `count` entries, then the modules,
 * each at a page-aligned offset (lab 5 maps the initfs page by page). All
 * fields little-endian.
 */
#define BOOTMODS_MAGIC	"OCHREMOD"
#define BOOTMODS_NAME	48

struct bootmods_header {
	char magic[8];
	uint32_t count;
	uint32_t reserved;
	uint64_t size;		/* of the whole container */
};

struct bootmods_entry {
	uint64_t offset, size;	/* from the start of the container */
	char name[BOOTMODS_NAME];	/* NUL-terminated */
};

static const char *container_problem(const uint8_t *c, uint64_t have)
{
	const struct bootmods_header *h = (const void *)c;
	if (have < sizeof(*h) || memcmp(h->magic, BOOTMODS_MAGIC, 8) != 0)
		return "no OCHREMOD magic (pass the build's modules.img)";
	if (h->size > have)
		return "truncated (shorter than its header says)";
	if (h->count > BOOT_MAX_MODULES)
		return "too many modules";
	if (sizeof(*h) + h->count * sizeof(struct bootmods_entry) > h->size)
		return "entries run past its end";
	const struct bootmods_entry *e = (const void *)(h + 1);
	for (uint32_t i = 0; i < h->count; i++) {
		if (!IS_ALIGNED(e[i].offset, PAGE_SIZE))
			return "a module is not page-aligned";
		if (e[i].offset > h->size || e[i].size > h->size - e[i].offset)
			return "a module runs past its end";
		if (strnlen(e[i].name, BOOTMODS_NAME) == BOOTMODS_NAME)
			return "a module name is not terminated";
	}
	return NULL;
}

static void parse_container(physaddr_t start, uint64_t size)
{
	if (!IS_ALIGNED(start, PAGE_SIZE))
		panic("PVH module container at %#lx is not page-aligned", start);
	const uint8_t *c = phys_to_virt(start);
	const char *problem = container_problem(c, size);
	if (problem)
		panic("PVH module container at %#lx (%#lx bytes): %s",
		      start, size, problem);
	const struct bootmods_header *h = (const void *)c;
	const struct bootmods_entry *e = (const void *)(h + 1);
	for (uint32_t i = 0; i < h->count; i++)
		boot_add_module(start + e[i].offset,
				start + e[i].offset + e[i].size, e[i].name);
	/* The header page and padding are not a module's, but not free RAM
	 * either until we are done with them: keep the whole container. */
	boot_reserve(start, ALIGN_UP(start + size, PAGE_SIZE), "module container");
}

void pvh_parse(physaddr_t info)
{
	const struct hvm_start_info *si = phys_to_virt(info);
	if (si->version < 1 || !si->memmap_paddr)
		panic("the PVH loader gave no memory map (start info version %u)",
		      si->version);
	const struct hvm_memmap_entry *mm = phys_to_virt(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (mm[i].type == E820_RAM)
			boot_add_usable(mm[i].addr, mm[i].addr + mm[i].size);
	if (si->cmdline_paddr)
		strlcpy(boot_info.cmdline, phys_to_virt(si->cmdline_paddr),
			sizeof(boot_info.cmdline));
	const struct hvm_modlist_entry *mod = phys_to_virt(si->modlist_paddr);
	for (uint32_t i = 0; i < si->nr_modules; i++)
		parse_container(mod[i].paddr, mod[i].size);
}

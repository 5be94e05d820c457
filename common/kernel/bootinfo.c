/*
 * The one boot-information structure. Two loaders can start Ochre: GRUB
 * (multiboot2, the ISO) and QEMU's -kernel (the PVH entry, direct boot).
 * Each has its own format, read by multiboot.c or pvh.c into boot_info
 * through the helpers here; the rest of the kernel reads only boot_info, so
 * it never knows which loader ran. The formats live in memory the frame
 * allocator will reuse: everything needed later is copied.
 */
#include "kernel.h"
#include "boot.h"
#include "memlayout.h"

#define MB2_BOOT_MAGIC	0x36d76289	/* eax from a multiboot2 loader */
#define PVH_START_MAGIC	0x336ec578	/* hvm_start_info.magic */

struct boot_info boot_info;

/* The first 1 MiB holds BIOS data, the EBDA and option ROMs: never use it. */
#define LOW_MEMORY_END	0x100000UL

void boot_add_usable(uint64_t start, uint64_t end)
{
	start = ALIGN_UP(MAX(start, LOW_MEMORY_END), PAGE_SIZE);
	end = ALIGN_DOWN(MIN(end, PHYS_MAP_SIZE), PAGE_SIZE);
	if (start >= end)
		return;
	if (boot_info.nusable == BOOT_MAX_REGIONS) {
		printk("WARNING: too many memory regions, ignoring %#lx-%#lx\n",
		       start, end);
		return;
	}
	boot_info.usable[boot_info.nusable++] =
		(struct mem_region){ start, end, "RAM" };
}

void boot_add_module(physaddr_t start, physaddr_t end, const char *name)
{
	if (boot_info.nmodules == BOOT_MAX_MODULES) {
		printk("WARNING: too many boot modules, ignoring '%s'\n", name);
		return;
	}
	struct boot_module *bm = &boot_info.modules[boot_info.nmodules++];
	bm->start = start;
	bm->end = end;
	strlcpy(bm->name, name, sizeof(bm->name));
	boot_reserve(ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE),
		     "module");
}

static bool in_usable(physaddr_t start, physaddr_t end)
{
	for (int i = 0; i < boot_info.nusable; i++)
		if (boot_info.usable[i].start <= start &&
		    end <= boot_info.usable[i].end)
			return true;
	return false;
}

void boot_parse(uint32_t magic, physaddr_t info)
{
	physaddr_t kstart = (physaddr_t)__kernel_start - KERNEL_VMA;
	physaddr_t kend = (physaddr_t)__kernel_end - KERNEL_VMA;
	boot_reserve(kstart, kend, "kernel");
	if (magic == MB2_BOOT_MAGIC) {
		boot_info.loader = "GRUB (multiboot2)";
		multiboot_parse(info);
	} else if (magic == PVH_START_MAGIC) {
		boot_info.loader = "QEMU -kernel (PVH)";
		pvh_parse(info);
	} else
		panic("unknown boot loader (magic %#x)", magic);
	if (boot_info.nusable == 0)
		panic("the boot loader reported no usable memory");
	/* A module the loader put outside RAM would be handed out as frames
	 * (or not exist at all): stop here, naming it. */
	for (int i = 0; i < boot_info.nmodules; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		if (!in_usable(ALIGN_DOWN(m->start, PAGE_SIZE),
			       ALIGN_UP(m->end, PAGE_SIZE)))
			panic("boot module '%s' at %#lx-%#lx is not in usable RAM "
			      "(too large for this machine's memory?)",
			      m->name, m->start, m->end);
	}
}

void boot_reserve(physaddr_t start, physaddr_t end, const char *what)
{
	if (boot_info.nreserved == BOOT_MAX_RESERVED)
		panic("too many reserved ranges (adding %s)", what);
	boot_info.reserved[boot_info.nreserved++] =
		(struct mem_region){ start, end, what };
}

bool boot_is_reserved(physaddr_t start, physaddr_t end)
{
	for (int i = 0; i < boot_info.nreserved; i++) {
		const struct mem_region *r = &boot_info.reserved[i];
		if (start < r->end && r->start < end)
			return true;
	}
	return false;
}

/* First fit: the lowest page-aligned place in usable RAM that is free. */
void *bootmem_alloc(size_t size)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	for (int i = 0; i < boot_info.nusable; i++) {
		const struct mem_region *u = &boot_info.usable[i];
		physaddr_t pa = u->start;
		while (pa + size <= u->end) {
			if (!boot_is_reserved(pa, pa + size)) {
				boot_reserve(pa, pa + size, "boot tables");
				return memset(phys_to_virt(pa), 0, size);
			}
			pa += PAGE_SIZE;
		}
	}
	return NULL;
}

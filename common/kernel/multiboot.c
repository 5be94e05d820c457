/*
 * Multiboot2 boot information parser. GRUB hands us a list of tags; we
 * copy what we need into boot_info, because the tags themselves live in
 * memory the frame allocator will eventually reuse.
 */
#include "kernel.h"
#include "boot.h"
#include "memlayout.h"

#define MB2_BOOT_MAGIC	0x36d76289
#define TAG_END		0
#define TAG_CMDLINE	1
#define TAG_MODULE	3
#define TAG_MMAP	6
#define MMAP_AVAILABLE	1

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_module {
	struct mb2_tag tag;
	uint32_t start, end;
	char name[];
};

struct mb2_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
	uint8_t entries[];
};

struct mb2_mmap_entry {
	uint64_t addr, len;
	uint32_t type, reserved;
};

struct boot_info boot_info;

/* The first 1 MiB holds BIOS data, the EBDA and option ROMs: never use it. */
#define LOW_MEMORY_END	0x100000UL

static void add_usable(uint64_t start, uint64_t end)
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

static void parse_mmap(const struct mb2_mmap *m)
{
	const uint8_t *p = m->entries;
	const uint8_t *end = (const uint8_t *)m + m->tag.size;
	for (; p + m->entry_size <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		if (e->type == MMAP_AVAILABLE)
			add_usable(e->addr, e->addr + e->len);
	}
}

static void parse_module(const struct mb2_module *mod)
{
	if (boot_info.nmodules == BOOT_MAX_MODULES) {
		printk("WARNING: too many boot modules, ignoring '%s'\n",
		       mod->name);
		return;
	}
	struct boot_module *bm = &boot_info.modules[boot_info.nmodules++];
	bm->start = mod->start;
	bm->end = mod->end;
	strlcpy(bm->name, mod->name, sizeof(bm->name));
	boot_reserve(ALIGN_DOWN((physaddr_t)mod->start, PAGE_SIZE),
		     ALIGN_UP((physaddr_t)mod->end, PAGE_SIZE), "module");
}

void multiboot_parse(uint32_t magic, physaddr_t info)
{
	if (magic != MB2_BOOT_MAGIC)
		panic("not booted by multiboot2 (magic %#x)", magic);

	uint32_t total = *(uint32_t *)phys_to_virt(info);
	physaddr_t kstart = (physaddr_t)__kernel_start - KERNEL_VMA;
	physaddr_t kend = (physaddr_t)__kernel_end - KERNEL_VMA;
	boot_reserve(kstart, kend, "kernel");
	boot_reserve(ALIGN_DOWN(info, PAGE_SIZE),
		     ALIGN_UP(info + total, PAGE_SIZE), "boot info");

	const uint8_t *p = (const uint8_t *)phys_to_virt(info) + 8;
	const uint8_t *end = (const uint8_t *)phys_to_virt(info) + total;
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *tag = (const void *)p;
		if (tag->type == TAG_END)
			break;
		switch (tag->type) {
		case TAG_CMDLINE:
			strlcpy(boot_info.cmdline, (const char *)(tag + 1),
				sizeof(boot_info.cmdline));
			break;
		case TAG_MODULE:
			parse_module((const void *)tag);
			break;
		case TAG_MMAP:
			parse_mmap((const void *)tag);
			break;
		}
		p += ALIGN_UP(tag->size, 8);	/* tags are 8-byte aligned */
	}
	if (boot_info.nusable == 0)
		panic("the boot loader reported no usable memory");
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

/*
 * Multiboot2 boot information (GRUB, the ISO boot). GRUB hands us a list
 * of tags; we copy what we need into boot_info (bootinfo.c), because the
 * tags themselves live in memory the frame allocator will eventually reuse.
 */
#include "kernel.h"
#include "boot.h"
#include "memlayout.h"

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

static void parse_mmap(const struct mb2_mmap *m)
{
	const uint8_t *p = m->entries;
	const uint8_t *end = (const uint8_t *)m + m->tag.size;
	for (; p + m->entry_size <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		if (e->type == MMAP_AVAILABLE)
			boot_add_usable(e->addr, e->addr + e->len);
	}
}

void multiboot_parse(physaddr_t info)
{
	uint32_t total = *(uint32_t *)phys_to_virt(info);
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
		case TAG_MODULE: {
			const struct mb2_module *mod = (const void *)tag;
			boot_add_module(mod->start, mod->end, mod->name);
			break;
		}
		case TAG_MMAP:
			parse_mmap((const void *)tag);
			break;
		}
		p += ALIGN_UP(tag->size, 8);	/* tags are 8-byte aligned */
	}
}

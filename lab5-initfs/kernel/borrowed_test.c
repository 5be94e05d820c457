/*
 * In-kernel test of borrowed frames (addrspace.h), on the initfs module's
 * own frames: a copied address space shares them, mprotect cannot make
 * them writable, and tearing both spaces down frees none of them (and
 * every page table: the free-frame count is back where it was).
 */
#include "kernel.h"
#include "addrspace.h"
#include "bootimage.h"
#include "frame.h"
#include "ktest.h"
#include "mapper.h"
#include "memlayout.h"

#define TEST_VA	0x0000010000000000UL
#define NPAGES	4

KTEST(borrowed_frames)
{
	const struct boot_module *m = boot_module_find("initfs");
	KT_ASSERT(m != NULL);
	KT_ASSERT(m->end - m->start >= NPAGES * PAGE_SIZE);
	KT_ASSERT(frame_is_borrowed(m->start));
	size_t free0 = frame_free_count();
	uint8_t first = *(uint8_t *)phys_to_virt(m->start);

	struct addrspace *as = addrspace_create(), *copy = addrspace_create();
	KT_ASSERT(as && copy);
	struct flush fl = FLUSH_INIT;
	for (int i = 0; i < NPAGES; i++) {
		KT_ASSERT_EQ(mapper_map(as->root, TEST_VA + i * PAGE_SIZE,
					m->start + i * PAGE_SIZE, PTE_U | PTE_NX, &fl), 0);
		as->pages++;
	}
	KT_ASSERT_EQ(addrspace_protect(as, TEST_VA, NPAGES * PAGE_SIZE,
				       PTE_W | PTE_NX), -EACCES);
	uint64_t flags;
	physaddr_t pa;
	KT_ASSERT_EQ(mapper_translate(as->root, TEST_VA, &pa, &flags), 0);
	KT_ASSERT(!(flags & PTE_W));

	KT_ASSERT_EQ(addrspace_copy(copy, as), 0);
	for (int i = 0; i < NPAGES; i++) {
		KT_ASSERT_EQ(mapper_translate(copy->root, TEST_VA + i * PAGE_SIZE,
					      &pa, &flags), 0);
		KT_ASSERT_EQ(pa, m->start + i * PAGE_SIZE);	/* shared */
		KT_ASSERT(!(flags & PTE_W));
	}
	addrspace_destroy(copy);
	addrspace_destroy(as);
	KT_ASSERT_EQ(frame_free_count(), free0);
	KT_ASSERT_EQ(*(uint8_t *)phys_to_virt(m->start), first);
	KT_ASSERT(!(frames[m->start >> PAGE_SHIFT].flags & FRAME_FREE));
}

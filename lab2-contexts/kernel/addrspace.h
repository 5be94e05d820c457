/*
 * Address spaces (lab 2): a process's page table and the bookkeeping to
 * fill it. There is no list of regions: the page table itself says what is
 * mapped (lab 1's mapper), which is all anonymous memory needs.
 *
 *   0x0000000000000000  page 0: never mapped, so NULL faults
 *   0x0000000000400000  BOOTSTRAP_BASE: the bootstrap image (lab 2)
 *   0x0000100000000000  MMAP_BASE: mmap hands out addresses from here up
 *   0x00007fffff000000  the user stack (USER_STACK_PAGES below USER_STACK_TOP)
 *   0x00007ffffffff000  USER_TOP: the last page is never mapped
 */
#ifndef OCHRE_ADDRSPACE_H
#define OCHRE_ADDRSPACE_H

#include "types.h"
#include "frame.h"
#include "memlayout.h"

#include <ochre/layout.h>	/* USER_MIN, MMAP_BASE, USER_STACK_* */

struct addrspace {
	physaddr_t root;	/* the PML4 */
	uintptr_t mmap_next;	/* where the next mmap without a hint goes */
	size_t pages;		/* user pages mapped */
};

/*
 * A user page whose frame the allocator does not own (FRAME_USABLE clear:
 * a boot module, lab 5's initfs) is *borrowed*: unmapping it never frees
 * the frame, and copying an address space shares it instead of copying.
 * Only read-only mappings of such frames are ever made.
 */
static inline bool frame_is_borrowed(physaddr_t pa)
{
	const struct frame *f = frame_info(pa);
	return !f || !(f->flags & FRAME_USABLE);
}

struct addrspace *addrspace_create(void);
void addrspace_destroy(struct addrspace *as);
void addrspace_switch(struct addrspace *as);	/* NULL: kernel only */

/* Is [va, va+len) a valid user range (no overflow, below USER_TOP)? */
bool user_range_ok(uintptr_t va, size_t len);

/* Maps zeroed pages; all-or-nothing; -EEXIST if any page is mapped. */
int addrspace_map_anon(struct addrspace *as, uintptr_t va, size_t len,
		       uint64_t pte_flags);
/* Unmaps whatever is mapped in the range and frees the frames. */
int addrspace_unmap(struct addrspace *as, uintptr_t va, size_t len);
/* Changes flags of every page; -ENOMEM (and no change) if one is not mapped. */
int addrspace_protect(struct addrspace *as, uintptr_t va, size_t len,
		      uint64_t pte_flags);
/* Maps at va (unmapped) a fresh frame holding a copy of the frame at src,
 * with pte_flags | PTE_U; 0, -ENOMEM or the mapper's error. */
int addrspace_map_copy(struct addrspace *as, uintptr_t va, physaddr_t src,
		       uint64_t pte_flags);
/* fork: copies every user page of src into dst (fresh frames). */
int addrspace_copy(struct addrspace *dst, struct addrspace *src);
/* Copies len bytes into as at va (pages must be mapped; ignores W). */
int addrspace_write(struct addrspace *as, uintptr_t va, const void *src,
		    size_t len);

#endif

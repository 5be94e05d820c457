/*
 * Lab 1, part 1: the physical frame allocator. HANDOUT.md §3.
 *
 * Every frame of RAM below the highest usable address has a struct frame
 * in frames[]. Free frames are linked into a singly linked free list through
 * frame.next_free (frame numbers, not pointers), so alloc and free are O(1),
 * and the FRAME_FREE flag catches double frees.
 */
#include "kernel.h"
#include "boot.h"
#include "frame.h"
#include "memlayout.h"

struct frame *frames;
size_t nframes;

static uint32_t free_head = FRAME_NONE;	/* first free frame's number */
static size_t nfree;			/* frames on the free list */
static size_t nusable;			/* frames the allocator manages */

/* Given helpers. */
static physaddr_t highest_usable_address(void)
{
	physaddr_t top = 0;
	for (int i = 0; i < boot_info.nusable; i++)
		top = MAX(top, boot_info.usable[i].end);
	return top;
}

static void push_free(size_t n)
{
	frames[n].flags |= FRAME_FREE;
	frames[n].next_free = free_head;
	free_head = (uint32_t)n;
	nfree++;
}

void frame_init(void)
{
	/* BEGIN LAB1 SOLUTION: §3.1 frame_init */
	nframes = highest_usable_address() >> PAGE_SHIFT;
	frames = bootmem_alloc(nframes * sizeof(struct frame));
	if (!frames)
		panic("no memory for the frame table (%zu frames)", nframes);

	/* Push high frames first so that low frames are handed out first:
	 * easier to read in a debugger, and no behaviour depends on it. */
	for (int i = boot_info.nusable - 1; i >= 0; i--) {
		const struct mem_region *r = &boot_info.usable[i];
		for (physaddr_t pa = r->end - PAGE_SIZE; pa + PAGE_SIZE > r->start;
		     pa -= PAGE_SIZE) {
			if (boot_is_reserved(pa, pa + PAGE_SIZE))
				continue;
			frames[pa >> PAGE_SHIFT].flags = FRAME_USABLE;
			push_free(pa >> PAGE_SHIFT);
			nusable++;
			if (pa == 0)
				break;
		}
	}
	/* END LAB1 SOLUTION */
}

/* Fault injection for the tests (frame.h): -1 off, else allocations left. */
static long fail_after = -1;

void frame_fail_after(long n)
{
	fail_after = n;
}

/* Given: a zeroed frame. A fresh page table must have no present
 * entries, and memory given to a process must not carry another's data. */
physaddr_t frame_alloc(void)
{
	physaddr_t pa = frame_alloc_dirty();
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

physaddr_t frame_alloc_dirty(void)
{
	if (fail_after == 0)	/* given: a test simulates running out */
		return 0;
	if (fail_after > 0)
		fail_after--;
	/* BEGIN LAB1 SOLUTION: §3.2 frame_alloc_dirty */
	if (free_head == FRAME_NONE)
		return 0;
	size_t n = free_head;
	struct frame *f = &frames[n];
	free_head = f->next_free;
	f->next_free = FRAME_NONE;
	f->flags &= ~FRAME_FREE;
	f->pt_used = 0;
	nfree--;
	return (physaddr_t)n << PAGE_SHIFT;
	/* END LAB1 SOLUTION */
	/* STARTER: return 0; */
}

int frame_free(physaddr_t pa)
{
	/* BEGIN LAB1 SOLUTION: §3.3 frame_free */
	struct frame *f = frame_info(pa);
	if (!IS_ALIGNED(pa, PAGE_SIZE) || !f || !(f->flags & FRAME_USABLE)) {
		printk("frame_free: %#lx is not an allocatable frame\n", pa);
		return -EINVAL;
	}
	if (f->flags & FRAME_FREE) {
		printk("frame_free: double free of frame %#lx\n", pa);
		return -EINVAL;
	}
	push_free(pa >> PAGE_SHIFT);
	return 0;
	/* END LAB1 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

size_t frame_free_count(void)
{
	return nfree;
}

size_t frame_usable_count(void)
{
	return nusable;
}

/*
 * Physical frame allocator (lab 1). Physical memory is cut into 4 KiB
 * frames; every frame has a struct frame (like Linux's struct page), kept in
 * one array indexed by frame number. The array lets us detect double frees
 * in O(1), and lets the mapper keep each page table's used-entry count
 * outside the table itself.
 */
#ifndef OCHRE_FRAME_H
#define OCHRE_FRAME_H

#include "types.h"

struct frame {
	uint16_t flags;		/* FRAME_* below */
	uint16_t pt_used;	/* if this frame is a page table: used entries */
	uint32_t next_free;	/* free-list link (a frame number), or FRAME_NONE */
};

#define FRAME_USABLE	0x1	/* RAM the allocator manages (not reserved) */
#define FRAME_FREE	0x2	/* on the free list */
#define FRAME_NONE	0xffffffffu

extern struct frame *frames;	/* frames[pa >> PAGE_SHIFT] */
extern size_t nframes;		/* length of frames[] */

void frame_init(void);			/* from boot_info; see boot.h */
physaddr_t frame_alloc(void);		/* a zeroed frame, or 0 if none */
/* A frame as it was left (old data), or 0: only for a caller that
 * overwrites all 4 KiB at once (fork's page copy), saving the zeroing. */
physaddr_t frame_alloc_dirty(void);
int frame_free(physaddr_t pa);		/* 0, or -EINVAL (and a message) */
size_t frame_free_count(void);
size_t frame_usable_count(void);	/* free + allocated */
/* Tests: frame_alloc() succeeds n more times, then returns 0 as if memory
 * had run out, until frame_fail_after(-1) turns this off. */
void frame_fail_after(long n);

/* The struct frame of pa, or NULL if pa is beyond the array. */
static inline struct frame *frame_info(physaddr_t pa)
{
	size_t n = pa >> 12;
	return n < nframes ? &frames[n] : NULL;
}

#endif

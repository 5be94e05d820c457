/*
 * Kernel heap (lab 1): kmalloc/kfree for objects of any size. Memory comes
 * from the frame allocator and is mapped at KHEAP_BASE through the mapper.
 */
#ifndef OCHRE_HEAP_H
#define OCHRE_HEAP_H

#include "types.h"

void heap_init(void);
void *kmalloc(size_t size);	/* 16-byte aligned; NULL if size 0 or no memory */
void kfree(void *p);		/* NULL is fine; bad pointers are reported */
void *kzalloc(size_t size);	/* kmalloc + zero */

struct heap_stats {
	size_t live_allocs;	/* kmalloc'd and not yet kfree'd */
	size_t live_bytes;	/* bytes requested by those */
	size_t pages_mapped;	/* heap pages currently mapped */
};
void heap_get_stats(struct heap_stats *st);

#endif

/*
 * Lab 1, part 3: the kernel heap. HANDOUT.md §5.
 *
 * Every block starts with a 16-byte header, so kfree knows what it frees
 * and the pointer handed out stays 16-byte aligned:
 *
 *   small (header + size <= 2048): power-of-two size classes 32 .. 2048.
 *     Each class has a free list; an empty list is refilled by mapping one
 *     more heap page and cutting it into blocks. Small pages stay mapped.
 *   large: whole pages, mapped fresh at the heap's top and unmapped (frames
 *     returned) by kfree.
 *
 * Heap virtual addresses come from a bump pointer that never goes down:
 * KHEAP_SIZE is 512 GiB, far more than any lab will use.
 */
#include "kernel.h"
#include "frame.h"
#include "heap.h"
#include "mapper.h"
#include "memlayout.h"

#define HEADER_SIZE	16
#define MAGIC_USED	0x0c4e1a5dU
#define MAGIC_FREE	0xf4eeb10cU
#define MIN_SHIFT	5		/* 32-byte blocks */
#define MAX_SHIFT	11		/* 2048-byte blocks */
#define NCLASSES	(MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_CLASS	0xff

struct header {
	uint32_t magic;
	uint8_t class;		/* size class index, or LARGE_CLASS */
	uint8_t pad[3];
	uint32_t npages;	/* large blocks: pages mapped */
	uint32_t size;		/* bytes requested (for statistics) */
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "header size");

/* A free small block: the header stays, the link follows it. */
struct free_block {
	struct header h;
	struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];
static uintptr_t heap_top = KHEAP_BASE;	/* next unused heap address */
static struct heap_stats stats;

/* Given helper: map npages fresh frames at heap_top; returns their start. */
static void *heap_grow(size_t npages)
{
	struct flush fl = FLUSH_INIT;
	uintptr_t start = heap_top;
	if (npages > (KHEAP_BASE + KHEAP_SIZE - heap_top) / PAGE_SIZE)
		return NULL;
	for (size_t i = 0; i < npages; i++) {
		physaddr_t pa = frame_alloc();
		uintptr_t va = start + i * PAGE_SIZE;
		if (!pa || mapper_map(kernel_root, va, pa, PTE_W | PTE_NX, &fl)) {
			if (pa)
				frame_free(pa);
			/* Undo the pages mapped so far. */
			while (i-- > 0) {
				physaddr_t old;
				va = start + i * PAGE_SIZE;
				if (mapper_unmap(kernel_root, va, &old, &fl) == 0)
					frame_free(old);
			}
			flush_commit(&fl);
			return NULL;
		}
	}
	flush_commit(&fl);
	heap_top += npages * PAGE_SIZE;
	stats.pages_mapped += npages;
	return (void *)start;
}

/* Given helper: unmap npages at va and return their frames. */
static void heap_release(void *va, size_t npages)
{
	struct flush fl = FLUSH_INIT;
	for (size_t i = 0; i < npages; i++) {
		physaddr_t pa;
		uintptr_t page = (uintptr_t)va + i * PAGE_SIZE;
		if (mapper_unmap(kernel_root, page, &pa, &fl) == 0)
			frame_free(pa);
	}
	flush_commit(&fl);
	stats.pages_mapped -= npages;
}

void heap_init(void)
{
	memset(free_lists, 0, sizeof(free_lists));
}

/* BEGIN LAB1 SOLUTION: §5 kmalloc and kfree */

/* The smallest class whose blocks hold total bytes, or -1 if too big. */
static int class_for(size_t total)
{
	for (int c = 0; c < NCLASSES; c++)
		if (total <= (1UL << (MIN_SHIFT + c)))
			return c;
	return -1;
}

/* Cut one new page into blocks of class c and put them on its list. */
static bool refill(int c)
{
	size_t bsize = 1UL << (MIN_SHIFT + c);
	char *page = heap_grow(1);
	if (!page)
		return false;
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(page + off);
		b->h.magic = MAGIC_FREE;
		b->h.class = (uint8_t)c;
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return true;
}

static struct header *alloc_small(int c)
{
	if (!free_lists[c] && !refill(c))
		return NULL;
	struct free_block *b = free_lists[c];
	free_lists[c] = b->next;
	return &b->h;
}

static struct header *alloc_large(size_t total)
{
	size_t npages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
	struct header *h = heap_grow(npages);
	if (!h)
		return NULL;
	h->class = LARGE_CLASS;
	h->npages = (uint32_t)npages;
	return h;
}

/* END LAB1 SOLUTION */

void *kmalloc(size_t size)
{
	/* BEGIN LAB1 SOLUTION: §5 kmalloc */
	if (size == 0 || size > KHEAP_SIZE / 2)
		return NULL;
	size_t total = size + HEADER_SIZE;
	int c = class_for(total);
	struct header *h = c >= 0 ? alloc_small(c) : alloc_large(total);
	if (!h)
		return NULL;
	h->magic = MAGIC_USED;
	h->size = (uint32_t)MIN(size, (size_t)UINT32_MAX);
	stats.live_allocs++;
	stats.live_bytes += size;
	return (char *)h + HEADER_SIZE;
	/* END LAB1 SOLUTION */
	/* STARTER: return NULL; */
}

void kfree(void *p)
{
	/* BEGIN LAB1 SOLUTION: §5 kfree */
	if (!p)
		return;
	uintptr_t addr = (uintptr_t)p;
	struct header *h = (struct header *)(addr - HEADER_SIZE);
	/* The header's page may be gone (a large block freed twice). */
	if (addr < KHEAP_BASE + HEADER_SIZE || addr >= heap_top ||
	    !IS_ALIGNED(addr, 16) ||
	    mapper_translate(kernel_root, (uintptr_t)h, NULL, NULL) != 0) {
		printk("kfree: %p is not a live heap pointer\n", p);
		return;
	}
	if (h->magic == MAGIC_FREE) {
		printk("kfree: double free of %p\n", p);
		return;
	}
	if (h->magic != MAGIC_USED ||
	    (h->class != LARGE_CLASS && h->class >= NCLASSES)) {
		printk("kfree: %p has a corrupt header\n", p);
		return;
	}
	stats.live_allocs--;
	stats.live_bytes -= h->size;
	if (h->class == LARGE_CLASS) {
		h->magic = MAGIC_FREE;	/* gone after the unmap anyway */
		heap_release(h, h->npages);
		return;
	}
	struct free_block *b = (struct free_block *)h;
	b->h.magic = MAGIC_FREE;
	b->next = free_lists[h->class];
	free_lists[h->class] = b;
	/* END LAB1 SOLUTION */
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void heap_get_stats(struct heap_stats *st)
{
	*st = stats;
}

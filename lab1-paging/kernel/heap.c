/*
 * Lab 1, part 3: the kernel heap. HANDOUT.md §5.
 *
 * Every block starts with a 16-byte header, so kfree knows what it frees
 * and the pointer handed out stays 16-byte aligned:
 *
 *   small (header + size <= 2048): power-of-two size classes 32 .. 2048.
 *     Each class has a doubly linked free list; an empty list is refilled
 *     by mapping one more heap page and cutting it into blocks. The first
 *     block's header counts the page's blocks in use; when the last one is
 *     freed, the page's blocks leave the list and the page is unmapped.
 *   large: whole pages, mapped fresh and unmapped (frames returned) by
 *     kfree.
 *
 * Heap pages, small or large, come from a range of heap addresses: the
 * given heap_grow takes the lowest free run that fits (first fit) before
 * growing the heap's top, and heap_release gives the run back, merged with
 * its neighbours. So after any workload that ends, the heap's frames, its
 * page tables and its address range are what they were before.
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
#define MAX_HOLES	256		/* free runs of heap addresses below the top */

struct header {
	uint32_t magic;
	uint8_t class;		/* size class index, or LARGE_CLASS */
	uint8_t pad[3];
	uint32_t npages;	/* large: pages mapped; small: in the first block
				   of a page, the page's blocks in use */
	uint32_t size;		/* bytes requested (for statistics) */
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "header size");

/* A free small block: the header stays, the links follow it. */
struct free_block {
	struct header h;
	struct free_block *next, *prev;
};
_Static_assert(sizeof(struct free_block) <= (1 << MIN_SHIFT), "free block");

static struct free_block *free_lists[NCLASSES];
static uintptr_t heap_top = KHEAP_BASE;	/* above every heap page */
static struct heap_stats stats;

/* Free runs of heap addresses below heap_top, sorted, never adjacent. */
static struct hole {
	uintptr_t va;
	size_t npages;
} holes[MAX_HOLES];
static int nholes;

/* Given: npages of heap addresses, the lowest free run that fits. */
static uintptr_t va_take(size_t npages)
{
	for (int i = 0; i < nholes; i++) {
		if (holes[i].npages < npages)
			continue;
		uintptr_t va = holes[i].va;
		holes[i].va += npages * PAGE_SIZE;
		holes[i].npages -= npages;
		if (holes[i].npages == 0) {
			memmove(&holes[i], &holes[i + 1],
				(size_t)(nholes - i - 1) * sizeof(holes[0]));
			nholes--;
		}
		return va;
	}
	if (npages > (KHEAP_BASE + KHEAP_SIZE - heap_top) / PAGE_SIZE)
		return 0;
	uintptr_t va = heap_top;
	heap_top += npages * PAGE_SIZE;
	return va;
}

/* Given: gives a run back, merged with its neighbours; a run at the top
 * lowers the top instead. */
static void va_give(uintptr_t va, size_t npages)
{
	int i = 0;
	while (i < nholes && holes[i].va < va)
		i++;
	uintptr_t end = va + npages * PAGE_SIZE;
	bool left = i > 0 && holes[i - 1].va + holes[i - 1].npages * PAGE_SIZE == va;
	bool right = i < nholes && holes[i].va == end;
	if (left && right) {
		holes[i - 1].npages += npages + holes[i].npages;
		memmove(&holes[i], &holes[i + 1],
			(size_t)(nholes - i - 1) * sizeof(holes[0]));
		nholes--;
	} else if (left) {
		holes[i - 1].npages += npages;
	} else if (right) {
		holes[i].va = va;
		holes[i].npages += npages;
	} else if (nholes < MAX_HOLES) {
		memmove(&holes[i + 1], &holes[i],
			(size_t)(nholes - i) * sizeof(holes[0]));
		holes[i] = (struct hole){ va, npages };
		nholes++;
	} else {
		/* Too fragmented to remember: the addresses are lost (the
		 * frames are not), out of 512 GiB of them. */
		printk("heap: WARNING: %zu pages of heap addresses at %#lx "
		       "not reused\n", npages, va);
		return;
	}
	/* The topmost run goes back to the top. */
	if (nholes > 0 && holes[nholes - 1].va + holes[nholes - 1].npages *
	    PAGE_SIZE == heap_top) {
		heap_top = holes[nholes - 1].va;
		nholes--;
	}
}

/* Given helper: maps npages fresh frames at free heap addresses; returns
 * their start, or NULL. */
static void *heap_grow(size_t npages)
{
	struct flush fl = FLUSH_INIT;
	uintptr_t start = va_take(npages);
	if (!start)
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
			va_give(start, npages);
			return NULL;
		}
	}
	flush_commit(&fl);
	stats.pages_mapped += npages;
	return (void *)start;
}

/* Given helper: unmaps npages at va, returns their frames and addresses. */
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
	va_give((uintptr_t)va, npages);
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

static void list_push(int c, struct free_block *b)
{
	b->h.magic = MAGIC_FREE;
	b->prev = NULL;
	b->next = free_lists[c];
	if (b->next)
		b->next->prev = b;
	free_lists[c] = b;
}

static void list_remove(int c, struct free_block *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		free_lists[c] = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

/* The header counting the blocks in use of the page that holds h. */
static struct header *page_head(struct header *h)
{
	return (struct header *)ALIGN_DOWN((uintptr_t)h, PAGE_SIZE);
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
		b->h.class = (uint8_t)c;
		list_push(c, b);
	}
	((struct header *)page)->npages = 0;
	return true;
}

static struct header *alloc_small(int c)
{
	if (!free_lists[c] && !refill(c))
		return NULL;
	struct free_block *b = free_lists[c];
	list_remove(c, b);
	page_head(&b->h)->npages++;
	return &b->h;
}

/* A small block goes back on its list; an empty page goes back to the
 * frame allocator, its blocks off the list first. */
static void free_small(struct header *h)
{
	int c = h->class;
	list_push(c, (struct free_block *)h);
	struct header *head = page_head(h);
	if (--head->npages > 0)
		return;
	size_t bsize = 1UL << (MIN_SHIFT + c);
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize)
		list_remove(c, (struct free_block *)((char *)head + off));
	heap_release(head, 1);
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
	free_small(h);
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

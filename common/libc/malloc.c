/*
 * malloc for user programs: power-of-two size classes carved from 64 KiB
 * chunks obtained with mmap, and a direct mmap for anything larger. Each
 * block starts with a 16-byte header recording its class (or its mapped
 * size), so free() needs no size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HDR		16
#define MIN_SHIFT	5	/* 32 bytes */
#define MAX_SHIFT	12	/* 4 KiB */
#define NCLASS		(MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK		(64 * 1024)
#define BIG		0xffffffffu

struct hdr {
	uint32_t class;		/* class index, or BIG */
	uint32_t pad;
	uint64_t size;		/* BIG: bytes mapped */
};

static void *free_list[NCLASS];

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int refill(int c)
{
	size_t size = (size_t)1 << (MIN_SHIFT + c);
	char *chunk = map(CHUNK);
	if (!chunk)
		return -1;
	for (size_t off = 0; off + size <= CHUNK; off += size) {
		*(void **)(chunk + off) = free_list[c];
		free_list[c] = chunk + off;
	}
	return 0;
}

void *malloc(size_t n)
{
	if (n == 0)
		n = 1;
	if (n > ((size_t)1 << 46))
		return NULL;
	size_t total = n + HDR;
	for (int c = 0; c < NCLASS; c++) {
		if (total > ((size_t)1 << (MIN_SHIFT + c)))
			continue;
		if (!free_list[c] && refill(c) < 0)
			return NULL;
		struct hdr *h = free_list[c];
		free_list[c] = *(void **)h;
		h->class = (uint32_t)c;
		return (char *)h + HDR;
	}
	size_t len = (total + 4095) & ~(size_t)4095;
	struct hdr *h = map(len);
	if (!h)
		return NULL;
	h->class = BIG;
	h->size = len;
	return (char *)h + HDR;
}

void free(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	if (h->class == BIG) {
		munmap(h, h->size);
		return;
	}
	/* Read the class first: the free-list link overwrites the header. */
	uint32_t c = h->class;
	*(void **)h = free_list[c];
	free_list[c] = h;
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = malloc(n * size);
	return p ? memset(p, 0, n * size) : NULL;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	size_t old = h->class == BIG ? h->size - HDR
				     : ((size_t)1 << (MIN_SHIFT + h->class)) - HDR;
	if (n <= old)
		return p;
	void *q = malloc(n);
	if (q) {
		memcpy(q, p, old);
		free(p);
	}
	return q;
}

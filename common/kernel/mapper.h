/*
 * The page mapper (lab 1): maps, unmaps, translates and re-protects single
 * 4 KiB pages in a 4-level x86_64 page table, in the style of Redox's RMM.
 *
 * A page table is named by the physical address of its top-level table
 * (the PML4, what CR3 holds). Intermediate tables are created on demand and
 * freed again when their last entry goes away; their used-entry counts live
 * in struct frame (frame.h).
 *
 * All functions return 0 or a negative errno and never change anything on
 * error:
 *   -EINVAL  va not canonical, va/pa not page-aligned, unknown flags;
 *            unmap/protect: va inside a huge page the mapper did not make
 *   -EEXIST  map: va is already mapped (also by a huge page)
 *   -ENOENT  unmap/translate/protect: va is not mapped
 *   -ENOMEM  map: no frame for a new page table
 */
#ifndef OCHRE_MAPPER_H
#define OCHRE_MAPPER_H

#include "types.h"

typedef uint64_t pte_t;

#define PTE_P		(1UL << 0)	/* present */
#define PTE_W		(1UL << 1)	/* writable */
#define PTE_U		(1UL << 2)	/* user-accessible */
#define PTE_PWT		(1UL << 3)	/* write-through */
#define PTE_PCD		(1UL << 4)	/* cache disable */
#define PTE_A		(1UL << 5)	/* accessed (set by the CPU) */
#define PTE_D		(1UL << 6)	/* dirty (set by the CPU) */
#define PTE_PS		(1UL << 7)	/* huge page (in PD/PDPT entries) */
#define PTE_G		(1UL << 8)	/* global */
#define PTE_NX		(1UL << 63)	/* no execute */
#define PTE_ADDR_MASK	0x000ffffffffff000UL

/* Flags a caller may ask for; PTE_P is implied (and may be given). */
#define PTE_FLAGS_ALLOWED \
	(PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_NX)

#define PT_ENTRIES	512
#define PT_LEVELS	4

/* Index of va in the table at level (4 = PML4 ... 1 = PT). */
static inline unsigned pt_index(uintptr_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 0x1ff;
}

/*
 * The index of the first non-zero entry of t[i..end), or end. A walk over
 * a table uses it to skip the empty entries of a sparse table: `repe
 * scasq` compares them one word per iteration, which QEMU (like -icount)
 * counts as one instruction, where a C loop costs about five. (The mapper
 * clears an entry to 0 when it unmaps it, so "not zero" is "present".)
 */
static inline int pt_next_used(const pte_t *t, int i, int end)
{
	if (i >= end)
		return end;
	const pte_t *p = &t[i];
	unsigned long n = (unsigned long)(end - i);
	__asm__ volatile("repe scasq" : "+D"(p), "+c"(n) : "a"(0UL) : "cc", "memory");
	return p[-1] ? (int)(p - t) - 1 : end;
}

/*
 * Which entries of a table at level (covering from base, `entries` of
 * them) meet [lo, hi): returns the end index and sets *first, so that a
 * walk of a small range reads a few entries, not the whole table.
 */
static inline int pt_range(int level, uintptr_t base, uintptr_t lo,
			   uintptr_t hi, int entries, int *first)
{
	int shift = 12 + 9 * (level - 1);
	uintptr_t n = (uintptr_t)entries;
	*first = 0;
	if (hi <= base || hi <= lo)
		return 0;
	if (lo > base)
		*first = (int)(((lo - base) >> shift) < n ? (lo - base) >> shift : n);
	uintptr_t end = ((hi - base - 1) >> shift) + 1;
	return (int)(end < n ? end : n);
}

/* x86_64 addresses are 48 bits, sign-extended to 64. */
static inline bool va_is_canonical(uintptr_t va)
{
	return (uintptr_t)((int64_t)(va << 16) >> 16) == va;
}

/*
 * TLB flush batching (RMM's PageFlush / PageFlushAll). Changing or removing
 * a mapping must flush it from the TLB; one invlpg per page is cheap for a
 * few pages, but for many a single CR3 reload (flush all) is cheaper. The
 * mapper records pages in a struct flush; the caller commits once.
 */
#define FLUSH_MAX_PAGES	16

struct flush {
	int npages;
	bool all;
	uintptr_t pages[FLUSH_MAX_PAGES];
};

#define FLUSH_INIT	{ 0 }

void flush_page(struct flush *fl, uintptr_t va);
void flush_all(struct flush *fl);
void flush_commit(struct flush *fl);	/* does the flushes, empties fl */

/* Counters for tests and benchmarks. */
struct flush_stats {
	uint64_t invlpg;	/* single-page flushes done */
	uint64_t full;		/* CR3 reloads done */
};
extern struct flush_stats flush_stats;

int mapper_map(physaddr_t root, uintptr_t va, physaddr_t pa, uint64_t flags,
	       struct flush *fl);
int mapper_unmap(physaddr_t root, uintptr_t va, physaddr_t *pa_out,
		 struct flush *fl);
int mapper_translate(physaddr_t root, uintptr_t va, physaddr_t *pa_out,
		     uint64_t *flags_out);
int mapper_protect(physaddr_t root, uintptr_t va, uint64_t flags,
		   struct flush *fl);

/* kspace.c: the kernel's own page table. */
extern physaddr_t kernel_root;
void kspace_init(void);
physaddr_t mapper_new_root(void);	/* an empty PML4, or 0 */
void mapper_free_root(physaddr_t root);	/* the PML4 frame itself only */

#endif

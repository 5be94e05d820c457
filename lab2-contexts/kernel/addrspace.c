/*
 * Lab 2: address spaces. HANDOUT.md §5.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "frame.h"
#include "heap.h"
#include "mapper.h"
#include "memlayout.h"
#include "x86.h"

bool user_range_ok(uintptr_t va, size_t len)
{
	/* BEGIN LAB2 SOLUTION: §5.1 user_range_ok */
	return va <= USER_TOP && len <= USER_TOP - va;
	/* END LAB2 SOLUTION */
	/* STARTER: return false; */
}

struct addrspace *addrspace_create(void)
{
	struct addrspace *as = kzalloc(sizeof(*as));
	if (!as)
		return NULL;
	as->root = mapper_new_root();
	if (!as->root) {
		kfree(as);
		return NULL;
	}
	as->mmap_next = MMAP_BASE;
	return as;
}

/*
 * The one place where the CPU changes address space (lab 6 hooks exec
 * events here).
 */
void addrspace_switch(struct addrspace *as)
{
	write_cr3(as ? as->root : kernel_root);
}

/* BEGIN LAB2 SOLUTION: §5.2 walking the user half */

/*
 * Calls fn(va, pte, arg) for every present 4 KiB user page in [lo, hi), in
 * address order, skipping empty tables (so a walk over a terabyte of
 * nothing is quick). Stops at the first non-zero return and returns it.
 */
typedef int (*page_fn)(uintptr_t va, pte_t pte, void *arg);

static int walk_level(physaddr_t table, int level, uintptr_t base,
		      uintptr_t lo, uintptr_t hi, page_fn fn, void *arg)
{
	const pte_t *t = phys_to_virt(table);
	uintptr_t span = 1UL << (12 + 9 * (level - 1));
	int entries = level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES;	/* user half */
	int i, end = pt_range(level, base, lo, hi, entries, &i);
	/* The table's used count says when no present entry is left. */
	int left = frame_info(table)->pt_used;
	for (i = pt_next_used(t, i, end); i < end && left > 0;
	     i = pt_next_used(t, i + 1, end), left--) {
		uintptr_t va = base + (uintptr_t)i * span;
		if (!(t[i] & PTE_P))
			continue;
		int err = level == 1 ? fn(va, t[i], arg)
				     : walk_level(t[i] & PTE_ADDR_MASK, level - 1,
						  va, lo, hi, fn, arg);
		if (err)
			return err;
	}
	return 0;
}

static int walk_user_pages(struct addrspace *as, uintptr_t lo, uintptr_t hi,
			   page_fn fn, void *arg)
{
	return walk_level(as->root, PT_LEVELS, 0, lo, hi, fn, arg);
}

struct copy_args {
	struct addrspace *dst;
	struct flush *fl;
};

static int copy_page(uintptr_t va, pte_t pte, void *arg)
{
	struct copy_args *a = arg;
	if (frame_is_borrowed(pte & PTE_ADDR_MASK)) {	/* shared, never copied */
		int err = mapper_map(a->dst->root, va, pte & PTE_ADDR_MASK,
				     pte & (PTE_U | PTE_NX), a->fl);
		if (!err)
			a->dst->pages++;
		return err;
	}
	return addrspace_map_copy(a->dst, va, pte & PTE_ADDR_MASK,
				  pte & (PTE_W | PTE_NX));
}

/* Unmapping while walking would pull tables out from under the walk, so
 * collect a batch of pages first, unmap them, and walk again. */
#define UNMAP_BATCH	64
struct unmap_batch {
	uintptr_t va[UNMAP_BATCH];
	int n;
};

static int collect_page(uintptr_t va, pte_t pte, void *arg)
{
	struct unmap_batch *b = arg;
	b->va[b->n++] = va;
	return b->n == UNMAP_BATCH ? 1 : 0;	/* 1: batch full, stop */
}

static void unmap_range(struct addrspace *as, uintptr_t lo, uintptr_t hi,
			struct flush *fl)
{
	struct unmap_batch b;
	do {
		b.n = 0;
		walk_user_pages(as, lo, hi, collect_page, &b);
		for (int i = 0; i < b.n; i++) {
			physaddr_t pa;
			if (mapper_unmap(as->root, b.va[i], &pa, fl) == 0) {
				if (!frame_is_borrowed(pa))
					frame_free(pa);
				as->pages--;
			}
		}
		if (b.n > 0)
			lo = b.va[b.n - 1] + PAGE_SIZE;
		if (b.n == UNMAP_BATCH)
			preempt_point();	/* more to come: long work */
	} while (b.n == UNMAP_BATCH);
}

static int count_page(uintptr_t va, pte_t pte, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

struct protect_args {
	struct addrspace *as;
	uint64_t flags;
	struct flush *fl;
};

static int protect_page(uintptr_t va, pte_t pte, void *arg)
{
	struct protect_args *a = arg;
	if ((a->flags & PTE_W) && frame_is_borrowed(pte & PTE_ADDR_MASK))
		return -EACCES;		/* borrowed frames stay read-only */
	return mapper_protect(a->as->root, va, a->flags, a->fl);
}

/* END LAB2 SOLUTION */

int addrspace_map_copy(struct addrspace *as, uintptr_t va, physaddr_t src,
		       uint64_t pte_flags)
{
	/* BEGIN LAB2 SOLUTION: §5.3 addrspace_map_copy */
	/* Every byte is overwritten at once: no need to zero the frame. */
	physaddr_t pa = frame_alloc_dirty();
	if (!pa)
		return -ENOMEM;
	memcpy(phys_to_virt(pa), phys_to_virt(src), PAGE_SIZE);
	struct flush fl = FLUSH_INIT;	/* a new mapping: nothing to flush */
	int err = mapper_map(as->root, va, pa, pte_flags | PTE_U, &fl);
	if (err) {
		frame_free(pa);
		return err;
	}
	as->pages++;
	return 0;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

int addrspace_copy(struct addrspace *dst, struct addrspace *src)
{
	/* BEGIN LAB2 SOLUTION: §5.3 addrspace_copy */
	struct flush fl = FLUSH_INIT;
	struct copy_args a = { dst, &fl };
	int err = walk_user_pages(src, 0, USER_TOP, copy_page, &a);
	dst->mmap_next = src->mmap_next;
	/* dst is not loaded anywhere: nothing to flush */
	return err;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

void addrspace_destroy(struct addrspace *as)
{
	if (!as)
		return;
	/* BEGIN LAB2 SOLUTION: §5.4 addrspace_destroy */
	struct flush fl = FLUSH_INIT;
	unmap_range(as, 0, USER_TOP, &fl);
	flush_commit(&fl);
	/* END LAB2 SOLUTION */
	mapper_free_root(as->root);
	kfree(as);
}

int addrspace_map_anon(struct addrspace *as, uintptr_t va, size_t len,
		       uint64_t pte_flags)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) ||
	    len == 0 || va < USER_MIN || !user_range_ok(va, len))
		return -EINVAL;
	/* BEGIN LAB2 SOLUTION: §5.5 addrspace_map_anon */
	size_t npages = len / PAGE_SIZE;
	if (npages > frame_free_count())
		return -ENOMEM;		/* fail at once, not after draining memory */
	for (size_t i = 0; i < npages; i++)
		if (mapper_translate(as->root, va + i * PAGE_SIZE, NULL, NULL) == 0)
			return -EEXIST;
	struct flush fl = FLUSH_INIT;
	for (size_t i = 0; i < npages; i++) {
		if (i && i % PREEMPT_PAGES == 0)
			preempt_point();	/* frames are zeroed: long work */
		physaddr_t pa = frame_alloc();
		int err = pa ? mapper_map(as->root, va + i * PAGE_SIZE, pa,
					  pte_flags | PTE_U, &fl)
			     : -ENOMEM;
		if (err) {
			if (pa)
				frame_free(pa);
			addrspace_unmap(as, va, i * PAGE_SIZE);
			return err;
		}
		as->pages++;
	}
	return 0;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

int addrspace_unmap(struct addrspace *as, uintptr_t va, size_t len)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !user_range_ok(va, len))
		return -EINVAL;
	/* BEGIN LAB2 SOLUTION: §5.5 addrspace_unmap */
	struct flush fl = FLUSH_INIT;
	unmap_range(as, va, va + len, &fl);
	flush_commit(&fl);
	return 0;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

int addrspace_protect(struct addrspace *as, uintptr_t va, size_t len,
		      uint64_t pte_flags)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !user_range_ok(va, len))
		return -EINVAL;
	/* BEGIN LAB2 SOLUTION: §5.5 addrspace_protect */
	size_t mapped = 0;
	walk_user_pages(as, va, va + len, count_page, &mapped);
	if (mapped != len / PAGE_SIZE)
		return -ENOMEM;		/* a hole: change nothing (like Linux) */
	struct flush fl = FLUSH_INIT;
	struct protect_args a = { as, pte_flags | PTE_U, &fl };
	int err = walk_user_pages(as, va, va + len, protect_page, &a);
	flush_commit(&fl);
	return err;
	/* END LAB2 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* Given: used to load the bootstrap image and build the first stack. */
int addrspace_write(struct addrspace *as, uintptr_t va, const void *src,
		    size_t len)
{
	const uint8_t *s = src;
	while (len > 0) {
		physaddr_t pa;
		if (mapper_translate(as->root, va, &pa, NULL) != 0)
			return -EFAULT;
		size_t n = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		memcpy(phys_to_virt(pa), s, n);
		va += n;
		s += n;
		len -= n;
	}
	return 0;
}

/*
 * Lab 1, part 2: the page mapper. HANDOUT.md §4.
 *
 * x86_64 translates a virtual address through four tables:
 *
 *   PML4 (level 4) -> PDPT (level 3) -> PD (level 2) -> PT (level 1) -> page
 *
 * Each level uses 9 bits of the address as an index (pt_index()). We only
 * make 4 KiB pages (entries in a PT); huge pages made by boot.asm are left
 * alone. Intermediate tables are created when a map needs them and freed
 * when their used-entry count (struct frame.pt_used) drops to zero.
 */
#include "kernel.h"
#include "frame.h"
#include "mapper.h"
#include "memlayout.h"
#include "x86.h"

struct flush_stats flush_stats;

/* Given helper: a table's entries, through the physical-memory map. */
static pte_t *table_of(physaddr_t pa)
{
	return phys_to_virt(pa);
}

/* Given helper: the used-entry count of the table at pa. */
static uint16_t *used_count(physaddr_t table)
{
	return &frame_info(table)->pt_used;
}

/* BEGIN LAB1 SOLUTION: §4.2 walking and creating tables */

/* Bits we put in entries that point to tables: the leaf decides access. */
#define TABLE_FLAGS	(PTE_P | PTE_W | PTE_U)

static void free_empty_tables(physaddr_t root, uintptr_t va);

/*
 * Finds the page table (level 1) that holds va's entry and stores its
 * physical address in *pt_out. With create, makes missing tables on the
 * way. Returns 0, -ENOENT (a table is missing), -ENOMEM, or -EINVAL (a huge
 * page is in the way).
 */
static int walk_to_pt(physaddr_t root, uintptr_t va, bool create,
		      physaddr_t *pt_out)
{
	physaddr_t table = root;
	for (int level = PT_LEVELS; level > 1; level--) {
		pte_t *e = &table_of(table)[pt_index(va, level)];
		if (*e & PTE_P) {
			if (*e & PTE_PS)
				return -EINVAL;
			table = *e & PTE_ADDR_MASK;
			continue;
		}
		if (!create)
			return -ENOENT;
		physaddr_t fresh = frame_alloc();
		if (!fresh) {
			free_empty_tables(root, va);	/* undo our new tables */
			return -ENOMEM;
		}
		*e = fresh | TABLE_FLAGS;
		(*used_count(table))++;
		table = fresh;
	}
	*pt_out = table;
	return 0;
}

/*
 * Kernel-half PDPTs are shared by all address spaces (kspace.c) and must
 * outlive any one of them; every other table goes when it is empty.
 */
static bool table_is_pinned(uintptr_t va, int level)
{
	return level == 3 && va >= KERNEL_HALF;
}

/*
 * After clearing an entry on va's path (or failing to finish a map): free
 * every table on the path that is now empty, bottom up, clearing its entry
 * in the parent. The path may stop early (a map that ran out of memory).
 * The root (level 4) is never freed here.
 */
static void free_empty_tables(physaddr_t root, uintptr_t va)
{
	physaddr_t path[PT_LEVELS + 1] = { 0 };	/* path[level] = table */
	int deepest = PT_LEVELS;
	path[PT_LEVELS] = root;
	while (deepest > 1) {
		pte_t e = table_of(path[deepest])[pt_index(va, deepest)];
		if (!(e & PTE_P) || (e & PTE_PS))
			break;
		path[deepest - 1] = e & PTE_ADDR_MASK;
		deepest--;
	}
	for (int level = deepest; level < PT_LEVELS; level++) {
		physaddr_t table = path[level];
		if (*used_count(table) != 0 || table_is_pinned(va, level))
			return;
		table_of(path[level + 1])[pt_index(va, level + 1)] = 0;
		(*used_count(path[level + 1]))--;
		frame_free(table);
	}
}

/* END LAB1 SOLUTION */

static int check_va(uintptr_t va)
{
	if (!va_is_canonical(va) || !IS_ALIGNED(va, PAGE_SIZE))
		return -EINVAL;
	return 0;
}

int mapper_map(physaddr_t root, uintptr_t va, physaddr_t pa, uint64_t flags,
	       struct flush *fl)
{
	if (check_va(va) || !IS_ALIGNED(pa, PAGE_SIZE) ||
	    (pa & ~PTE_ADDR_MASK) || (flags & ~PTE_FLAGS_ALLOWED))
		return -EINVAL;
	/* BEGIN LAB1 SOLUTION: §4.3 mapper_map */
	physaddr_t pt;
	/* One walk. A huge page in the way (-EINVAL from the walk) maps va
	 * already. A present entry can only sit in tables that existed, so
	 * refusing it leaves no new tables behind. */
	int err = walk_to_pt(root, va, true, &pt);
	if (err)
		return err == -EINVAL ? -EEXIST : err;
	pte_t *e = &table_of(pt)[pt_index(va, 1)];
	if (*e & PTE_P)
		return -EEXIST;
	*e = pa | flags | PTE_P;
	(*used_count(pt))++;
	/* A not-present entry is never cached in the TLB: no flush needed. */
	(void)fl;
	return 0;
	/* END LAB1 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

int mapper_unmap(physaddr_t root, uintptr_t va, physaddr_t *pa_out,
		 struct flush *fl)
{
	if (check_va(va))
		return -EINVAL;
	/* BEGIN LAB1 SOLUTION: §4.4 mapper_unmap */
	physaddr_t pt;
	int err = walk_to_pt(root, va, false, &pt);
	if (err)
		return err;
	pte_t *e = &table_of(pt)[pt_index(va, 1)];
	if (!(*e & PTE_P))
		return -ENOENT;
	if (pa_out)
		*pa_out = *e & PTE_ADDR_MASK;
	*e = 0;
	(*used_count(pt))--;
	if (*used_count(pt) == 0) {	/* the PT is empty: free up the path */
		free_empty_tables(root, va);
	}
	flush_page(fl, va);
	return 0;
	/* END LAB1 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

int mapper_translate(physaddr_t root, uintptr_t va, physaddr_t *pa_out,
		     uint64_t *flags_out)
{
	if (!va_is_canonical(va))
		return -EINVAL;
	/* BEGIN LAB1 SOLUTION: §4.1 mapper_translate */
	physaddr_t table = root;
	for (int level = PT_LEVELS; level >= 1; level--) {
		pte_t e = table_of(table)[pt_index(va, level)];
		if (!(e & PTE_P))
			return -ENOENT;
		if (level == 1 || (e & PTE_PS)) {
			/* Leaf: a 4 KiB, 2 MiB or 1 GiB page. */
			uint64_t size = 1UL << (12 + 9 * (level - 1));
			if (pa_out)
				*pa_out = (e & PTE_ADDR_MASK & ~(size - 1)) +
					  (va & (size - 1));
			if (flags_out)
				*flags_out = e & PTE_FLAGS_ALLOWED;
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -ENOENT;
	/* END LAB1 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

int mapper_protect(physaddr_t root, uintptr_t va, uint64_t flags,
		   struct flush *fl)
{
	if (check_va(va) || (flags & ~PTE_FLAGS_ALLOWED))
		return -EINVAL;
	/* BEGIN LAB1 SOLUTION: §4.5 mapper_protect */
	physaddr_t pt;
	int err = walk_to_pt(root, va, false, &pt);
	if (err)
		return err;
	pte_t *e = &table_of(pt)[pt_index(va, 1)];
	if (!(*e & PTE_P))
		return -ENOENT;
	/* Keep the frame, accessed/dirty and the OS-available bits. */
	*e = (*e & ~PTE_FLAGS_ALLOWED) | flags | PTE_P;
	flush_page(fl, va);
	return 0;
	/* END LAB1 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

void flush_page(struct flush *fl, uintptr_t va)
{
	/* BEGIN LAB1 SOLUTION: §4.6 flush batching */
	if (fl->all)
		return;
	if (fl->npages == FLUSH_MAX_PAGES) {
		fl->all = true;		/* too many: one full flush is cheaper */
		return;
	}
	fl->pages[fl->npages++] = va;
	/* END LAB1 SOLUTION */
}

void flush_all(struct flush *fl)
{
	fl->all = true;
}

void flush_commit(struct flush *fl)
{
	/* BEGIN LAB1 SOLUTION: §4.6 flush batching */
	if (fl->all) {
		write_cr3(read_cr3());
		flush_stats.full++;
	} else {
		for (int i = 0; i < fl->npages; i++)
			invlpg(fl->pages[i]);
		flush_stats.invlpg += fl->npages;
	}
	/* END LAB1 SOLUTION */
	fl->npages = 0;
	fl->all = false;
}

/*
 * Host test driver for lab1-paging/kernel/mapper.c, built with ASan and
 * UBSan by grader/host/test_mapper.py:
 *
 *   cc -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
 *      -I grader/host/shim -I common/kernel -I common/include \
 *      lab1-paging/kernel/mapper.c grader/host/mapper_host.c -o mapper_host
 *   ./mapper_host [SEED [OPS]]
 *
 * The shims make "physical memory" a host buffer (shim/memlayout.h) and the
 * TLB instructions counters (shim/x86.h). This file plays the rest of the
 * kernel: a frame allocator over that buffer, an address space laid out like
 * kspace.c's (every kernel-half PML4 slot has a pinned PDPT, and slot 256
 * holds boot-style 1 GiB and 2 MiB pages), and a reference model of what
 * should be mapped. Then it storms the mapper and checks, by walking the
 * tables itself (never through the mapper):
 *
 *   - every mapping in the tables is one the model has, with its frame and
 *     flags, and every mapping of the model is in the tables;
 *   - every table's pt_used equals its number of present entries (the
 *     root's count is never used, so it is not checked);
 *   - no table is reachable twice, or reachable after it was freed;
 *   - no table other than the root and the pinned PDPTs is empty: empty
 *     tables are freed, and only those;
 *   - frames in use == tables reachable from the root (data frames are
 *     made-up addresses that are not in the buffer's allocator);
 *   - errors (-EINVAL, -EEXIST, -ENOENT) change nothing, and a map that
 *     runs out of frames part-way (frame_alloc failure injected after k
 *     allocations) returns -ENOMEM and leaves no table behind;
 *   - unmap and protect record their page in the struct flush, and
 *     flush_commit() does n invlpg for n <= FLUSH_MAX_PAGES pages, else one
 *     CR3 reload.
 *
 * Freed frames are filled with a pattern and poisoned for ASan, and reused
 * last (FIFO), so a mapper that keeps using a table it freed (Redox's
 * 2022 bug) gets an ASan report on its first access.
 *
 * Prints a summary; exits 0 if every check passed, 1 at the first failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "frame.h"
#include "mapper.h"
#include "memlayout.h"		/* grader/host/shim/memlayout.h */
#include "x86.h"		/* grader/host/shim/x86.h */

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#else
#define ASAN_POISON_MEMORY_REGION(a, n)		((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n)	((void)(a), (void)(n))
#endif

/* ---- what the kernel would provide ------------------------------------- */

#define RAM_SIZE	(64UL << 20)

unsigned char *host_ram;
size_t host_ram_size;
struct host_cpu host_cpu;
struct frame *frames;
size_t nframes;
physaddr_t kernel_root;

static unsigned long long seed;
static long op_no;
static const char *phase = "setup";

static void __noreturn fail(const char *fmt, ...) __printf(1, 2);

static void __noreturn fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "mapper_host: FAIL (seed %llu, phase %s, op %ld): ",
		seed, phase, op_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
#ifdef HAVE_ASAN
	__sanitizer_print_stack_trace();
#endif
	fflush(stderr);
	_exit(1);	/* no leak report on top of the real failure */
}

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (!(cond))                                             \
			fail(__VA_ARGS__);                               \
	} while (0)

#define CHECK_EQ(got, want, what)                                        \
	do {                                                             \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (g_ != w_)                                            \
			fail("%s: got %lld (%#llx), expected %lld (%#llx)", \
			     what, g_, (unsigned long long)g_, w_,       \
			     (unsigned long long)w_);                    \
	} while (0)

void host_bad_phys(physaddr_t pa, const char *why)
{
	fail("%s: %#lx (RAM is %#lx..%#lx)", why, pa, HOST_RAM_BASE,
	     HOST_RAM_BASE + host_ram_size);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vprintk(const char *fmt, va_list ap)
{
	return vprintf(fmt, ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fail("the mapper called panic()");
}

/* ---- frame allocator over host_ram -------------------------------------- */

/*
 * Free frames wait in a FIFO ring, so a frame the mapper frees is handed
 * out again as late as possible and stays poisoned in between.
 */
static uint32_t *ring;
static size_t ring_head, ring_len, ring_cap;
static size_t nusable;
static long alloc_budget = -1;	/* >= 0: allocations left before failing */
static size_t allocs, frees, injected_failures;

static unsigned char *frame_bytes(physaddr_t pa)
{
	return host_ram + (pa - HOST_RAM_BASE);
}

static size_t frames_in_use(void)
{
	return nusable - ring_len;
}

static void ring_push(size_t n)
{
	CHECK(ring_len < ring_cap, "free ring overflow");
	ring[(ring_head + ring_len++) % ring_cap] = (uint32_t)n;
}

static void ram_init(void)
{
	host_ram_size = RAM_SIZE;
	host_ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
	CHECK(host_ram, "no memory for the host RAM buffer");
	nframes = (HOST_RAM_BASE + RAM_SIZE) >> PAGE_SHIFT;
	frames = calloc(nframes, sizeof(*frames));
	ring_cap = RAM_SIZE / PAGE_SIZE;
	ring = calloc(ring_cap, sizeof(*ring));
	CHECK(frames && ring, "no memory for the frame table");
	for (size_t n = HOST_RAM_BASE >> PAGE_SHIFT; n < nframes; n++) {
		frames[n].flags = FRAME_USABLE | FRAME_FREE;
		frames[n].next_free = FRAME_NONE;
		ring_push(n);
		nusable++;
	}
	memset(host_ram, 0xdb, RAM_SIZE);
	ASAN_POISON_MEMORY_REGION(host_ram, RAM_SIZE);
}

static void ram_fini(void)
{
	ASAN_UNPOISON_MEMORY_REGION(host_ram, RAM_SIZE);
	free(host_ram);
	free(frames);
	free(ring);
}

/* The kernel's frame_alloc(): a zeroed frame with pt_used reset, or 0. */
physaddr_t frame_alloc(void)
{
	if (alloc_budget == 0) {
		injected_failures++;
		return 0;
	}
	if (ring_len == 0)
		return 0;
	if (alloc_budget > 0)
		alloc_budget--;
	size_t n = ring[ring_head];
	ring_head = (ring_head + 1) % ring_cap;
	ring_len--;
	struct frame *f = &frames[n];
	CHECK(f->flags == (FRAME_USABLE | FRAME_FREE),
	      "allocator: frame %zu on the free ring is not free", n);
	f->flags = FRAME_USABLE;
	f->pt_used = 0;
	physaddr_t pa = (physaddr_t)n << PAGE_SHIFT;
	ASAN_UNPOISON_MEMORY_REGION(frame_bytes(pa), PAGE_SIZE);
	memset(frame_bytes(pa), 0, PAGE_SIZE);
	allocs++;
	return pa;
}

static void release(physaddr_t pa)
{
	frames[pa >> PAGE_SHIFT].flags |= FRAME_FREE;
	memset(frame_bytes(pa), 0xdb, PAGE_SIZE);
	ASAN_POISON_MEMORY_REGION(frame_bytes(pa), PAGE_SIZE);
	ring_push(pa >> PAGE_SHIFT);
}

/*
 * The mapper frees nothing but page tables it made, and only empty ones:
 * anything else is a bug in the mapper, reported here where it happens.
 */
int frame_free(physaddr_t pa)
{
	struct frame *f = frame_info(pa);
	CHECK(IS_ALIGNED(pa, PAGE_SIZE) && f && (f->flags & FRAME_USABLE),
	      "the mapper freed %#lx, which is not a frame of RAM (a data "
	      "frame? the mapper must never free those)", pa);
	CHECK(!(f->flags & FRAME_FREE), "the mapper freed table %#lx twice", pa);
	CHECK(f->pt_used == 0, "the mapper freed table %#lx whose pt_used is %u",
	      pa, f->pt_used);
	const pte_t *t = (const pte_t *)frame_bytes(pa);
	for (int i = 0; i < PT_ENTRIES; i++)
		CHECK(t[i] == 0, "the mapper freed table %#lx but its entry %d "
		      "is still %#lx", pa, i, t[i]);
	release(pa);
	frees++;
	return 0;
}

/* ---- random numbers ----------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: any seed, including 0, gives a good sequence */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* ---- the address space -------------------------------------------------- */

/* Slot 256 (PHYS_OFFSET) holds boot-style huge pages over [0, 3 GiB). */
#define HUGE_BASE	PHYS_OFFSET
#define HUGE_SIZE	(3UL << 30)

static physaddr_t root;
static size_t baseline_in_use;	/* root + pinned PDPTs + the huge-page PD */

static pte_t *table(physaddr_t pa)
{
	return (pte_t *)frame_bytes(pa);
}

static void space_init(void)
{
	root = frame_alloc();
	kernel_root = root;
	host_cpu.cr3 = root;
	for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
		physaddr_t pdpt = frame_alloc();
		table(root)[i] = pdpt | PTE_P | PTE_W;
	}
	frames[root >> PAGE_SHIFT].pt_used = PT_ENTRIES / 2;

	/* Like boot.asm: 1 GiB pages at PDPT 0 and 1, 2 MiB pages in PDPT 2. */
	physaddr_t pdpt = table(root)[pt_index(HUGE_BASE, 4)] & PTE_ADDR_MASK;
	table(pdpt)[0] = (0UL << 30) | PTE_P | PTE_W | PTE_PS;
	table(pdpt)[1] = (1UL << 30) | PTE_P | PTE_W | PTE_PS | PTE_G;
	physaddr_t pd = frame_alloc();
	table(pdpt)[2] = pd | PTE_P | PTE_W;
	for (int i = 0; i < PT_ENTRIES; i++)
		table(pd)[i] = ((2UL << 30) + ((uint64_t)i << 21)) | PTE_P |
			       PTE_W | PTE_PS | PTE_NX;
	frames[pdpt >> PAGE_SHIFT].pt_used = 3;
	frames[pd >> PAGE_SHIFT].pt_used = PT_ENTRIES;
	baseline_in_use = frames_in_use();
}

static void space_fini(void)
{
	CHECK_EQ(frames_in_use(), baseline_in_use, "frames in use at the end");
	physaddr_t pdpt = table(root)[pt_index(HUGE_BASE, 4)] & PTE_ADDR_MASK;
	release(table(pdpt)[2] & PTE_ADDR_MASK);
	for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		release(table(root)[i] & PTE_ADDR_MASK);
	release(root);
}

static bool pinned(uintptr_t va, int level)
{
	return level == 3 && va >= KERNEL_HALF;
}

static uintptr_t sign_extend(uintptr_t va)
{
	return (uintptr_t)((int64_t)(va << 16) >> 16);
}

/* ---- the reference model -------------------------------------------------- */

#define POOL_MAX	4096
#define HASH_SIZE	16384

struct slot {
	uintptr_t va;
	bool mapped;
	physaddr_t pa;
	uint64_t flags;		/* as translate reports them: with PTE_P */
};

static struct slot pool[POOL_MAX];
static int npool, nmapped;
static int hash[HASH_SIZE];	/* pool index + 1, 0 = empty */

static unsigned hash_of(uintptr_t va)
{
	return (unsigned)(((va >> 12) * 0x9e3779b97f4a7c15ULL) >> 50) % HASH_SIZE;
}

static int pool_find(uintptr_t va)
{
	for (unsigned h = hash_of(va);; h = (h + 1) % HASH_SIZE) {
		if (!hash[h])
			return -1;
		if (pool[hash[h] - 1].va == va)
			return hash[h] - 1;
	}
}

static bool in_huge(uintptr_t va)
{
	return va >= HUGE_BASE && va < HUGE_BASE + HUGE_SIZE;
}

static void pool_add(uintptr_t va)
{
	va = sign_extend(va & ~(PAGE_SIZE - 1));
	if (npool == POOL_MAX || in_huge(va) || pool_find(va) >= 0)
		return;
	pool[npool] = (struct slot){ .va = va };
	unsigned h = hash_of(va);
	while (hash[h])
		h = (h + 1) % HASH_SIZE;
	hash[h] = ++npool;
}

static void pool_add_run(uintptr_t start, int pages)
{
	for (int i = 0; i < pages; i++)
		pool_add(start + (uintptr_t)i * PAGE_SIZE);
}

/*
 * Addresses that share tables (dense runs across every kind of table
 * boundary) and addresses that share nothing (scattered over both halves).
 */
static void pool_init(void)
{
	pool_add(0);					/* va 0 is a page too */
	pool_add_run(PAGE_SIZE, 8);
	pool_add_run((1UL << 21) - 8 * PAGE_SIZE, 16);	/* PT boundary */
	pool_add_run((1UL << 30) - 8 * PAGE_SIZE, 16);	/* PD boundary */
	pool_add_run((1UL << 39) - 300 * PAGE_SIZE, 600); /* PDPT, PML4 */
	pool_add_run(USER_TOP - 8 * PAGE_SIZE, 8);	/* last user pages */
	pool_add_run(KERNEL_HALF + HUGE_SIZE, 8);	/* beside huge pages */
	pool_add_run(KERNEL_HALF + (5UL << 30), 4);
	pool_add_run(KHEAP_BASE, 40);
	pool_add_run(KTEST_BASE + 500 * PAGE_SIZE, 30);
	pool_add_run(0xffffffffffe00000UL - 8 * PAGE_SIZE, 16);
	pool_add_run(0xfffffffffffff000UL - 7 * PAGE_SIZE, 8); /* the last */
	while (npool < 2600) {
		uint64_t r = rnd();
		uintptr_t va = r & 0x7ffffffff000UL;
		if (r & 1)
			va &= 0x00000007fffff000UL;	/* within 32 GiB */
		if (r & 2)
			va &= 0x000000000ffff000UL;	/* within 256 MiB */
		if ((r & 0x1c) == 0x1c)
			va |= KERNEL_HALF;
		pool_add(va);
	}
}

static physaddr_t random_pa(void)
{
	uint64_t r = rnd();
	switch (r & 3) {
	case 0:		/* anywhere a PTE can point */
		return (r >> 2) & PTE_ADDR_MASK;
	case 1:		/* a frame of the test's RAM (aliases are fine) */
		return HOST_RAM_BASE + ((r >> 2) % (RAM_SIZE / PAGE_SIZE)) * PAGE_SIZE;
	default:	/* ordinary RAM below 4 GiB */
		return (r >> 2) & 0xfffff000UL;
	}
}

static uint64_t random_flags(void)
{
	static const uint64_t bits[] = { PTE_W, PTE_U, PTE_PWT, PTE_PCD,
					 PTE_G, PTE_NX, PTE_P };
	uint64_t r = rnd(), flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		if (r & (1UL << i))
			flags |= bits[i];
	return flags;
}

/* ---- checking the tables ourselves ---------------------------------------- */

static uint8_t *visited;
static size_t nchecks, ntables_max;

struct walk_totals {
	size_t tables, leaves4k, huge_leaves;
};

static void check_table(physaddr_t pa, int level, uintptr_t base,
			struct walk_totals *w)
{
	struct frame *f = frame_info(pa);
	CHECK(pa >= HOST_RAM_BASE && f && (f->flags & FRAME_USABLE),
	      "level-%d table for va %#lx is at %#lx, which is not RAM", level,
	      base, pa);
	CHECK(!(f->flags & FRAME_FREE),
	      "level-%d table %#lx for va %#lx is reachable but was freed "
	      "(use after free)", level, pa, base);
	CHECK(!visited[pa >> PAGE_SHIFT],
	      "table %#lx is reachable twice (again as level %d for va %#lx)",
	      pa, level, base);
	visited[pa >> PAGE_SHIFT] = 1;
	w->tables++;

	const pte_t *t = table(pa);
	int present = 0;
	int shift = 12 + 9 * (level - 1);
	for (int i = 0; i < PT_ENTRIES; i++) {
		pte_t e = t[i];
		if (!(e & PTE_P)) {
			CHECK(e == 0, "level-%d table %#lx: entry %d is not present "
			      "but not zero either (%#lx)", level, pa, i, e);
			continue;
		}
		present++;
		uintptr_t va = sign_extend(base | ((uintptr_t)i << shift));
		if (level > 1 && (e & PTE_PS)) {
			CHECK(in_huge(va), "a huge page at va %#lx (entry %#lx): "
			      "the mapper makes only 4 KiB pages", va, e);
			w->huge_leaves++;
			continue;
		}
		if (level == 1) {
			int s = pool_find(va);
			CHECK(s >= 0 && pool[s].mapped, "va %#lx is mapped (PTE "
			      "%#lx) but was never mapped, or was unmapped", va, e);
			CHECK((e & PTE_ADDR_MASK) == pool[s].pa &&
			      (e & PTE_FLAGS_ALLOWED) == pool[s].flags,
			      "va %#lx: PTE %#lx, expected frame %#lx flags %#lx",
			      va, e, pool[s].pa, pool[s].flags);
			w->leaves4k++;
			continue;
		}
		/* A pointer to a table: it must not restrict the leaves. */
		CHECK((e & PTE_W) && !(e & PTE_NX) &&
		      ((e & PTE_U) || va >= KERNEL_HALF),
		      "level-%d entry for va %#lx is %#lx: a table entry must be "
		      "writable, executable and (below KERNEL_HALF) user, so that "
		      "the leaf alone decides", level, va, e);
		check_table(e & PTE_ADDR_MASK, level - 1, va, w);
	}
	/* The root is never freed, so its count is never used: not checked. */
	CHECK(level == 4 || f->pt_used == present,
	      "level-%d table %#lx (va %#lx): pt_used is %u but %d entries are "
	      "present", level, pa, base, f->pt_used, present);
	CHECK(present > 0 || level == 4 || pinned(base, level),
	      "level-%d table %#lx (va %#lx) is empty but was not freed", level,
	      pa, base);
}

static void check_all(void)
{
	struct walk_totals w = { 0 };
	memset(visited, 0, nframes);
	check_table(root, 4, 0, &w);
	for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		CHECK(table(root)[i] & PTE_P,
		      "the pinned kernel-half PDPT of PML4 slot %d was freed", i);
	CHECK_EQ(w.huge_leaves, 2 + PT_ENTRIES, "boot-style huge pages present");
	CHECK_EQ(w.leaves4k, nmapped, "4 KiB pages mapped (tables vs model)");
	if (w.tables != frames_in_use())
		fail("%zu frames in use but only %zu tables are reachable: %zd "
		     "frames leaked (tables not freed, or freed and not "
		     "unlinked)", frames_in_use(), w.tables,
		     (ssize_t)(frames_in_use() - w.tables));
	ntables_max = MAX(ntables_max, w.tables);
	nchecks++;
}

/* What the tables say about va, found without the mapper. */
static bool ref_lookup(uintptr_t va, physaddr_t *pa, uint64_t *flags)
{
	physaddr_t t = root;
	for (int level = 4; level >= 1; level--) {
		struct frame *f = frame_info(t);
		CHECK(t >= HOST_RAM_BASE && f && (f->flags & FRAME_USABLE),
		      "the level-%d table on the path of va %#lx is at %#lx, "
		      "which is not RAM", level, va, t);
		CHECK(!(f->flags & FRAME_FREE), "the level-%d table on the path "
		      "of va %#lx (%#lx) was freed but is still linked in (use "
		      "after free)", level, va, t);
		pte_t e = table(t)[pt_index(va, level)];
		if (!(e & PTE_P))
			return false;
		if (level == 1 || (e & PTE_PS)) {
			uint64_t size = 1UL << (12 + 9 * (level - 1));
			*pa = (e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
			*flags = e & PTE_FLAGS_ALLOWED;
			return true;
		}
		t = e & PTE_ADDR_MASK;
	}
	return false;
}

/* The slot's mapping agrees in the tables, the mapper and the model. */
static void check_slot(int s)
{
	struct slot *sl = &pool[s];
	physaddr_t pa = 0, tpa = 0;
	uint64_t flags = 0, tflags = 0;
	uintptr_t off = rnd_below(PAGE_SIZE);
	bool there = ref_lookup(sl->va, &pa, &flags);
	int err = mapper_translate(root, sl->va + off, &tpa, &tflags);
	if (!sl->mapped) {
		CHECK(!there, "va %#lx is in the tables after unmap", sl->va);
		CHECK_EQ(err, -ENOENT, "translate of an unmapped page");
		return;
	}
	CHECK(there, "va %#lx was mapped but is not in the tables", sl->va);
	CHECK(pa == sl->pa && flags == sl->flags, "va %#lx maps %#lx flags "
	      "%#lx, expected %#lx flags %#lx", sl->va, pa, flags, sl->pa,
	      sl->flags);
	CHECK_EQ(err, 0, "translate of a mapped page");
	CHECK_EQ(tpa, sl->pa + off, "translate: physical address");
	CHECK_EQ(tflags, sl->flags, "translate: flags");
}

/* ---- operations ------------------------------------------------------------ */

static struct {
	size_t maps, unmaps, protects, translates, eexist, enoent, einval,
		enomem, batches;
} st;

static bool flush_has(const struct flush *fl, uintptr_t va)
{
	if (fl->all)
		return true;
	for (int i = 0; i < fl->npages; i++)
		if (fl->pages[i] == va)
			return true;
	return false;
}

/* Commits fl and checks that it flushed the way it said it would. */
static void commit(struct flush *fl)
{
	CHECK(fl->npages >= 0 && fl->npages <= FLUSH_MAX_PAGES,
	      "struct flush holds %d pages", fl->npages);
	struct host_cpu before = host_cpu;
	struct flush_stats sbefore = flush_stats;
	bool all = fl->all;
	int n = fl->npages;
	flush_commit(fl);
	uint64_t single = host_cpu.invlpg_calls - before.invlpg_calls;
	uint64_t full = host_cpu.cr3_writes - before.cr3_writes;
	if (all) {
		CHECK(single == 0 && full == 1, "flush_commit of a full flush: "
		      "%lu invlpg, %lu CR3 reloads", single, full);
		CHECK_EQ(host_cpu.cr3, before.cr3, "CR3 after a full flush");
	} else {
		CHECK(single == (uint64_t)n && full == 0, "flush_commit of %d "
		      "pages: %lu invlpg, %lu CR3 reloads", n, single, full);
	}
	CHECK_EQ(flush_stats.invlpg - sbefore.invlpg, single, "flush_stats.invlpg");
	CHECK_EQ(flush_stats.full - sbefore.full, full, "flush_stats.full");
	CHECK(fl->npages == 0 && !fl->all, "flush_commit left the batch non-empty");
}

static void do_map(int s, bool inject)
{
	struct slot *sl = &pool[s];
	struct flush fl = FLUSH_INIT;
	physaddr_t pa = random_pa();
	uint64_t flags = random_flags();
	size_t before = frames_in_use();
	if (inject)
		alloc_budget = (long)rnd_below(3);
	int err = mapper_map(root, sl->va, pa, flags, &fl);
	alloc_budget = -1;
	if (inject && err == -ENOMEM) {
		st.enomem++;
		CHECK_EQ(frames_in_use(), before,
			 "frames in use after a map failed with -ENOMEM");
		check_slot(s);
		commit(&fl);
		return;
	}
	CHECK_EQ(err, 0, "mapper_map of an unmapped page");
	sl->mapped = true;
	sl->pa = pa;
	sl->flags = flags | PTE_P;
	nmapped++;
	st.maps++;
	check_slot(s);
	commit(&fl);
}

static void do_unmap(int s)
{
	struct slot *sl = &pool[s];
	struct flush fl = FLUSH_INIT;
	physaddr_t out = 0;
	int err = mapper_unmap(root, sl->va, rnd() & 1 ? &out : NULL, &fl);
	CHECK_EQ(err, 0, "mapper_unmap of a mapped page");
	if (out)
		CHECK_EQ(out, sl->pa, "mapper_unmap: the frame returned");
	CHECK(flush_has(&fl, sl->va), "mapper_unmap(%#lx) did not ask for a "
	      "TLB flush of that page", sl->va);
	sl->mapped = false;
	nmapped--;
	st.unmaps++;
	check_slot(s);
	commit(&fl);
}

static void do_protect(int s)
{
	struct slot *sl = &pool[s];
	struct flush fl = FLUSH_INIT;
	uint64_t flags = random_flags();
	size_t before = frames_in_use();
	CHECK_EQ(mapper_protect(root, sl->va, flags, &fl), 0,
		 "mapper_protect of a mapped page");
	CHECK(flush_has(&fl, sl->va), "mapper_protect(%#lx) did not ask for a "
	      "TLB flush of that page", sl->va);
	CHECK_EQ(frames_in_use(), before, "frames in use after protect");
	sl->flags = flags | PTE_P;
	st.protects++;
	check_slot(s);
	commit(&fl);
}

/* Requests that must fail with err and change nothing at all. */
static void expect_error(int got, int want, const char *what, uintptr_t va)
{
	if (got != want)
		fail("%s (va %#lx): got %d, expected %d", what, va, got, want);
	if (want == -EINVAL)
		st.einval++;
	else if (want == -EEXIST)
		st.eexist++;
	else if (want == -ENOENT)
		st.enoent++;
}

static void probe_errors(int s)
{
	struct slot *sl = &pool[s];
	struct flush fl = FLUSH_INIT;
	size_t before = frames_in_use();
	physaddr_t out = 0x5a5a5000;
	uint64_t oflags = 0;
	physaddr_t pa = random_pa();

	if (sl->mapped) {
		expect_error(mapper_map(root, sl->va, pa, PTE_W, &fl), -EEXIST,
			     "map of a mapped page", sl->va);
	} else {
		expect_error(mapper_unmap(root, sl->va, &out, &fl), -ENOENT,
			     "unmap of an unmapped page", sl->va);
		expect_error(mapper_protect(root, sl->va, PTE_W, &fl), -ENOENT,
			     "protect of an unmapped page", sl->va);
		expect_error(mapper_translate(root, sl->va, &out, &oflags),
			     -ENOENT, "translate of an unmapped page", sl->va);
	}
	/* Misaligned addresses and frames, frames beyond 52 bits. */
	uintptr_t odd = sl->va + 1 + rnd_below(PAGE_SIZE - 1);
	expect_error(mapper_map(root, odd, pa, 0, &fl), -EINVAL,
		     "map of a misaligned va", odd);
	expect_error(mapper_unmap(root, odd, &out, &fl), -EINVAL,
		     "unmap of a misaligned va", odd);
	expect_error(mapper_protect(root, odd, 0, &fl), -EINVAL,
		     "protect of a misaligned va", odd);
	expect_error(mapper_map(root, sl->va, pa | (1 + rnd_below(PAGE_SIZE - 1)),
				0, &fl), -EINVAL, "map of a misaligned frame",
		     sl->va);
	expect_error(mapper_map(root, sl->va, pa | (1UL << (52 + rnd_below(12))),
				0, &fl), -EINVAL, "map of a frame beyond 52 bits",
		     sl->va);
	/* Non-canonical: bits 63..48 are not copies of bit 47. */
	uintptr_t nc = sl->va ^ (1UL << (48 + rnd_below(16)));
	expect_error(mapper_map(root, nc, pa, 0, &fl), -EINVAL,
		     "map of a non-canonical va", nc);
	expect_error(mapper_unmap(root, nc, &out, &fl), -EINVAL,
		     "unmap of a non-canonical va", nc);
	expect_error(mapper_protect(root, nc, 0, &fl), -EINVAL,
		     "protect of a non-canonical va", nc);
	expect_error(mapper_translate(root, nc, &out, &oflags), -EINVAL,
		     "translate of a non-canonical va", nc);
	/* Flags a caller may not ask for. */
	static const uint64_t bad[] = { PTE_A, PTE_D, PTE_PS, 1UL << 9,
					1UL << 10, 1UL << 11, 1UL << 12,
					1UL << 52, 1UL << 62 };
	uint64_t b = bad[rnd_below(ARRAY_SIZE(bad))] | random_flags();
	if (!sl->mapped)
		expect_error(mapper_map(root, sl->va, pa, b, &fl), -EINVAL,
			     "map with a flag outside PTE_FLAGS_ALLOWED", sl->va);
	expect_error(mapper_protect(root, sl->va, b, &fl), -EINVAL,
		     sl->mapped ? "protect with a flag outside PTE_FLAGS_ALLOWED"
				: "protect of an unmapped page with bad flags",
		     sl->va);
	CHECK(out == 0x5a5a5000 && oflags == 0,
	      "a failing call wrote to its output arguments");
	CHECK_EQ(frames_in_use(), before, "frames in use after failed calls");
	CHECK(fl.npages == 0 && !fl.all, "a failing call asked for a TLB flush");
	check_slot(s);
}

/* Boot-style huge pages: translate sees through them, nobody changes them. */
static void probe_huge(void)
{
	struct flush fl = FLUSH_INIT;
	size_t before = frames_in_use();
	uintptr_t va = HUGE_BASE + rnd_below(HUGE_SIZE / PAGE_SIZE) * PAGE_SIZE;
	uintptr_t off = rnd_below(PAGE_SIZE);
	physaddr_t out = 0;
	uint64_t flags = 0;

	CHECK_EQ(mapper_translate(root, va + off, &out, &flags), 0,
		 "translate inside a boot huge page");
	CHECK_EQ(out, va + off - HUGE_BASE, "translate inside a huge page: pa");
	CHECK(flags & PTE_P && flags & PTE_W && !(flags & PTE_PS),
	      "translate inside a huge page: flags %#lx", flags);
	expect_error(mapper_map(root, va, random_pa(), PTE_W, &fl), -EEXIST,
		     "map inside a boot huge page", va);
	expect_error(mapper_unmap(root, va, &out, &fl), -EINVAL,
		     "unmap inside a boot huge page", va);
	expect_error(mapper_protect(root, va, PTE_W, &fl), -EINVAL,
		     "protect inside a boot huge page", va);
	CHECK_EQ(frames_in_use(), before, "frames in use after huge-page probes");
	CHECK(fl.npages == 0 && !fl.all, "a failing call asked for a TLB flush");
}

/* ---- scenarios ---------------------------------------------------------------- */

/*
 * A map that needs `need` new tables, with frame_alloc failing after k < need
 * allocations: -ENOMEM, and every table made on the way is gone again.
 */
static void enomem_case(uintptr_t va, int need)
{
	struct flush fl = FLUSH_INIT;
	size_t before = frames_in_use();
	for (int k = 0; k < need; k++) {
		alloc_budget = k;
		int err = mapper_map(root, va, random_pa(), PTE_W, &fl);
		alloc_budget = -1;
		if (err != -ENOMEM)
			fail("map of %#lx with frame_alloc failing after %d of "
			     "the %d tables it needs: got %d, expected -ENOMEM",
			     va, k, need, err);
		physaddr_t pa;
		uint64_t flags;
		CHECK(!ref_lookup(va, &pa, &flags), "va %#lx is in the tables "
		      "after -ENOMEM", va);
		check_all();	/* first: it says which table is wrong */
		CHECK_EQ(frames_in_use(), before,
			 "frames in use after a map failed with -ENOMEM "
			 "(tables made on the way must be freed)");
		st.enomem++;
	}
	/* With enough frames it works and takes exactly `need` of them. */
	physaddr_t pa = random_pa();
	CHECK_EQ(mapper_map(root, va, pa, PTE_W, &fl), 0, "map after -ENOMEM");
	CHECK_EQ(frames_in_use(), before + need, "tables made by one map");
	int s = pool_find(va);
	if (s >= 0) {
		pool[s].mapped = true;
		pool[s].pa = pa;
		pool[s].flags = PTE_W | PTE_P;
		nmapped++;
		return;
	}
	CHECK_EQ(mapper_unmap(root, va, NULL, &fl), 0, "unmap after -ENOMEM");
	check_all();
	CHECK_EQ(frames_in_use(), before, "frames in use after unmap");
	commit(&fl);
}

static void scenario_enomem(void)
{
	phase = "enomem";
	/* Fresh user PML4 slot: PDPT, PD and PT. */
	enomem_case(0x0000500000000000UL, 3);
	/* Kernel half: the PDPT is pinned, so PD and PT. */
	enomem_case(KTEST_BASE + (7UL << 30), 2);
	/* Next to a mapping: the shared tables must survive the failure. */
	CHECK(!pool[0].mapped && pool[0].va == 0, "pool[0] should be va 0");
	enomem_case(0, 3);				/* now mapped */
	enomem_case(1UL << 30, 2);			/* same PDPT */
	enomem_case(1UL << 21, 1);			/* same PD */
	check_all();
}

/* Unmapping n pages into one batch: n invlpg, or one CR3 reload. */
static void scenario_batching(void)
{
	phase = "batching";
	int first = pool_find((1UL << 39) - 300 * PAGE_SIZE);
	CHECK(first >= 0, "dense run not in the pool");
	static const int sizes[] = { 1, 2, FLUSH_MAX_PAGES - 1, FLUSH_MAX_PAGES,
				     FLUSH_MAX_PAGES + 1, 3 * FLUSH_MAX_PAGES };
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		int n = sizes[k];
		for (int i = 0; i < n; i++)
			if (!pool[first + i].mapped)
				do_map(first + i, false);
		struct flush fl = FLUSH_INIT;
		for (int i = 0; i < n; i++) {
			CHECK_EQ(mapper_unmap(root, pool[first + i].va, NULL, &fl),
				 0, "batched unmap");
			pool[first + i].mapped = false;
			nmapped--;
		}
		if (n <= FLUSH_MAX_PAGES) {
			CHECK(!fl.all && fl.npages == n, "%d unmaps in one batch: "
			      "npages %d all %d, expected %d pages", n, fl.npages,
			      fl.all, n);
			for (int i = 0; i < n; i++)
				CHECK(fl.pages[i] == pool[first + i].va,
				      "batch page %d is %#lx, expected %#lx", i,
				      fl.pages[i], pool[first + i].va);
		} else {
			CHECK(fl.all, "%d unmaps in one batch (more than "
			      "FLUSH_MAX_PAGES) should become a full flush", n);
		}
		commit(&fl);
		st.batches++;
		check_all();
	}
	/* flush_all() wins over pages recorded before or after it. */
	struct flush fl = FLUSH_INIT;
	flush_page(&fl, 0x1000);
	flush_all(&fl);
	flush_page(&fl, 0x2000);
	CHECK(fl.all, "flush_all() then flush_page(): not a full flush");
	commit(&fl);
}

/* Random operations on random slots. */
static void scenario_storm(long ops)
{
	phase = "storm";
	for (long i = 0; i < ops; i++, op_no++) {
		int s = (int)rnd_below((uint64_t)npool);
		unsigned r = (unsigned)rnd_below(100);
		if (r < 4)
			probe_errors(s);
		else if (r < 5)
			probe_huge();
		else if (!pool[s].mapped)
			do_map(s, r < 12);
		else if (r < 20)
			do_protect(s);
		else
			do_unmap(s);
		if (op_no % 101 == 0)
			check_all();
	}
	check_all();
}

/* Map everything, then unmap everything in a random order. */
static void scenario_fill_drain(void)
{
	int order[POOL_MAX];
	phase = "fill";
	for (int i = 0; i < npool; i++)
		order[i] = i;
	for (int round = 0; round < 2; round++) {
		for (int i = npool - 1; i > 0; i--) {
			int j = (int)rnd_below((uint64_t)i + 1);
			int t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		phase = "fill";
		for (int i = 0; i < npool; i++, op_no++)
			if (!pool[order[i]].mapped)
				do_map(order[i], false);
		check_all();
		for (int i = npool - 1; i > 0; i--) {
			int j = (int)rnd_below((uint64_t)i + 1);
			int t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		phase = "drain";
		for (int i = 0; i < npool; i++, op_no++) {
			do_unmap(order[i]);
			if (i % 257 == 0)
				check_all();
		}
		check_all();
		CHECK_EQ(nmapped, 0, "pages mapped after the drain");
		CHECK_EQ(frames_in_use(), baseline_in_use,
			 "frames in use after unmapping everything");
		for (int i = 0; i < PT_ENTRIES / 2; i++)
			CHECK(table(root)[i] == 0, "after unmapping everything, "
			      "PML4 entry %d is still %#lx", i, table(root)[i]);
	}
}

int main(int argc, char **argv)
{
	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	long ops = argc > 2 ? strtol(argv[2], NULL, 0) : 30000;
	rng_state = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);

	ram_init();
	visited = calloc(nframes, 1);
	CHECK(visited, "no memory");
	space_init();
	pool_init();
	check_all();

	scenario_enomem();
	scenario_batching();
	scenario_storm(ops);
	scenario_fill_drain();
	scenario_storm(ops / 3);
	scenario_fill_drain();
	phase = "end";
	space_fini();

	printf("mapper_host: seed %llu: %zu maps, %zu unmaps, %zu protects; "
	       "errors checked: %zu EINVAL, %zu EEXIST, %zu ENOENT, %zu ENOMEM "
	       "(%zu injected allocation failures); %zu flush batches; "
	       "%zu full table checks, up to %zu tables; %zu frames allocated, "
	       "%zu freed by the mapper\n", seed, st.maps, st.unmaps,
	       st.protects, st.einval, st.eexist, st.enoent, st.enomem,
	       injected_failures, st.batches, nchecks, ntables_max, allocs,
	       frees);
	printf("mapper_host: PASS\n");
	free(visited);
	ram_fini();
	return 0;
}

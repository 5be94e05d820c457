/*
 * The address-space primitives do exactly what was asked at the edges of
 * their range [lo, hi): the page at hi (and the one below lo) is never
 * touched. Each case builds a child from scratch whose code reads or
 * writes one byte at an address we choose and exits, so the child's
 * memory speaks for itself: the byte's value, or SIGSEGV.
 */
#include "embryo.h"

#define P	4096UL
#define LO	0x40001000UL
#define HI	(LO + 2 * P)

/* Runs blob with rdi = arg in the embryo pid (whose as fd is as), and
 * returns the child's waitpid status. */
static int run(long pid, int as, int ctl, const unsigned char *blob,
	       size_t len, uint64_t arg)
{
	embryo_load_blob(as, blob, len);
	CHECK_EQ(close(as), 0);
	embryo_start_blob(pid, arg);
	CHECK_EQ(close(ctl), 0);
	return child_status(pid);
}

static long fresh(int *ctl, int *as)
{
	long pid = embryo_new(ctl, O_CLOEXEC | O_CLOFORK);
	*as = embryo_open(pid, "addrspace", O_WRONLY);
	CHECK(*as >= 0);
	return pid;
}

/* What a child sees reading the byte at va after setup(as). */
static int read_after(void (*setup)(int as), uint64_t va)
{
	int ctl, as;
	long pid = fresh(&ctl, &as);
	setup(as);
	return run(pid, as, ctl, BLOB_READ_BYTE, sizeof(BLOB_READ_BYTE), va);
}

static int write_after(void (*setup)(int as), uint64_t va)
{
	int ctl, as;
	long pid = fresh(&ctl, &as);
	setup(as);
	return run(pid, as, ctl, BLOB_WRITE_BYTE, sizeof(BLOB_WRITE_BYTE), va);
}

static void op_ok(int as, uint32_t op, uint32_t prot, uint64_t va,
		  uint64_t len, const void *buf)
{
	CHECK(as_do(as, op, prot, va, len, buf) > 0);
}

static void copy_lo_hi(int as)
{
	op_ok(as, AS_COPY, 0, LO, HI - LO, NULL);
}

static void map_lo_hi(int as)
{
	op_ok(as, AS_MAP, PROT_READ | PROT_WRITE, LO, HI - LO, NULL);
}

/* Maps [LO - P, HI + P), then unmaps [LO, HI). */
static void unmap_lo_hi(int as)
{
	op_ok(as, AS_MAP, PROT_READ | PROT_WRITE, LO - P, HI - LO + 2 * P, NULL);
	op_ok(as, AS_UNMAP, 0, LO, HI - LO, NULL);
}

/* Maps [LO - P, HI + P) writable, then makes [LO, HI) read-only. */
static void protect_lo_hi(int as)
{
	op_ok(as, AS_MAP, PROT_READ | PROT_WRITE, LO - P, HI - LO + 2 * P, NULL);
	op_ok(as, AS_PROTECT, PROT_READ, LO, HI - LO, NULL);
}

/* Maps [LO, HI + P) and writes 0x77 to [LO + 5, HI - 3). */
static void write_lo_hi(int as)
{
	static unsigned char sevens[2 * P];
	memset(sevens, 0x77, sizeof(sevens));
	op_ok(as, AS_MAP, PROT_READ | PROT_WRITE, LO, HI - LO + P, NULL);
	op_ok(as, AS_WRITE, 0, LO + 5, HI - 3 - (LO + 5), sevens);
}

#define SEGV	W_SIGNALED(SIGSEGV)
#define BYTE(b)	W_EXITCODE(b)

static void expect(const char *what, int got, int want)
{
	if (got != want) {
		printf("asedges: FAIL %s: child status %#x, expected %#x "
		       "(%#x means it read byte 0x%02x; %#x is SIGSEGV)\n",
		       what, got, want, got, WEXITSTATUS(got), SEGV);
		exit(1);
	}
}

int main(void)
{
	utest_begin("asedges");
	/* Our pages at [LO - P, HI + P), so AS_COPY has something on both
	 * sides of its range. */
	CHECK_EQ((uintptr_t)mmap((void *)(LO - P), 4 * P, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		 LO - P);
	for (int i = 0; i < 4; i++)
		memset((char *)(LO - P) + i * P, 0x11 * (i + 1), P);

	expect("AS_COPY [lo, hi): byte at lo", read_after(copy_lo_hi, LO), BYTE(0x22));
	expect("AS_COPY [lo, hi): last byte below hi",
	       read_after(copy_lo_hi, HI - 1), BYTE(0x33));
	expect("AS_COPY [lo, hi): the page at hi must not be copied",
	       read_after(copy_lo_hi, HI), SEGV);
	expect("AS_COPY [lo, hi): the page below lo must not be copied",
	       read_after(copy_lo_hi, LO - 1), SEGV);
	printf("asedges: AS_COPY\n");

	expect("AS_MAP [lo, hi): last byte below hi", read_after(map_lo_hi, HI - 1), BYTE(0));
	expect("AS_MAP [lo, hi): the page at hi must stay unmapped",
	       read_after(map_lo_hi, HI), SEGV);
	expect("AS_MAP [lo, hi): the page below lo must stay unmapped",
	       read_after(map_lo_hi, LO - 1), SEGV);
	printf("asedges: AS_MAP\n");

	expect("AS_UNMAP [lo, hi): the page at hi must stay mapped",
	       read_after(unmap_lo_hi, HI), BYTE(0));
	expect("AS_UNMAP [lo, hi): the page below lo must stay mapped",
	       read_after(unmap_lo_hi, LO - 1), BYTE(0));
	expect("AS_UNMAP [lo, hi): last page below hi must be gone",
	       read_after(unmap_lo_hi, HI - 1), SEGV);
	expect("AS_UNMAP [lo, hi): first page must be gone",
	       read_after(unmap_lo_hi, LO), SEGV);
	printf("asedges: AS_UNMAP\n");

	expect("AS_PROTECT [lo, hi): the page at hi must stay writable",
	       write_after(protect_lo_hi, HI), BYTE(0));
	expect("AS_PROTECT [lo, hi): the page below lo must stay writable",
	       write_after(protect_lo_hi, LO - 1), BYTE(0));
	expect("AS_PROTECT [lo, hi): last page below hi must be read-only",
	       write_after(protect_lo_hi, HI - 1), SEGV);
	expect("AS_PROTECT [lo, hi): first page must be read-only",
	       write_after(protect_lo_hi, LO), SEGV);
	printf("asedges: AS_PROTECT\n");

	expect("AS_WRITE: byte before the range untouched",
	       read_after(write_lo_hi, LO + 4), BYTE(0));
	expect("AS_WRITE: first byte written", read_after(write_lo_hi, LO + 5),
	       BYTE(0x77));
	expect("AS_WRITE: last byte written", read_after(write_lo_hi, HI - 4),
	       BYTE(0x77));
	expect("AS_WRITE: byte at the end of the range untouched",
	       read_after(write_lo_hi, HI - 3), BYTE(0));
	printf("asedges: AS_WRITE\n");
	utest_ok();
}

/* The ktest runner; see ktest.h. */
#include "kernel.h"
#include "ktest.h"
#include "cmdline.h"
#include "errname.h"
#include "fmt.h"

extern const struct ktest __ktests_start[], __ktests_end[];

CMDLINE_OPTION(ktest, "ktest", "run in-kernel test NAME, or 'all', then exit");
CMDLINE_OPTION(seed, "seed", "seed for the tests' random numbers");

static const struct ktest *current;
static bool failed;
static uint64_t rand_state;

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (failed)		/* report the first failure only */
		return;
	failed = true;
	printk("KTEST %s: FAIL %s:%d: ", current ? current->name : "?", file,
	       line);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
}

/* "15751 (0x3d87)", or "-2 (0xfffffffffffffffe, -ENOENT)" for an errno. */
static const char *eq_value(char *buf, size_t size, long long v)
{
	const char *name = v < 0 && v > -4096 ? errno_name((int)-v) : "E?";
	if (name[1] == '?')
		snprintf(buf, size, "%lld (%#llx)", v, v);
	else
		snprintf(buf, size, "%lld (%#llx, -%s)", v, v, name);
	return buf;
}

void ktest_fail_eq(const char *file, int line, const char *a, const char *b,
		   long long got, long long want)
{
	char g[64], w[64];
	ktest_fail(file, line, "%s == %s: got %s, expected %s", a, b,
		   eq_value(g, sizeof(g), got), eq_value(w, sizeof(w), want));
}

/* xorshift64: deterministic, so a failing run can be replayed. */
uint64_t ktest_rand(void)
{
	uint64_t x = rand_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rand_state = x;
}

static bool run_one(const struct ktest *t)
{
	current = t;
	failed = false;
	t->fn();
	if (!failed)
		printk("KTEST %s: PASS\n", t->name);
	current = NULL;
	return !failed;
}

static void __noreturn not_found(const char *which)
{
	printk("KTEST %s: NOT FOUND; available:", which);
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		printk(" %s", t->name);
	printk("\n");
	qemu_exit(EXIT_USAGE);
}

/* ktest=all leaves out the tests that end the kernel (e.g. a page fault);
 * say which, so nobody believes they ran. */
static void list_by_name_only(void)
{
	bool any = false;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (!t->only_by_name)
			continue;
		printk(any ? " %s" : "ktest: not in 'all', run by name only: %s", t->name);
		any = true;
	}
	if (any)
		printk("\n");
}

void ktest_main(const char *which)
{
	int passed = 0, total = 0;
	rand_state = cmdline_get_u64("seed", 0x9e3779b97f4a7c15UL) | 1;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		bool all = strcmp(which, "all") == 0;
		if (all ? t->only_by_name : strcmp(which, t->name) != 0)
			continue;
		total++;
		passed += run_one(t);
	}
	if (total == 0)
		not_found(which);
	if (strcmp(which, "all") == 0)
		list_by_name_only();
	printk("KTEST done: %d passed, %d failed\n", passed, total - passed);
	qemu_exit(passed == total ? EXIT_OK : EXIT_TEST_FAILED);
}

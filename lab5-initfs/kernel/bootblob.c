/*
 * Lab 5: handing the initfs to bootstrap. HANDOUT.md §1.
 *
 * The kernel no longer reads the initfs. It maps GRUB's "initfs" module
 * into the first process, read-only and not executable, at INITFS_VA (far
 * from page 0, so a NULL pointer never reads the image), and tells
 * bootstrap where it is through the auxiliary vector of an ordinary System
 * V stack:
 *
 *   argv  = { "bootstrap" }
 *   envp  = the command-line words that contain '=' (init=/bin/x, ...)
 *   auxv  = AT_PAGESZ, AT_OCHRE_INITFS_ADDR, AT_OCHRE_INITFS_SIZE,
 *           AT_OCHRE_CWD ("initfs:/"), AT_NULL
 *
 * The module's frames are *borrowed* (the allocator never owned them,
 * addrspace.h): fork shares them instead of copying, and unmapping never
 * frees them. Replaces lab 2's bootstrap.c; the image loader and the start
 * of the first context are lab 2's bootimage.c.
 */
#include "kernel.h"
#include "addrspace.h"
#include "bootimage.h"
#include "cmdline.h"
#include "context.h"
#include "mapper.h"
#include "memlayout.h"
#include "seam.h"
#include <ochre/auxv.h>

#define INITFS_VA	0x0000010000000000UL	/* 1 TiB: below MMAP_BASE */
#define BOOT_CWD	"initfs:/"

CMDLINE_OPTION(init, "init", "the program bootstrap execs (default: /bin/init)");
CMDLINE_OPTION(initfs_corrupt, "initfs_corrupt",
	       "flip the byte at this offset of the initfs image (tests)");

/* Fault injection for the grader: damage the image before mapping it. */
static void maybe_corrupt(const struct boot_module *m)
{
	if (!cmdline_get("initfs_corrupt"))
		return;
	uint64_t off = cmdline_get_u64("initfs_corrupt", 0);
	if (off < m->end - m->start) {
		((uint8_t *)phys_to_virt(m->start))[off] ^= 0xff;
		printk("initfs: corrupted byte %#lx on request\n", off);
	}
}

/*
 * The bytes after the module in its last page are not the module's. GRUB
 * puts nothing else there (modules start on page boundaries), but we clear
 * them rather than show a process whatever they hold.
 */
static void clear_tail(const struct boot_module *m)
{
	physaddr_t end = ALIGN_UP(m->end, PAGE_SIZE);
	for (int i = 0; i < boot_info.nmodules; i++) {
		const struct boot_module *o = &boot_info.modules[i];
		if (o != m && o->start < end && o->end > m->end)
			return;		/* shared with another module: leave it */
	}
	memset(phys_to_virt(m->end), 0, end - m->end);
}

static int map_initfs(struct addrspace *as, const struct boot_module *m)
{
	/* BEGIN LAB5 SOLUTION: §1 map the initfs */
	size_t len = ALIGN_UP(m->end, PAGE_SIZE) - m->start;
	if (!IS_ALIGNED(m->start, PAGE_SIZE))
		return -EINVAL;		/* would expose the bytes before it */
	struct flush fl = FLUSH_INIT;	/* as is not loaded: nothing to flush */
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		int err = mapper_map(as->root, INITFS_VA + off, m->start + off,
				     PTE_U | PTE_NX, &fl);
		if (err) {
			addrspace_unmap(as, INITFS_VA, off);
			return err;
		}
		as->pages++;
	}
	return 0;
	/* END LAB5 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* The initial stack, built in a kernel buffer and copied out once. */
struct stack {
	uint64_t words[64];	/* argc, argv, envp, auxv */
	int nwords;
	char strings[1024];	/* the strings, copied to the top */
	size_t nstrings;
	uintptr_t strings_va;	/* where strings[0] lands */
};

/* Adds a string; returns its user address, or 0 if out of room. */
static uintptr_t push_string(struct stack *s, const char *str)
{
	size_t n = strlen(str) + 1;
	if (s->nstrings + n > sizeof(s->strings))
		return 0;
	memcpy(s->strings + s->nstrings, str, n);
	s->nstrings += n;
	return s->strings_va + s->nstrings - n;
}

static int push_word(struct stack *s, uint64_t w)
{
	if (s->nwords == (int)ARRAY_SIZE(s->words))
		return -E2BIG;
	s->words[s->nwords++] = w;
	return 0;
}

/* envp: every command-line word with a '=' (init=..., and the like). */
static int push_env(struct stack *s)
{
	char line[512];
	strlcpy(line, cmdline_text(), sizeof(line));
	for (char *p = line; *p;) {
		while (*p == ' ')
			p++;
		char *word = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		if (!strchr(word, '='))
			continue;
		/* Room for the auxv stays; a command line with more words
		 * than fit loses the rest, it does not stop the boot. */
		uintptr_t va = s->nwords < (int)ARRAY_SIZE(s->words) - 16
			     ? push_string(s, word) : 0;
		if (!va) {
			printk("bootstrap: environment full, '%s' and later "
			       "words left out\n", word);
			break;
		}
		push_word(s, va);
	}
	return push_word(s, 0);
}

static int build_stack(struct addrspace *as, const struct boot_module *initfs,
		       uint64_t *rsp)
{
	static struct stack s;	/* boot runs once, on a small stack */
	int err = bootimage_map_stack(as);
	if (err)
		return err;
	memset(&s, 0, sizeof(s));
	s.strings_va = USER_STACK_TOP - sizeof(s.strings);
	uintptr_t argv0 = push_string(&s, "bootstrap");
	uintptr_t cwd = push_string(&s, BOOT_CWD);
	err = push_word(&s, 1);			/* argc */
	err = err ?: push_word(&s, argv0);
	err = err ?: push_word(&s, 0);
	err = err ?: push_env(&s);
	/* BEGIN LAB5 SOLUTION: §1 the auxiliary vector */
	err = err ?: push_word(&s, AT_PAGESZ);
	err = err ?: push_word(&s, PAGE_SIZE);
	if (initfs) {
		err = err ?: push_word(&s, AT_OCHRE_INITFS_ADDR);
		err = err ?: push_word(&s, INITFS_VA);
		err = err ?: push_word(&s, AT_OCHRE_INITFS_SIZE);
		err = err ?: push_word(&s, initfs->end - initfs->start);
	}
	err = err ?: push_word(&s, AT_OCHRE_CWD);
	err = err ?: push_word(&s, cwd);
	/* END LAB5 SOLUTION */
	/* STARTER: (void)initfs; (void)cwd; */
	err = err ?: push_word(&s, AT_NULL);
	err = err ?: push_word(&s, 0);
	if (err)
		return err;
	uintptr_t sp = ALIGN_DOWN(s.strings_va - s.nwords * 8, 16);
	err = addrspace_write(as, s.strings_va, s.strings, sizeof(s.strings));
	if (!err)
		err = addrspace_write(as, sp, s.words, s.nwords * 8);
	*rsp = sp;
	return err;
}

/* What bootstrap gets besides its image: the initfs and the stack. */
static int prepare(struct addrspace *as, void *arg, uint64_t *rsp)
{
	/* No initfs is bootstrap's to report (it has a console, we do not
	 * panic for a missing file): it finds no AT_OCHRE_INITFS_ADDR. */
	const struct boot_module *initfs = boot_module_find("initfs");
	if (initfs) {
		maybe_corrupt(initfs);
		clear_tail(initfs);
		int err = map_initfs(as, initfs);
		if (err) {
			printk("initfs: cannot map the module (error %d)\n", err);
			initfs = NULL;
		}
	}
	return build_stack(as, initfs, rsp);
}

/* The main_loop seam (seam.h), which lab 2's bootstrap.c provided before. */
static void start_bootstrap(void)
{
	bootimage_run("bootstrap", prepare, NULL);
}
SEAM_PROVIDER(main_loop, start_bootstrap);

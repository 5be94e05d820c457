/*
 * Starting the first process (lab 2, given). GRUB loaded the bootstrap
 * image as a module named "bootstrap"; we copy it into a fresh address space
 * at BOOTSTRAP_BASE (text read+execute, data read+write, bss zeroed), give it
 * a stack holding argc/argv/envp/auxv like any SysV program, and let the
 * scheduler run it. It becomes pid 1 (init): when it exits, Ochre powers off
 * with its status, which is how user-level tests report.
 *
 * argv[0] is the program to run, from init= on the command line (default
 * "init"); in lab 2 bootstrap carries every user program and picks by name.
 */
#include "kernel.h"
#include "addrspace.h"
#include "boot.h"
#include "cmdline.h"
#include "context.h"
#include "gdt.h"
#include "mapper.h"
#include "memlayout.h"
#include "seam.h"
#include <ochre/bootstrap.h>

CMDLINE_OPTION(init, "init", "the first program to run (default: init)");

static const struct boot_module *find_module(const char *name)
{
	for (int i = 0; i < boot_info.nmodules; i++)
		if (strcmp(boot_info.modules[i].name, name) == 0)
			return &boot_info.modules[i];
	return NULL;
}

static int check_header(const struct bootstrap_header *h, size_t size)
{
	if (size < sizeof(*h) || h->magic != BOOTSTRAP_MAGIC)
		return -ENOEXEC;
	uint64_t base = BOOTSTRAP_BASE;
	if (!(base < h->text_end && h->text_end <= h->data_end &&
	      h->data_end <= h->bss_end && h->bss_end < MMAP_BASE))
		return -ENOEXEC;
	if (!IS_ALIGNED(h->text_end, PAGE_SIZE) ||
	    !IS_ALIGNED(h->data_end, PAGE_SIZE))
		return -ENOEXEC;
	if (h->entry < base || h->entry >= h->text_end)
		return -ENOEXEC;
	return 0;
}

static int load_image(struct addrspace *as, const uint8_t *img, size_t size)
{
	const struct bootstrap_header *h = (const void *)img;
	int err = check_header(h, size);
	if (err)
		return err;
	uint64_t base = BOOTSTRAP_BASE;
	size_t bss_len = ALIGN_UP(h->bss_end, PAGE_SIZE) - h->data_end;

	/* Map writable first so we can fill the pages, then protect. */
	err = addrspace_map_anon(as, base, h->data_end - base, PTE_W | PTE_NX);
	if (!err && bss_len)
		err = addrspace_map_anon(as, h->data_end, bss_len, PTE_W | PTE_NX);
	if (!err)
		/* objcopy drops trailing zeros: the file may end early. */
		err = addrspace_write(as, base, img, MIN(size, h->data_end - base));
	if (!err)
		err = addrspace_protect(as, base, h->text_end - base, 0);
	return err;
}

/* Pushes argv = { name }, envp = {}, auxv = { AT_NULL } onto the stack. */
static int build_stack(struct addrspace *as, const char *name, uint64_t *rsp)
{
	uintptr_t top = USER_STACK_TOP;
	int err = addrspace_map_anon(as, top - USER_STACK_PAGES * PAGE_SIZE,
				     USER_STACK_PAGES * PAGE_SIZE, PTE_W | PTE_NX);
	if (err)
		return err;
	size_t len = strlen(name) + 1;
	uintptr_t str = top - ALIGN_UP(len, 16);
	uint64_t frame[] = {
		1,		/* argc */
		str, 0,		/* argv */
		0,		/* envp */
		0, 0,		/* auxv: AT_NULL */
	};
	uintptr_t sp = ALIGN_DOWN(str - sizeof(frame), 16);
	err = addrspace_write(as, str, name, len);
	if (!err)
		err = addrspace_write(as, sp, frame, sizeof(frame));
	*rsp = sp;
	return err;
}

static void __noreturn fail(const char *what, int err)
{
	panic("cannot start the first process: %s (error %d)", what, err);
}

/* The main_loop seam (seam.h): from lab 2 on, the kernel's work after
 * booting is to start the first process and then idle. */
static void start_first_process(void)
{
	const struct boot_module *m = find_module("bootstrap");
	if (!m)
		fail("no 'bootstrap' module (check grub.cfg)", -ENOENT);
	const char *prog = cmdline_get("init");
	if (!prog || !*prog)
		prog = "init";

	struct context *c;
	int err = context_new(NULL, prog, &c);
	if (err)
		fail("no context", err);
	err = load_image(c->as, phys_to_virt(m->start), m->end - m->start);
	if (err)
		fail("bad bootstrap image", err);
	uint64_t rsp;
	err = build_stack(c->as, prog, &rsp);
	if (err)
		fail("no stack", err);

	const struct bootstrap_header *h = phys_to_virt(m->start);
	trapframe_init_user(c->tf, h->entry, rsp);
	context_start(NULL, c);
	sched_start();
}
SEAM_PROVIDER(main_loop, start_first_process);

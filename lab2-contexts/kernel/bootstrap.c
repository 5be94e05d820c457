/*
 * Starting the first process (lab 2, given). The bootstrap image is loaded
 * by bootimage.c; here it gets a stack holding argc/argv/envp/auxv like any
 * SysV program, and the scheduler runs it. It becomes pid 1 (init): when it
 * exits, Ochre powers off with its status, which is how user-level tests
 * report.
 *
 * argv[0] is the program to run, from init= on the command line (default
 * "init"); in lab 2 bootstrap carries every user program and picks by name.
 * Lab 5 replaces this file (bootblob.c): its bootstrap also gets the initfs.
 */
#include "kernel.h"
#include "addrspace.h"
#include "bootimage.h"
#include "cmdline.h"
#include "context.h"
#include "mapper.h"
#include "memlayout.h"
#include "seam.h"

CMDLINE_OPTION(init, "init", "the first program to run (default: init)");

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
	const struct boot_module *m = boot_module_find("bootstrap");
	if (!m)
		fail("no 'bootstrap' module (check grub.cfg)", -ENOENT);
	const char *prog = cmdline_get("init");
	if (!prog || !*prog)
		prog = "init";

	struct context *c;
	int err = context_new(NULL, prog, &c);
	if (err)
		fail("no context", err);
	uint64_t entry, rsp;
	err = bootimage_load(c->as, m, &entry);
	if (err)
		fail("bad bootstrap image", err);
	err = build_stack(c->as, prog, &rsp);
	if (err)
		fail("no stack", err);
	bootimage_start(c, entry, rsp);
}
SEAM_PROVIDER(main_loop, start_first_process);

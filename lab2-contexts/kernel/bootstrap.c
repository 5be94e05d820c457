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
static int build_stack(struct addrspace *as, void *arg, uint64_t *rsp)
{
	const char *name = arg;
	int err = bootimage_map_stack(as);
	if (err)
		return err;
	size_t len = strlen(name) + 1;
	uintptr_t str = USER_STACK_TOP - ALIGN_UP(len, 16);
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

/* The main_loop seam (seam.h): from lab 2 on, the kernel's work after
 * booting is to start the first process and then idle. */
static void start_first_process(void)
{
	const char *prog = cmdline_get("init");
	if (!prog || !*prog)
		prog = "init";
	bootimage_run(prog, build_stack, (void *)prog);
}
SEAM_PROVIDER(main_loop, start_first_process);

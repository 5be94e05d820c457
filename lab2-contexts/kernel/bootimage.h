/*
 * Boot modules and the bootstrap image (lab 2, given): the pieces of
 * starting the first process that stay the same in every lab. Which
 * process starts, with what stack and what else mapped, is the business of
 * bootstrap.c (lab 2), which lab 5 replaces with its bootblob.c.
 */
#ifndef OCHRE_BOOTIMAGE_H
#define OCHRE_BOOTIMAGE_H

#include "types.h"
#include "boot.h"

struct addrspace;

/* The GRUB module whose command line is name, or NULL. */
const struct boot_module *boot_module_find(const char *name);

/* Maps the bootstrap image of module m at BOOTSTRAP_BASE (text read+exec,
 * data read+write, zeroed bss) and sets *entry. 0 or -errno. */
int bootimage_load(struct addrspace *as, const struct boot_module *m,
		   uint64_t *entry);

/* Maps the user stack (USER_STACK_PAGES below USER_STACK_TOP). 0/-errno. */
int bootimage_map_stack(struct addrspace *as);

/*
 * Starts the first process, named name: a new context, the "bootstrap"
 * module loaded into its address space, then prepare(as, arg, &rsp) maps
 * whatever else the lab hands it and writes its initial stack. Failing
 * this early can only panic, with the step that failed. Never returns:
 * the boot path becomes the idle loop.
 */
void __noreturn bootimage_run(const char *name,
			      int (*prepare)(struct addrspace *as, void *arg,
					     uint64_t *rsp),
			      void *arg);

#endif

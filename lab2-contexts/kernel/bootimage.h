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
struct context;

/* The GRUB module whose command line is name, or NULL. */
const struct boot_module *boot_module_find(const char *name);

/* Maps the bootstrap image of module m at BOOTSTRAP_BASE (text read+exec,
 * data read+write, zeroed bss) and sets *entry. 0 or -errno. */
int bootimage_load(struct addrspace *as, const struct boot_module *m,
		   uint64_t *entry);

/* Makes c (address space filled, stack at rsp) runnable at entry and
 * starts the scheduler: the first process is on its way. */
void __noreturn bootimage_start(struct context *c, uint64_t entry, uint64_t rsp);

#endif

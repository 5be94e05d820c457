/*
 * Boot modules and the bootstrap image (lab 2, given); see bootimage.h.
 * GRUB loaded the bootstrap image as a module named "bootstrap"; we copy it
 * into an address space at BOOTSTRAP_BASE (text read+execute, data
 * read+write, bss zeroed), so even the first program runs W^X.
 */
#include "kernel.h"
#include "addrspace.h"
#include "bootimage.h"
#include "context.h"
#include "mapper.h"
#include "memlayout.h"
#include <ochre/bootstrap.h>

const struct boot_module *boot_module_find(const char *name)
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

int bootimage_load(struct addrspace *as, const struct boot_module *m,
		   uint64_t *entry)
{
	const uint8_t *img = phys_to_virt(m->start);
	size_t size = m->end - m->start;
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
	*entry = h->entry;
	return err;
}

int bootimage_map_stack(struct addrspace *as)
{
	return addrspace_map_anon(as, USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE,
				  USER_STACK_PAGES * PAGE_SIZE, PTE_W | PTE_NX);
}

static void __noreturn fail(const char *what, int err)
{
	panic("cannot start the first process: %s (error %d)", what, err);
}

void bootimage_run(const char *name,
		   int (*prepare)(struct addrspace *as, void *arg, uint64_t *rsp),
		   void *arg)
{
	const struct boot_module *m = boot_module_find("bootstrap");
	if (!m)
		fail("no 'bootstrap' boot module (check grub.cfg, or modules.img for direct boot)", -ENOENT);
	struct context *c;
	int err = context_new(NULL, name, &c);
	if (err)
		fail("no context", err);
	uint64_t entry, rsp;
	err = bootimage_load(c->as, m, &entry);
	if (err)
		fail("bad bootstrap image", err);
	err = prepare(c->as, arg, &rsp);
	if (err)
		fail("no stack", err);
	trapframe_init_user(c->tf, entry, rsp);
	err = context_start(NULL, c);
	if (err)
		fail("a start hook refused", err);
	sched_start();
}

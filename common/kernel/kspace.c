/*
 * The kernel's own address space. Boot left us on boot.asm's tables; here
 * we drop the identity map of low memory (so a stray NULL-ish pointer
 * faults) and give every kernel-half PML4 slot a PDPT. Those PDPTs are
 * shared by every address space later labs create, and never freed.
 */
#include "kernel.h"
#include "mapper.h"
#include "frame.h"
#include "memlayout.h"
#include "x86.h"

physaddr_t kernel_root;

void kspace_init(void)
{
	kernel_root = read_cr3() & PTE_ADDR_MASK;
	pte_t *pml4 = phys_to_virt(kernel_root);

	pml4[0] = 0;			/* the boot identity map */
	write_cr3(kernel_root);

	for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
		if (pml4[i] & PTE_P)
			continue;
		physaddr_t pdpt = frame_alloc();
		if (!pdpt) {
			printk("WARNING: no frames for kernel page tables; "
			       "is frame_alloc_dirty() written yet? (lab 1)\n");
			return;
		}
		pml4[i] = pdpt | PTE_P | PTE_W;
	}
}

/* A new top-level table with the kernel half shared with the kernel's. */
physaddr_t mapper_new_root(void)
{
	physaddr_t root = frame_alloc();
	if (!root)
		return 0;
	pte_t *dst = phys_to_virt(root);
	const pte_t *src = phys_to_virt(kernel_root);
	for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		dst[i] = src[i];
	return root;
}

void mapper_free_root(physaddr_t root)
{
	frame_free(root);
}

/*
 * The kernel's virtual memory layout.
 *
 *   0x0000000000000000 .. 0x00007fffffffffff  user half (empty in lab 1)
 *   0xffff800000000000 PHYS_OFFSET            all physical memory (first 4 GiB)
 *   0xffffc00000000000 KHEAP_BASE             kernel heap (kmalloc), grows up
 *   0xffffc80000000000 KTEST_BASE             scratch area for in-kernel tests
 *   0xffffc90000000000 KTEST_FAULT_BASE       never mapped (page-fault test)
 *   0xffffca0000000000 KSTACK_BASE            kernel stacks, with guard pages
 *   0xffffffff80000000 KERNEL_VMA             kernel image (physical 0 + this)
 *
 * Every region in the kernel half has its own top-level (PML4) slot, and
 * kspace.c gives every kernel-half slot a PDPT at boot. Those PDPTs are
 * never freed: later labs copy the kernel half into each process's PML4,
 * so a slot filled in after that copy would be invisible to processes.
 */
#ifndef OCHRE_MEMLAYOUT_H
#define OCHRE_MEMLAYOUT_H

#include "types.h"

#define PAGE_SIZE	4096UL
#define PAGE_SHIFT	12

#define PHYS_OFFSET	0xffff800000000000UL
#define PHYS_MAP_SIZE	(4UL << 30)	/* boot.asm maps the first 4 GiB */
#define KHEAP_BASE	0xffffc00000000000UL
#define KHEAP_SIZE	(512UL << 30)
#define KTEST_BASE	0xffffc80000000000UL
#define KTEST_FAULT_BASE 0xffffc90000000000UL
#define KSTACK_BASE	0xffffca0000000000UL
#define KERNEL_VMA	0xffffffff80000000UL
#define KERNEL_HALF	0xffff800000000000UL
#include <ochre/layout.h>	/* USER_TOP and the rest of the user layout */

/* Physical memory is reachable at a fixed offset (Redox does the same). */
static inline void *phys_to_virt(physaddr_t pa)
{
	return (void *)(pa + PHYS_OFFSET);
}

static inline physaddr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;
	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	return v - PHYS_OFFSET;
}

/* Symbols from the linker script (common/boot/kernel.ld). */
extern char __kernel_start[], __kernel_end[];
extern char __text_start[], __text_end[];

#endif

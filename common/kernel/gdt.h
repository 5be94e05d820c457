/* Segments and the task state segment. Long mode barely uses segments, but
 * the CPU still needs code/data descriptors for ring 0 and ring 3, and a TSS
 * for the kernel stack used on entry from user mode (RSP0) and for the
 * known-good stacks of double faults and NMIs (IST). */
#ifndef OCHRE_GDT_H
#define OCHRE_GDT_H

#include "types.h"

#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	(0x18 | 3)	/* order required by sysret (STAR) */
#define SEL_UCODE	(0x20 | 3)
#define SEL_TSS		0x28

#define IST_DOUBLE_FAULT 1
#define IST_NMI		2

void gdt_init(void);
void tss_set_rsp0(uint64_t rsp0);

#endif

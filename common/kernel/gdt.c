/* GDT and TSS setup; see gdt.h. */
#include "kernel.h"
#include "gdt.h"
#include "memlayout.h"
#include "trap.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

#define IST_STACK_SIZE	8192

static struct tss tss __aligned(16);
static uint8_t ist_stacks[2][IST_STACK_SIZE] __aligned(16);

/* 64-bit descriptors: only the access byte and the L bit matter. */
static uint64_t gdt[7] __aligned(16) = {
	0,
	0x00209a0000000000,	/* 0x08 kernel code: P, DPL0, code, L */
	0x0000920000000000,	/* 0x10 kernel data: P, DPL0, data, W */
	0x0000f20000000000,	/* 0x18 user data:   P, DPL3, data, W */
	0x0020fa0000000000,	/* 0x20 user code:   P, DPL3, code, L */
	0, 0,			/* 0x28 TSS (16 bytes), filled in below */
};

void idt_set_ist(int vector, int ist);

static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89UL << 40) |		/* P, available 64-bit TSS */
		 (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
}

void gdt_init(void)
{
	tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)ist_stacks[0] + IST_STACK_SIZE;
	tss.ist[IST_NMI - 1] = (uint64_t)ist_stacks[1] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss);	/* no I/O permission bitmap */
	/* Until a scheduler sets a real one (lab 2): a stack pointer that faults
	 * at once, so a missing tss_set_rsp0() is a reported double fault
	 * rather than writes to wherever address 0 - 8 happens to map. */
	tss.rsp[0] = KTEST_FAULT_BASE;
	set_tss_descriptor();

	struct gdt_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\t"
		"mov %1, %%es\n\t"
		"mov %1, %%ss\n\t"
		"xor %%eax, %%eax\n\t"
		"mov %%ax, %%fs\n\t"
		"mov %%ax, %%gs\n\t"
		/* reload CS with a far return */
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3\n\t"
		:
		: "m"(p), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE),
		  "r"((uint64_t)SEL_TSS)
		: "rax", "memory");
}

void tss_set_rsp0(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}

/* Faults that may come from a broken kernel stack get stacks of their own,
 * so a kernel stack overflow is reported instead of triple-faulting. */
static void use_ist_stacks(void)
{
	idt_set_ist(T_DOUBLE_FAULT, IST_DOUBLE_FAULT);
	idt_set_ist(T_NMI, IST_NMI);
}
INITCALL(use_ist_stacks, 2);

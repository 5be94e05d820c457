/*
 * Kernel symbol table for panic and fault reports. The build links the
 * kernel twice: the second link includes a table made from the first one's
 * `nm` output by common/tools/symbolize.c (see common/mk/lab.mk). Only text
 * symbols are listed, sorted by address.
 */
#include "kernel.h"
#include "memlayout.h"

struct ksym {
	uint64_t addr;
	const char *name;
};

/* Generated (ksyms.S); the first link gets an empty table. */
extern const struct ksym ksyms_table[];
extern const uint64_t ksyms_count;

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	if (ksyms_count == 0)
		return NULL;
	/* Binary search for the last symbol at or below addr. */
	size_t lo = 0, hi = ksyms_count;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_table[lo].addr > addr || addr >= (uint64_t)__text_end)
		return NULL;
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_table[lo].name;
}

void print_symbol(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);
	if (addr < KERNEL_HALF)
		printk("<user>");
	else if (name)
		printk("<%s+0x%lx>", name, off);
	else
		printk("<?>");
}

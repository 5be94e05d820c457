/*
 * Host shim for common/kernel/memlayout.h (grader/host/test_mapper.py).
 *
 * Everything but the physical-memory map comes from the real header. On the
 * host, "physical memory" is one aligned buffer owned by the test driver:
 * physical address HOST_RAM_BASE + n is byte n of host_ram. Address 0 and
 * everything outside the buffer is not RAM, and touching it through
 * phys_to_virt() stops the test with the offending address, so a mapper
 * that follows a data frame or a garbage entry as if it were a table is
 * caught at once instead of scribbling over the host's memory.
 */
#ifndef OCHRE_HOST_SHIM_MEMLAYOUT_H
#define OCHRE_HOST_SHIM_MEMLAYOUT_H

/* Take the real header, but keep its two functions out of the way. */
#define phys_to_virt kernel_phys_to_virt
#define virt_to_phys kernel_virt_to_phys
#include_next "memlayout.h"
#undef phys_to_virt
#undef virt_to_phys

#define HOST_RAM_BASE	0x100000UL	/* like the kernel: nothing below 1 MiB */

extern unsigned char *host_ram;
extern size_t host_ram_size;
void host_bad_phys(physaddr_t pa, const char *why) __noreturn;

static inline void *phys_to_virt(physaddr_t pa)
{
	if (pa < HOST_RAM_BASE || pa - HOST_RAM_BASE >= host_ram_size)
		host_bad_phys(pa, "phys_to_virt() of an address outside RAM");
	return host_ram + (pa - HOST_RAM_BASE);
}

static inline physaddr_t virt_to_phys(const void *va)
{
	const unsigned char *p = va;
	if (p < host_ram || p >= host_ram + host_ram_size)
		host_bad_phys((physaddr_t)(uintptr_t)va,
			      "virt_to_phys() of a pointer outside RAM");
	return HOST_RAM_BASE + (physaddr_t)(p - host_ram);
}

#endif

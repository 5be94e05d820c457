/*
 * mmap, munmap, mprotect for anonymous private memory (lab 2). The work is
 * in addrspace.c; this file checks the arguments and picks addresses.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "mapper.h"
#include "memlayout.h"
#include "syscall_table.h"
#include <ochre/mman.h>

/*
 * Protections to page-table flags. Write and execute together are refused
 * (W^X); PROT_NONE cannot be expressed by a present page and is refused too.
 */
static int prot_to_flags(uint64_t prot, uint64_t *flags)
{
	if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (prot == PROT_NONE)
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EINVAL;
	*flags = (prot & PROT_WRITE ? PTE_W : 0) | (prot & PROT_EXEC ? 0 : PTE_NX);
	return 0;
}

static int64_t sys_mmap(uint64_t addr, uint64_t len, uint64_t prot,
			uint64_t mflags, uint64_t fd, uint64_t off)
{
	uint64_t pte_flags;
	if (len == 0 || len > USER_TOP)
		return -EINVAL;
	if (mflags != (MAP_PRIVATE | MAP_ANONYMOUS) &&
	    mflags != (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED))
		return -EINVAL;		/* only anonymous private memory */
	if (prot_to_flags(prot, &pte_flags))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	struct addrspace *as = cur->as;
	uintptr_t va;
	if (mflags & MAP_FIXED) {
		if (!IS_ALIGNED(addr, PAGE_SIZE) || addr < USER_MIN ||
		    !user_range_ok(addr, len))
			return -EINVAL;
		va = addr;
		addrspace_unmap(as, va, len);	/* MAP_FIXED replaces */
	} else {
		/* Addresses are handed out upwards and never reused. */
		va = as->mmap_next;
		if (!user_range_ok(va, len) || va + len > USER_STACK_TOP -
		    USER_STACK_PAGES * PAGE_SIZE - PAGE_SIZE)
			return -ENOMEM;
	}
	int err = addrspace_map_anon(as, va, len, pte_flags);
	if (err)
		return err == -EEXIST ? -ENOMEM : err;
	if (!(mflags & MAP_FIXED))
		as->mmap_next = va + len + PAGE_SIZE;	/* a guard gap */
	return (int64_t)va;
}
SYSCALL(SYS_MMAP, sys_mmap);

static int64_t sys_munmap(uint64_t addr, uint64_t len)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || len == 0)
		return -EINVAL;
	/* Check before rounding: 2^64-1 would round up to 0. */
	if (!user_range_ok(addr, len))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!user_range_ok(addr, len))
		return -EINVAL;
	return addrspace_unmap(cur->as, addr, len);
}
SYSCALL(SYS_MUNMAP, sys_munmap);

static int64_t sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot)
{
	uint64_t pte_flags;
	if (!IS_ALIGNED(addr, PAGE_SIZE) || prot_to_flags(prot, &pte_flags))
		return -EINVAL;
	if (!user_range_ok(addr, len))		/* before rounding, as above */
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!user_range_ok(addr, len))
		return -EINVAL;
	return addrspace_protect(cur->as, addr, len, pte_flags);
}
SYSCALL(SYS_MPROTECT, sys_mprotect);

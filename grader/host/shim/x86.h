/*
 * Host shim for common/kernel/x86.h (grader/host/test_mapper.py).
 *
 * The mapper only needs the TLB instructions. On the host they do nothing
 * but count, so the test can check that a batch of unmaps was flushed
 * page by page or all at once, as struct flush asked. The other wrappers
 * of the real header (port I/O, MSRs, cli/hlt, ...) are deliberately absent:
 * mapper.c has no business using them, and a build error says so.
 */
#ifndef OCHRE_HOST_SHIM_X86_H
#define OCHRE_HOST_SHIM_X86_H

#include "types.h"

struct host_cpu {
	uint64_t cr3;		/* what read_cr3() returns */
	uint64_t cr3_writes;	/* write_cr3() calls: full TLB flushes */
	uint64_t invlpg_calls;	/* invlpg() calls: single-page flushes */
	uintptr_t last_invlpg;	/* the address of the latest invlpg */
};
extern struct host_cpu host_cpu;

static inline uint64_t read_cr3(void)
{
	return host_cpu.cr3;
}

static inline void write_cr3(uint64_t v)
{
	host_cpu.cr3 = v;
	host_cpu.cr3_writes++;
}

static inline void invlpg(uintptr_t va)
{
	host_cpu.invlpg_calls++;
	host_cpu.last_invlpg = va;
}

#endif

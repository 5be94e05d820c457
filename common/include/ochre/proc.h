/*
 * The process primitives of lab 4 (the ABI): what the kernel offers so
 * that libc can implement fork and exec itself (Redox's "userspace clone"
 * and "userspace fexec" of Redox's 2022 design). All formats are fixed C structs.
 *
 *   thisproc:new            open: a new, empty child context (an embryo) is
 *                           created; read() gives its pid (8 bytes). Closing
 *                           this fd before the child is started destroys it.
 *   thisproc:new-addrspace  open: a new, empty address space; write struct
 *                           as_op to fill it; thisproc:exec installs it.
 *   thisproc:exec           write struct proc_exec: replace the caller's
 *                           address space with a filled new-addrspace,
 *                           close FD_CLOEXEC fds, reset registers, rename.
 *                           Never returns on success.
 *   proc:/<pid>/addrspace   write struct as_op into the embryo's space
 *   proc:/<pid>/filetable   write struct ft_op (FT_INHERIT: the caller's fds)
 *   proc:/<pid>/regs        read/write struct proc_regs (168 bytes)
 *   proc:/<pid>/start       write one byte: the embryo becomes runnable
 *
 * proc:/<pid>/... works only for an embryo the caller created and has not
 * started yet (EPERM otherwise; EBUSY once started; ESRCH if gone).
 */
#ifndef OCHRE_PROC_H
#define OCHRE_PROC_H

#include <stdint.h>

#include <ochre/fcntl.h>	/* O_CLOFORK: libc's own handles are not inherited */

enum as_opcode {
	AS_MAP = 1,	/* zeroed pages at [va, va+len) with prot */
	AS_UNMAP,	/* unmap [va, va+len) */
	AS_PROTECT,	/* change prot of every page of [va, va+len) */
	AS_COPY,	/* copy the caller's present pages in [va, va+len) to the
			   same addresses, with the same protection */
	AS_WRITE,	/* copy len bytes from buf (caller) to va (target),
			   whatever the target pages' protection */
};

struct as_op {
	uint32_t op;		/* enum as_opcode */
	uint32_t prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC; not W+X */
	uint64_t va, len;	/* page-aligned, except for AS_WRITE */
	uint64_t buf;		/* AS_WRITE: the caller's bytes */
	uint64_t reserved[2];	/* 0 */
};

enum ft_opcode {
	FT_INHERIT = 1,		/* every caller fd without FD_CLOFORK, same number,
				   sharing the open file (offsets shared) */
};

struct ft_op {
	uint32_t op;
	uint32_t reserved;
};

/* A context's user registers (also lab 6's ptrace_regs). */
struct proc_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, rip, cs, rflags, rsp, ss, fs_base;
};

struct proc_exec {
	int64_t as_fd;		/* a thisproc:new-addrspace fd */
	uint64_t rip, rsp;	/* where the new image starts */
	uint64_t flags;		/* 0 */
	char name[32];		/* the new process name */
};

_Static_assert(sizeof(struct as_op) == 48, "as_op");
_Static_assert(sizeof(struct ft_op) == 8, "ft_op");
_Static_assert(sizeof(struct proc_regs) == 168, "proc_regs");
_Static_assert(sizeof(struct proc_exec) == 64, "proc_exec");

#endif

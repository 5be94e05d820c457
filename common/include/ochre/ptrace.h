/*
 * Tracing (lab 6, the ABI): a tracer drives a tracee through files of the
 * proc: scheme, as Redox does, instead of a ptrace() system call.
 *
 *   proc:<pid>/trace       open O_RDWR: attach (one session per tracee).
 *                            | O_TRUNC     stop the tracee at once: before
 *                                          its next user instruction (one
 *                                          blocked in a system call stops
 *                                          when the call returns, or at the
 *                                          entry of its next one); a read
 *                                          returns 0 once it is stopped
 *                            | O_EXCL      SIGKILL the tracee when the
 *                                          session is closed
 *                            | O_NONBLOCK  reads never wait
 *                          write(uint64_t request, 8 bytes): the set of
 *                            stops to arm next, resuming the tracee; never
 *                            blocks. A stop is one-shot: the tracee parks
 *                            at the first armed stop it reaches and stays
 *                            there until the next write. EBUSY (nothing
 *                            changes) while PTRACE_QUEUE - 1 events are
 *                            unread: read first.
 *                          read(struct ptrace_event[n]): queued events;
 *                            0 = parked at a stop, nothing new;
 *                            ESRCH once the tracee is gone and the queue is
 *                            empty.
 *   proc:<pid>/regs/int    struct ptrace_regs   (only while stopped)
 *   proc:<pid>/regs/float  struct ptrace_fpregs (only while stopped)
 *   proc:<pid>/mem         lseek to a tracee virtual address, then
 *                          read/write; writes reach read-only text.
 *
 * A session queues at most PTRACE_QUEUE events unread, the last slot kept
 * for a stop. A slow tracer loses nothing and hangs nobody: a write that
 * could let a stop find no slot is refused (above); a new child whose
 * clone event finds no slot is not started (the parent's fork fails with
 * EAGAIN); an ADDRSPACE_SWITCH that finds no slot is dropped (an exec
 * cannot be refused; the next stop shows the new image).
 *
 * A new child of a tracee whose request has PTRACE_EVENT_CLONE is frozen
 * before its first instruction: attach to it (its trace read then says 0:
 * stopped), or let it go by writing the parent's trace fd after reading
 * the event, or by closing the parent's session.
 *
 * Only a strict descendant of the caller can be traced, never the caller
 * itself and never pid 1 (EPERM); a missing pid is ESRCH.
 */
#ifndef OCHRE_PTRACE_H
#define OCHRE_PTRACE_H

#include <stdint.h>

#define PTRACE_QUEUE	32	/* events a session holds unread */

/* Stops: the tracee parks there (at most one stop per write). */
#define PTRACE_STOP_PRE_SYSCALL		0x1ULL	/* before the call runs */
#define PTRACE_STOP_POST_SYSCALL	0x2ULL	/* after rax holds the result */
#define PTRACE_STOP_SINGLESTEP		0x4ULL	/* after one user instruction */
#define PTRACE_STOP_SIGNAL		0x8ULL	/* before a signal acts */
#define PTRACE_STOP_BREAKPOINT		0x10ULL	/* on int3 (#BP) */
#define PTRACE_STOP_EXIT		0x20ULL	/* just before the exit is final */
#define PTRACE_STOP_MASK		0xffULL

/* Events: queued, never stop the tracee; repeat them in every write. */
#define PTRACE_EVENT_CLONE		0x100ULL /* a new child was started */
#define PTRACE_EVENT_ADDRSPACE_SWITCH	0x200ULL /* exec replaced the image */
#define PTRACE_EVENT_MASK		0xf00ULL

/*
 * Acts on the stop being resumed from, not on the next one: at a
 * PRE_SYSCALL stop the call is skipped and rax (as the tracer left it) is
 * its result ("sysemu"); at a SIGNAL stop the signal is dropped (never
 * SIGKILL). Elsewhere it is accepted and has no effect.
 */
#define PTRACE_FLAG_IGNORE		0x1000ULL
#define PTRACE_FLAG_MASK		0xf000ULL

/* Every bit a request may contain; any other bit is EINVAL. */
#define PTRACE_VALID	(0x3fULL | PTRACE_EVENT_CLONE | \
			 PTRACE_EVENT_ADDRSPACE_SWITCH | PTRACE_FLAG_IGNORE)

/*
 * One event, 56 bytes. cause is exactly one STOP or EVENT bit; the words:
 *
 *   cause                      a              b              c..f
 *   PRE_SYSCALL                syscall nr     arg1 (rdi)     arg2..arg5
 *                                                            (rsi rdx r10 r8)
 *   POST_SYSCALL               syscall nr     return value   -
 *   SINGLESTEP                 rip            -              -
 *   SIGNAL                     signal number  handler (0)    -
 *   BREAKPOINT                 int3 address   -              -
 *   EXIT                       wait status    -              -
 *   EVENT_CLONE                child pid      -              -
 *   EVENT_ADDRSPACE_SWITCH     new rip        -              -
 *
 * Unused words are 0. The arguments in a PRE event are a snapshot: the
 * call uses the registers as they are when the tracee resumes, so a
 * tracer changes an argument by writing regs/int at the PRE stop.
 * At a BREAKPOINT stop rip already points at the int3 byte.
 */
struct ptrace_event {
	uint64_t cause;
	uint64_t a, b, c, d, e, f;
};

/* The words by meaning, so tracers need not remember the table. */
#define PTRACE_EV_NR(ev)	((ev)->a)	/* PRE/POST_SYSCALL */
#define PTRACE_EV_ARG(ev, i)	((&(ev)->b)[(i)])	/* PRE, i = 0..4 */
#define PTRACE_EV_RET(ev)	((ev)->b)	/* POST_SYSCALL */
#define PTRACE_EV_RIP(ev)	((ev)->a)	/* SINGLESTEP */
#define PTRACE_EV_SIGNO(ev)	((ev)->a)	/* SIGNAL */
#define PTRACE_EV_ADDR(ev)	((ev)->a)	/* BREAKPOINT */
#define PTRACE_EV_STATUS(ev)	((ev)->a)	/* EXIT */
#define PTRACE_EV_PID(ev)	((ev)->a)	/* EVENT_CLONE */

/*
 * proc:<pid>/regs/int: the tracee's user registers, the same 168-byte
 * layout as lab 4's struct proc_regs. A write cannot change cs, ss, IOPL,
 * IF or TF (they keep their values; TF is SINGLESTEP's), and rip and rsp
 * must be canonical user addresses (EINVAL).
 */
struct ptrace_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, rip, cs, rflags, rsp, ss, fs_base;
};

/* proc:<pid>/regs/float: the FXSAVE image (Intel SDM vol. 1, 10.5.1). */
struct ptrace_fpregs {
	uint16_t fcw, fsw;
	uint8_t ftw, reserved1;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16];	/* x87 st0..st7 (80 bits each, padded) */
	uint8_t xmm[16][16];	/* xmm0..xmm15 */
	uint8_t reserved2[96];
};

_Static_assert(sizeof(struct ptrace_event) == 56, "ptrace_event");
_Static_assert(sizeof(struct ptrace_regs) == 168, "ptrace_regs");
_Static_assert(sizeof(struct ptrace_fpregs) == 512, "ptrace_fpregs");
_Static_assert(__builtin_offsetof(struct ptrace_fpregs, mxcsr) == 24,
	       "ptrace_fpregs.mxcsr");
_Static_assert(__builtin_offsetof(struct ptrace_fpregs, st) == 32,
	       "ptrace_fpregs.st");
_Static_assert(__builtin_offsetof(struct ptrace_fpregs, xmm) == 160,
	       "ptrace_fpregs.xmm");
_Static_assert(__builtin_offsetof(struct ptrace_regs, rip) == 120,
	       "ptrace_regs.rip");
_Static_assert(__builtin_offsetof(struct ptrace_regs, fs_base) == 160,
	       "ptrace_regs.fs_base");

#endif

/*
 * The system-call profiler (docs/bench.md, `make profile`): in a kernel
 * built with -DOCHRE_PROF, every guest instruction is charged to one
 * segment of a trace: a system call of some pid (from its entry in
 * syscall_invoke to its return), that pid's user time and return path
 * (from there to its next call), or a context's start. Under QEMU's
 * -icount shift=0 the TSC counts instructions, so the trace says exactly
 * where a benchmark's instructions go. lab 3's sys:/prof reads the trace
 * (and empties it).
 *
 * In every other build the hooks are empty inlines: they cost nothing.
 */
#ifndef OCHRE_PROF_H
#define OCHRE_PROF_H

#include "types.h"

struct context;
struct trapframe;

#ifdef OCHRE_PROF
void prof_syscall_enter(const struct trapframe *tf);
void prof_syscall_exit(const struct trapframe *tf);
void prof_switch(struct context *next);	/* before switch_to(next) */
void prof_first_return(void);		/* a new context's first way out */
/* Writes the trace so far as text (at most cap bytes; returns the length)
 * and empties it. */
size_t prof_take(char *buf, size_t cap);
#else
static inline void prof_syscall_enter(const struct trapframe *tf) {}
static inline void prof_syscall_exit(const struct trapframe *tf) {}
static inline void prof_switch(struct context *next) {}
static inline void prof_first_return(void) {}
#endif

#endif

/*
 * What lab 4's proc: scheme offers later labs: more files under
 * proc:/<pid>/ (lab 6 adds trace, regs/int, regs/float and mem), and the
 * conversion between a trapframe and the user register struct.
 */
#ifndef OCHRE_PROCFILE_H
#define OCHRE_PROCFILE_H

#include "types.h"
#include "scheme.h"
#include "trap.h"
#include <ochre/proc.h>

/*
 * proc:/<pid>/<name>: a later lab's scheme named <name>, in this table, is
 * opened with its ops->open(scheme, "/<pid>/<name>", ...); the open file
 * then belongs to that scheme (its read, write, seek and close).
 */
#define PROC_FILE(scheme_var)	SCHEME_TABLE_ENTRY(scheme_var, ".procfiles")

void tf_to_regs(const struct trapframe *tf, struct proc_regs *r);
/* -EINVAL for a non-canonical or kernel rip/rsp; cs, ss, IOPL and IF are
 * forced to user values. */
int regs_to_tf(const struct proc_regs *r, struct trapframe *tf);

#endif

/* The auxv of a new program (lab 5): lab 4's entries plus the cwd, so the
 * cwd travels through exec (HANDOUT.md "the cwd"). Replaces
 * lab4-userspace-exec/libc/exec_auxv.c; build_stack in lab 4's fexec.c
 * copies the string into the new stack and points the entry at it. */
#include <ochre_exec.h>
#include <ochre_path.h>

void exec_auxv(struct exec_aux *aux, uint64_t entry)
{
	*aux = (struct exec_aux){ .n = 0 };
	exec_aux_num(aux, AT_PAGESZ, 4096);
	exec_aux_num(aux, AT_ENTRY, entry);
	/* BEGIN LAB5 SOLUTION: §6 the fexec hook */
	exec_aux_str(aux, AT_OCHRE_CWD, __cwd());
	/* END LAB5 SOLUTION */
}

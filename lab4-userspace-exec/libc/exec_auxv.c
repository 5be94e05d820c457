/* The auxv of a new program (lab 4): the page size and the entry point,
 * as lab 3's kernel execve gave. Lab 5 replaces this file to add the cwd
 * (see <ochre_exec.h>). */
#include <ochre_exec.h>

void exec_auxv(struct exec_aux *aux, uint64_t entry)
{
	*aux = (struct exec_aux){ .n = 0 };
	exec_aux_num(aux, AT_PAGESZ, 4096);
	exec_aux_num(aux, AT_ENTRY, entry);
}

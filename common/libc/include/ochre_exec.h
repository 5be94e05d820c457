/*
 * What an exec puts in the new program's auxv (lab 4's fexec, HANDOUT.md
 * §6.2). build_stack asks exec_auxv() for the entries instead of writing
 * fixed ones, so a later lab can add an entry by replacing the small file
 * that defines exec_auxv (lab 5 adds the cwd, AT_OCHRE_CWD) without
 * touching fexec.c.
 */
#ifndef _OCHRE_EXEC_H
#define _OCHRE_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ochre/auxv.h>

#define EXEC_AUX_MAX	8

struct exec_aux {
	int n;				/* entries, AT_NULL not counted */
	uint64_t key[EXEC_AUX_MAX];
	uint64_t val[EXEC_AUX_MAX];	/* a number (str[i] == NULL) */
	const char *str[EXEC_AUX_MAX];	/* or a string: build_stack copies it
					   to the string area, and the value
					   becomes its new-space address */
	size_t str_bytes;		/* all strings' bytes, NULs included */
};

/* Fills aux with the entries for a program starting at entry. */
void exec_auxv(struct exec_aux *aux, uint64_t entry);

static inline void exec_aux_num(struct exec_aux *aux, uint64_t key, uint64_t val)
{
	if (aux->n < EXEC_AUX_MAX) {
		aux->key[aux->n] = key;
		aux->val[aux->n] = val;
		aux->str[aux->n++] = NULL;
	}
}

static inline void exec_aux_str(struct exec_aux *aux, uint64_t key, const char *s)
{
	if (aux->n < EXEC_AUX_MAX) {
		aux->key[aux->n] = key;
		aux->val[aux->n] = 0;
		aux->str[aux->n++] = s;
		aux->str_bytes += strlen(s) + 1;
	}
}

#endif

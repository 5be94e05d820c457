/* Auxiliary vector keys (as on Linux): after envp on a new program's stack,
 * pairs of (key, value) ending with AT_NULL. */
#ifndef OCHRE_AUXV_H
#define OCHRE_AUXV_H

#define AT_NULL		0	/* end of the vector */
#define AT_PAGESZ	6	/* page size */
#define AT_ENTRY	9	/* the program's entry point */

#endif

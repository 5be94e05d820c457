/*
 * Auxiliary vector keys (the ABI): pairs of words after envp's NULL on a
 * new program's stack, ended by AT_NULL. The numbers of the standard keys
 * follow Linux; Ochre's own keys live at AT_OCHRE_BASE and up, far from
 * every Linux AT_* number (Redox put its cwd at 32/33, which Linux already
 * uses for AT_SYSINFO and AT_SYSINFO_EHDR).
 */
#ifndef OCHRE_AUXV_H
#define OCHRE_AUXV_H

#define AT_NULL		0	/* end of the vector */
#define AT_PAGESZ	6	/* page size */
#define AT_ENTRY	9	/* the program's entry point */

#define AT_OCHRE_BASE		0x4f430000	/* "OC" */
/* lab 5: bootstrap's initfs image, mapped read-only by the kernel */
#define AT_OCHRE_INITFS_ADDR	(AT_OCHRE_BASE + 1)	/* its address */
#define AT_OCHRE_INITFS_SIZE	(AT_OCHRE_BASE + 2)	/* its exact length */
/* lab 5: the initial working directory, a canonical "scheme:/path" (a
 * pointer to a NUL-terminated string on the new stack) */
#define AT_OCHRE_CWD		(AT_OCHRE_BASE + 3)

#endif

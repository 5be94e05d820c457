/*
 * Auxiliary vector keys (the ABI). The System V initial stack ends with
 * (key, value) pairs after envp; Ochre uses Linux's numbers for the
 * standard keys and its own block for the rest, far above Linux's (which
 * stop near 51), so an Ochre key never means something else to a tool
 * that knows Linux (Redox's 32/33 clashed with AT_SYSINFO*).
 */
#ifndef OCHRE_AUXV_H
#define OCHRE_AUXV_H

#define AT_NULL			0
#define AT_PAGESZ		6
#define AT_ENTRY		9

#define AT_OCHRE_BASE		0x4f430000UL		/* "OC" */
#define AT_OCHRE_INITFS_ADDR	(AT_OCHRE_BASE + 1)	/* lab 5: the initfs image */
#define AT_OCHRE_INITFS_SIZE	(AT_OCHRE_BASE + 2)	/* its exact length */
#define AT_OCHRE_CWD		(AT_OCHRE_BASE + 3)	/* lab 5: char *, the cwd */

#endif

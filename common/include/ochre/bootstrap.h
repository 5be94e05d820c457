/*
 * The header at the start of the bootstrap image (lab 2). GRUB loads the
 * image as a module; the kernel copies it to BOOTSTRAP_BASE in the first
 * process and maps text read+execute, data read+write, and zeroed bss, so
 * even the first program runs W^X. common/user/bootstrap.ld lays it out.
 */
#ifndef OCHRE_BOOTSTRAP_H
#define OCHRE_BOOTSTRAP_H

#include <stdint.h>

#define BOOTSTRAP_MAGIC	0x31534842455243ULL	/* "CREBHS1" little-endian */
#define BOOTSTRAP_BASE	0x400000UL

struct bootstrap_header {
	uint64_t magic;
	uint64_t entry;		/* virtual addresses, all page-aligned but entry */
	uint64_t text_end;	/* [BASE, text_end): read + execute */
	uint64_t data_end;	/* [text_end, data_end): read + write, from the file */
	uint64_t bss_end;	/* [data_end, bss_end): read + write, zeroed */
};

#endif

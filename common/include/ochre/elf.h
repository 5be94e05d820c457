/*
 * ELF64 file format: the part of it Ochre's loaders need (lab 3's kernel
 * execve, lab 4's libc fexec, host tools and tests). Layout and values are
 * those of the System V ABI and its x86-64 supplement.
 *
 * Every name carries an ELF_ / elf64_ prefix, so that host programs can
 * include this header next to the system's <elf.h> without clashes.
 *
 * The structs document the on-disk layout (little-endian, no padding). Code
 * that reads untrusted files decodes fields at these offsets with
 * memcpy-based loads (common/lib/elf.c) instead of casting pointers, because
 * a file in a buffer need not be aligned.
 */
#ifndef OCHRE_ELF_H
#define OCHRE_ELF_H

#include <stdint.h>

/* e_ident[] */
#define ELF_EI_NIDENT		16
#define ELF_EI_CLASS		4
#define ELF_EI_DATA		5
#define ELF_EI_VERSION		6
#define ELF_EI_OSABI		7
#define ELF_MAGIC		"\177ELF"	/* e_ident[0..3] */
#define ELF_MAGIC_LEN		4
#define ELF_CLASS64		2
#define ELF_DATA2LSB		1		/* little-endian */
#define ELF_EV_CURRENT		1		/* e_ident[EI_VERSION], e_version */

/* e_type */
#define ELF_ET_NONE		0
#define ELF_ET_REL		1
#define ELF_ET_EXEC		2
#define ELF_ET_DYN		3		/* shared object or PIE */
#define ELF_ET_CORE		4

/* e_machine */
#define ELF_EM_X86_64		62

/* p_type */
#define ELF_PT_NULL		0
#define ELF_PT_LOAD		1
#define ELF_PT_DYNAMIC		2
#define ELF_PT_INTERP		3
#define ELF_PT_NOTE		4
#define ELF_PT_SHLIB		5
#define ELF_PT_PHDR		6
#define ELF_PT_TLS		7
#define ELF_PT_GNU_EH_FRAME	0x6474e550
#define ELF_PT_GNU_STACK	0x6474e551
#define ELF_PT_GNU_RELRO	0x6474e552
#define ELF_PT_GNU_PROPERTY	0x6474e553

/* p_flags */
#define ELF_PF_X		0x1
#define ELF_PF_W		0x2
#define ELF_PF_R		0x4

#define ELF_EHDR_SIZE		64
#define ELF_PHDR_SIZE		56		/* the only e_phentsize we accept */

struct elf64_ehdr {
	uint8_t  e_ident[ELF_EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;	/* virtual address of the first instruction */
	uint64_t e_phoff;	/* file offset of the program header table */
	uint64_t e_shoff;	/* section headers: loaders ignore them */
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;	/* file offset of the segment's bytes */
	uint64_t p_vaddr;
	uint64_t p_paddr;	/* unused */
	uint64_t p_filesz;	/* bytes taken from the file ... */
	uint64_t p_memsz;	/* ... the rest up to memsz is zero (bss) */
	uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == ELF_EHDR_SIZE, "ELF64 header layout");
_Static_assert(sizeof(struct elf64_phdr) == ELF_PHDR_SIZE, "ELF64 phdr layout");

#endif

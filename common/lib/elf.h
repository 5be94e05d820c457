/*
 * ELF64 executable validation, shared by the kernel (lab 3 execve), libc
 * (lab 4 fexec), host tools and the host tests that fuzz it.
 *
 * Pure functions over caller-provided memory: no allocation, no global
 * state, no I/O. Each one reads only the bytes it is given and returns 0 or
 * a negative errno:
 *
 *   -ENOEXEC  not a valid executable for Ochre (anything malformed, and
 *             anything Ochre does not run: 32-bit, other machines,
 *             dynamic executables, W+X segments ...)
 *   -ENOMEM   valid, but the segments need more than lim->max_bytes of
 *             memory (a huge bss); reported only when nothing else is wrong
 *
 * `why` (may be NULL) receives a short static English reason on failure,
 * e.g. "segments overlap (they share a page)", for logs and error messages;
 * NULL on success.
 *
 * What is accepted: a static little-endian ELF64 x86-64 ET_EXEC file with
 * 1..ELF_MAX_PHNUM program headers of 56 bytes inside the file; no
 * PT_INTERP or PT_DYNAMIC; 1..ELF_MAX_SEGMENTS PT_LOAD segments with
 * memsz > 0 (empty ones are skipped), each with filesz <= memsz, its file
 * bytes inside the file, [vaddr, vaddr+memsz) inside
 * [lim->user_min, lim->user_top), vaddr and offset congruent modulo 4096
 * (so a page of the file maps onto a page of memory; p_align is not
 * consulted), not both writable and executable, and no two sharing a page;
 * the entry point inside an executable segment. Other program header types
 * (PT_NOTE, PT_GNU_STACK, PT_PHDR, PT_TLS ...) are ignored.
 *
 * Two ways to call it:
 *   - the whole file in memory: elf_parse();
 *   - a loader that reads the file piecewise (lab 4's fexec reads through
 *     an fd): elf_check_ehdr() on the first ELF_EHDR_SIZE bytes, which says
 *     where the program headers are (img->phoff, img->phnum); read those
 *     img->phnum * ELF_PHDR_SIZE bytes; then elf_check_phdrs().
 * Both give the same answers for the same file.
 */
#ifndef OCHRE_LIB_ELF_H
#define OCHRE_LIB_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <ochre/elf.h>

#define ELF_MAX_SEGMENTS	16	/* PT_LOAD segments with memsz > 0 */
#define ELF_MAX_PHNUM		64	/* program headers of any type */
#define ELF_PAGE_SIZE		4096

struct elf_limits {
	uint64_t user_min;	/* lowest address a segment may use (page 0 stays unmapped) */
	uint64_t user_top;	/* segments end at or below this address */
	uint64_t max_bytes;	/* page-rounded memory of all segments together */
};

struct elf_segment {
	uint64_t vaddr;		/* not necessarily page-aligned */
	uint64_t memsz;		/* > 0 */
	uint64_t offset;	/* file offset of the first byte; offset % 4096 == vaddr % 4096 */
	uint64_t filesz;	/* <= memsz; the rest is zero-filled */
	uint32_t flags;		/* ELF_PF_R | ELF_PF_W | ELF_PF_X, never W and X together */
};

struct elf_image {
	uint64_t entry;
	uint64_t phoff;		/* program header table: file offset, ... */
	uint32_t phnum;		/* ... count (entries of ELF_PHDR_SIZE bytes) */
	uint64_t phdr_vaddr;	/* where the table is once loaded (for AT_PHDR);
				   0 if no segment holds it */
	uint64_t mem_bytes;	/* page-rounded memory of all segments */
	int nsegments;		/* 1..ELF_MAX_SEGMENTS, in file order */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Validates the whole file (data, size) and fills *out. Never reads outside
 * [data, data + size). *out is only meaningful when 0 is returned.
 */
int elf_parse(const void *data, size_t size, const struct elf_limits *lim,
	      struct elf_image *out, const char **why);

/*
 * Step 1: checks the ELF header, the first `len` (>= ELF_EHDR_SIZE) bytes
 * of a file of file_size bytes, and that the program header table lies
 * inside the file. Resets *img and fills entry, phoff and phnum.
 */
int elf_check_ehdr(const void *ehdr, size_t len, uint64_t file_size,
		   struct elf_image *img, const char **why);

/*
 * Step 2: checks the program header table (phdrs, len bytes: the
 * img->phnum * ELF_PHDR_SIZE bytes at img->phoff of the same file), with
 * img as elf_check_ehdr() left it, and fills in the segments.
 */
int elf_check_phdrs(const void *phdrs, size_t len, uint64_t file_size,
		    const struct elf_limits *lim, struct elf_image *img,
		    const char **why);

#endif

/*
 * What must hold for any input to common/lib/elf.c, whatever the bytes:
 * shared by the fuzz target (fuzz_elf.c) and the test driver (elf_host.c).
 * Host code: uses libc, aborts with a message when a property fails.
 *
 *   - elf_parse() and the piecewise elf_check_ehdr() + elf_check_phdrs()
 *     (each given exact-size heap copies, so ASan sees any overread) agree
 *     on the result, the reason and the image;
 *   - a rejection is -ENOEXEC or -ENOMEM, with a reason;
 *   - an accepted image satisfies every rule in elf.h: 1..16 segments,
 *     each non-empty, filesz <= memsz, file bytes inside the file, inside
 *     the limits, offset and vaddr congruent mod 4096, not W+X, no two
 *     sharing a page; the entry in an executable segment; mem_bytes the
 *     page-rounded total and within max_bytes; phdr_vaddr consistent.
 */
#ifndef CHECK_ELF_H
#define CHECK_ELF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../common/lib/elf.h"
#include <ochre/errno.h>

__attribute__((format(printf, 1, 2), noreturn))
static void elf_check_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "check_elf: property violated: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *elf_check_copy(const void *src, size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, src, n);
	return p;
}

static void elf_check_same(const struct elf_image *a, const struct elf_image *b)
{
	if (a->entry != b->entry || a->phoff != b->phoff || a->phnum != b->phnum ||
	    a->phdr_vaddr != b->phdr_vaddr || a->mem_bytes != b->mem_bytes ||
	    a->nsegments != b->nsegments)
		elf_check_fail("elf_parse and the piecewise API disagree on the image");
	for (int i = 0; i < a->nsegments; i++) {
		const struct elf_segment *x = &a->seg[i], *y = &b->seg[i];
		if (x->vaddr != y->vaddr || x->memsz != y->memsz || x->offset != y->offset ||
		    x->filesz != y->filesz || x->flags != y->flags)
			elf_check_fail("elf_parse and the piecewise API disagree on segment %d", i);
	}
}

static void elf_check_image(size_t size, const struct elf_limits *lim,
			    const struct elf_image *img)
{
	const uint64_t page = ELF_PAGE_SIZE;
	uint64_t pages = 0;
	int exec_entry = 0;

	if (img->nsegments < 1 || img->nsegments > ELF_MAX_SEGMENTS)
		elf_check_fail("nsegments = %d", img->nsegments);
	if (img->phnum < 1 || img->phnum > ELF_MAX_PHNUM ||
	    img->phoff > size || img->phnum * (uint64_t)ELF_PHDR_SIZE > size - img->phoff)
		elf_check_fail("program header table outside the file");
	for (int i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (s->memsz == 0 || s->filesz > s->memsz)
			elf_check_fail("segment %d: memsz 0 or filesz > memsz", i);
		if (s->offset > size || s->filesz > size - s->offset)
			elf_check_fail("segment %d: file bytes outside the file", i);
		if (s->vaddr < lim->user_min || s->vaddr > lim->user_top ||
		    s->memsz > lim->user_top - s->vaddr)
			elf_check_fail("segment %d outside the limits", i);
		if (s->vaddr % page != s->offset % page)
			elf_check_fail("segment %d: vaddr and offset not congruent", i);
		if ((s->flags & ELF_PF_W) && (s->flags & ELF_PF_X))
			elf_check_fail("segment %d is W+X", i);
		if (s->flags & ~(uint32_t)(ELF_PF_R | ELF_PF_W | ELF_PF_X))
			elf_check_fail("segment %d: unknown flags", i);
		uint64_t first = s->vaddr / page, last = (s->vaddr + s->memsz - 1) / page;
		pages += last - first + 1;
		for (int j = 0; j < i; j++) {
			const struct elf_segment *t = &img->seg[j];
			uint64_t tf = t->vaddr / page, tl = (t->vaddr + t->memsz - 1) / page;
			if (first <= tl && tf <= last)
				elf_check_fail("segments %d and %d share a page", j, i);
		}
		if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			exec_entry = 1;
	}
	if (!exec_entry)
		elf_check_fail("entry 0x%llx not in an executable segment",
			       (unsigned long long)img->entry);
	if (img->mem_bytes != pages * page || img->mem_bytes > lim->max_bytes)
		elf_check_fail("mem_bytes %llu (pages %llu, max %llu)",
			       (unsigned long long)img->mem_bytes,
			       (unsigned long long)pages, (unsigned long long)lim->max_bytes);
	if (img->phdr_vaddr != 0) {
		int found = 0;
		for (int i = 0; i < img->nsegments; i++) {
			const struct elf_segment *s = &img->seg[i];
			if (img->phoff >= s->offset &&
			    img->phoff + img->phnum * (uint64_t)ELF_PHDR_SIZE <= s->offset + s->filesz &&
			    img->phdr_vaddr == s->vaddr + (img->phoff - s->offset))
				found = 1;
		}
		if (!found)
			elf_check_fail("phdr_vaddr 0x%llx is not where a segment loads the table",
				       (unsigned long long)img->phdr_vaddr);
	}
}

/*
 * elf_parse() with every property above checked; returns its result
 * (and *img, *why) for the caller to print.
 */
static int elf_parse_checked(const uint8_t *data, size_t size,
			     const struct elf_limits *lim, struct elf_image *img,
			     const char **why)
{
	struct elf_image piece;
	const char *why2 = NULL;
	int err = elf_parse(data, size, lim, img, why);

	if (err != 0 && err != -ENOEXEC && err != -ENOMEM)
		elf_check_fail("elf_parse returned %d", err);
	if ((err != 0) != (*why != NULL))
		elf_check_fail("a reason must be given exactly on failure");

	/* The same file through the piecewise API, as lab 4's fexec uses it. */
	size_t hlen = size < ELF_EHDR_SIZE ? size : ELF_EHDR_SIZE;
	uint8_t *ehdr = elf_check_copy(data, hlen);
	int err2 = elf_check_ehdr(ehdr, hlen, size, &piece, &why2);
	free(ehdr);
	if (err2 == 0) {
		size_t tlen = (size_t)piece.phnum * ELF_PHDR_SIZE;
		uint8_t *table = elf_check_copy(data + piece.phoff, tlen);
		err2 = elf_check_phdrs(table, tlen, size, lim, &piece, &why2);
		free(table);
	}
	if (err != err2 || *why != why2)
		elf_check_fail("elf_parse says %d (%s), piecewise %d (%s)", err,
			       *why ? *why : "ok", err2, why2 ? why2 : "ok");
	if (err == 0) {
		elf_check_same(img, &piece);
		elf_check_image(size, lim, img);
	}
	return err;
}

#endif

/*
 * ELF64 executable validation (see elf.h for the rules and the API).
 *
 * The input is hostile: a user's file, or a fuzzer's bytes. So every field
 * is read with a memcpy-based little-endian load (the buffer may be
 * unaligned), every range is checked as `off <= size && len <= size - off`
 * (never `off + len <= size`, which wraps around in 64 bits), and the work
 * is bounded by ELF_MAX_PHNUM and ELF_MAX_SEGMENTS.
 */
#include "elf.h"
#include "string.h"
#include <stdbool.h>
#include <stddef.h>
#include <ochre/errno.h>

#include "le.h"

#define EH(field) offsetof(struct elf64_ehdr, field)
#define PH(field) offsetof(struct elf64_phdr, field)

static int fail(const char **why, int err, const char *reason)
{
	if (why)
		*why = reason;
	return err;
}

#define NOEXEC(reason) fail(why, -ENOEXEC, reason)

/* True if [off, off + len) lies inside a file of `size` bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int elf_check_ehdr(const void *ehdr, size_t len, uint64_t file_size,
		   struct elf_image *img, const char **why)
{
	const uint8_t *h = ehdr;

	memset(img, 0, sizeof(*img));
	if (why)
		*why = NULL;
	if (len < ELF_EHDR_SIZE || file_size < ELF_EHDR_SIZE)
		return NOEXEC("file too short for an ELF header");
	if (memcmp(h, ELF_MAGIC, ELF_MAGIC_LEN) != 0)
		return NOEXEC("not an ELF file (bad magic)");
	if (h[ELF_EI_CLASS] != ELF_CLASS64)
		return NOEXEC("not a 64-bit ELF file");
	if (h[ELF_EI_DATA] != ELF_DATA2LSB)
		return NOEXEC("not a little-endian ELF file");
	if (h[ELF_EI_VERSION] != ELF_EV_CURRENT || le32(h + EH(e_version)) != ELF_EV_CURRENT)
		return NOEXEC("unknown ELF version");

	uint16_t type = le16(h + EH(e_type));
	if (type == ELF_ET_DYN)
		return NOEXEC("dynamic executables are not supported");
	if (type != ELF_ET_EXEC)
		return NOEXEC("not an executable (e_type is not ET_EXEC)");
	if (le16(h + EH(e_machine)) != ELF_EM_X86_64)
		return NOEXEC("not an x86-64 executable");
	if (le16(h + EH(e_phentsize)) != ELF_PHDR_SIZE)
		return NOEXEC("program header size is not 56");

	uint16_t phnum = le16(h + EH(e_phnum));
	uint64_t phoff = le64(h + EH(e_phoff));
	if (phnum == 0)
		return NOEXEC("no program headers");
	if (phnum > ELF_MAX_PHNUM)
		return NOEXEC("too many program headers");
	if (!in_file(phoff, (uint64_t)phnum * ELF_PHDR_SIZE, file_size))
		return NOEXEC("program headers outside the file");

	img->entry = le64(h + EH(e_entry));
	img->phoff = phoff;
	img->phnum = phnum;
	return 0;
}

/* First and last page (inclusive, so nothing rounds past 2^64) of a segment. */
static uint64_t first_page(const struct elf_segment *s)
{
	return s->vaddr & ~(uint64_t)(ELF_PAGE_SIZE - 1);
}

static uint64_t last_page(const struct elf_segment *s)
{
	return (s->vaddr + s->memsz - 1) & ~(uint64_t)(ELF_PAGE_SIZE - 1);
}

/*
 * Segments may not share a page: a page has one set of permissions, and a
 * loader maps each segment's pages on their own.
 */
static bool shares_page(const struct elf_segment *a, const struct elf_segment *b)
{
	return first_page(a) <= last_page(b) && first_page(b) <= last_page(a);
}

/* Checks one PT_LOAD and appends it to img (unless it is empty). */
static int add_load(const uint8_t *ph, uint64_t file_size,
		    const struct elf_limits *lim, struct elf_image *img,
		    const char **why)
{
	struct elf_segment s = {
		.vaddr = le64(ph + PH(p_vaddr)),
		.memsz = le64(ph + PH(p_memsz)),
		.offset = le64(ph + PH(p_offset)),
		.filesz = le64(ph + PH(p_filesz)),
		.flags = le32(ph + PH(p_flags)) & (ELF_PF_R | ELF_PF_W | ELF_PF_X),
	};

	if (s.filesz > s.memsz)
		return NOEXEC("segment file size exceeds its memory size");
	if (!in_file(s.offset, s.filesz, file_size))
		return NOEXEC("segment data outside the file");
	if (s.memsz == 0)
		return 0;	/* occupies no memory: nothing to load or check */
	if (s.vaddr > UINT64_MAX - s.memsz)
		return NOEXEC("segment address range wraps around");
	if (s.vaddr < lim->user_min || s.vaddr > lim->user_top ||
	    s.memsz > lim->user_top - s.vaddr)
		return NOEXEC("segment outside user space");
	if (s.vaddr % ELF_PAGE_SIZE != s.offset % ELF_PAGE_SIZE)
		return NOEXEC("segment address and file offset differ modulo the page size");
	if ((s.flags & ELF_PF_W) && (s.flags & ELF_PF_X))
		return NOEXEC("segment is both writable and executable (W^X)");
	for (int i = 0; i < img->nsegments; i++)
		if (shares_page(&s, &img->seg[i]))
			return NOEXEC("segments overlap (they share a page)");
	if (img->nsegments == ELF_MAX_SEGMENTS)
		return NOEXEC("too many loadable segments");
	img->seg[img->nsegments++] = s;
	return 0;
}

static bool entry_is_executable(const struct elf_image *img)
{
	for (int i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			return true;
	}
	return false;
}

/* The program header table's address once loaded, for AT_PHDR; 0 if no
   segment carries it. */
static uint64_t phdr_address(const struct elf_image *img)
{
	uint64_t table = (uint64_t)img->phnum * ELF_PHDR_SIZE;
	for (int i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (img->phoff >= s->offset && img->phoff - s->offset <= s->filesz &&
		    table <= s->filesz - (img->phoff - s->offset))
			return s->vaddr + (img->phoff - s->offset);
	}
	return 0;
}

int elf_check_phdrs(const void *phdrs, size_t len, uint64_t file_size,
		    const struct elf_limits *lim, struct elf_image *img,
		    const char **why)
{
	const uint8_t *p = phdrs;
	int err;

	if (why)
		*why = NULL;
	img->nsegments = 0;
	if (img->phnum == 0 || img->phnum > ELF_MAX_PHNUM ||
	    len < (size_t)img->phnum * ELF_PHDR_SIZE)
		return NOEXEC("program headers truncated");

	for (uint32_t i = 0; i < img->phnum; i++) {
		const uint8_t *ph = p + (size_t)i * ELF_PHDR_SIZE;
		switch (le32(ph + PH(p_type))) {
		case ELF_PT_INTERP:
		case ELF_PT_DYNAMIC:
			return NOEXEC("dynamic executables are not supported");
		case ELF_PT_LOAD:
			err = add_load(ph, file_size, lim, img, why);
			if (err)
				return err;
			break;
		default:
			break;	/* PT_NOTE, PT_GNU_STACK, PT_PHDR ...: nothing to do */
		}
	}
	if (img->nsegments == 0)
		return NOEXEC("no loadable segment");
	if (!entry_is_executable(img))
		return NOEXEC("entry point is not in an executable segment");

	/*
	 * Segments share no page, so their page counts add up without double
	 * counting. Each count is below 2^52 and there are at most 16, so the
	 * sum cannot overflow; comparing pages (not bytes) avoids the multiply.
	 */
	uint64_t pages = 0;
	for (int i = 0; i < img->nsegments; i++)
		pages += (last_page(&img->seg[i]) - first_page(&img->seg[i])) / ELF_PAGE_SIZE + 1;
	if (pages > lim->max_bytes / ELF_PAGE_SIZE)
		return fail(why, -ENOMEM, "segments need more memory than allowed");
	img->mem_bytes = pages * ELF_PAGE_SIZE;
	img->phdr_vaddr = phdr_address(img);
	return 0;
}

int elf_parse(const void *data, size_t size, const struct elf_limits *lim,
	      struct elf_image *out, const char **why)
{
	int err = elf_check_ehdr(data, size, size, out, why);
	if (err)
		return err;
	/* elf_check_ehdr() guarantees the table is inside [data, data + size). */
	return elf_check_phdrs((const uint8_t *)data + out->phoff,
			       size - out->phoff, size, lim, out, why);
}

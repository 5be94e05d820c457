/*
 * Host test driver for common/lib/elf.c, built with ASan and UBSan by
 * grader/host/test_elf.py:
 *
 *   cc -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
 *      -I common/include grader/host/elf_host.c common/lib/elf.c -o elf_host
 *
 *   elf_host [--min A] [--top A] [--max BYTES] FILE
 *       parses FILE and prints either
 *           ok entry=0x.. phoff=0x.. phnum=N phdr=0x.. mem=BYTES nseg=N
 *           seg vaddr=0x.. memsz=0x.. offset=0x.. filesz=0x.. flags=R-X
 *           ...
 *       (exit 0) or "ENOEXEC: reason" / "ENOMEM: reason" (exit 1).
 *   elf_host [limits] --truncate FILE
 *       FILE must be accepted; then every prefix of it is parsed: those
 *       shorter than the bytes the headers and segments need must give
 *       ENOEXEC, longer ones the same image. Prints a count (exit 0).
 *
 * Limits default to Ochre's user space: [0x1000, 0x7ffffffff000) and
 * 256 MiB. Every parse goes through elf_parse_checked() (fuzz/check_elf.h),
 * which also runs the piecewise API and checks the result's invariants,
 * from exact-size heap copies at an aligned and an odd address; a
 * violation aborts (exit status 134 with a message).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check_elf.h"

static struct elf_limits lim = { 0x1000, 0x00007ffffffff000ULL, 256ULL << 20 };

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Parses `size` bytes of data twice: from an exact-size copy, and from a
   copy at an odd address (the fuzzer's unaligned buffers); both must agree. */
static int parse(const uint8_t *data, size_t size, struct elf_image *img, const char **why)
{
	uint8_t *copy = malloc(size ? size : 1);
	uint8_t *odd = malloc(size + 1);
	struct elf_image img2;
	const char *why2;
	if (!copy || !odd)
		abort();
	memcpy(copy, data, size);
	memcpy(odd + 1, data, size);
	int err = elf_parse_checked(copy, size, &lim, img, why);
	int err2 = elf_parse_checked(odd + 1, size, &lim, &img2, &why2);
	if (err != err2 || *why != why2)
		elf_check_fail("the result depends on the buffer's alignment");
	if (err == 0)
		elf_check_same(img, &img2);
	free(copy);
	free(odd);
	return err;
}

static void print_result(int err, const struct elf_image *img, const char *why)
{
	if (err) {
		printf("%s: %s\n", err == -ENOMEM ? "ENOMEM" : "ENOEXEC", why);
		return;
	}
	printf("ok entry=0x%llx phoff=0x%llx phnum=%u phdr=0x%llx mem=%llu nseg=%d\n",
	       (unsigned long long)img->entry, (unsigned long long)img->phoff,
	       img->phnum, (unsigned long long)img->phdr_vaddr,
	       (unsigned long long)img->mem_bytes, img->nsegments);
	for (int i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		printf("seg vaddr=0x%llx memsz=0x%llx offset=0x%llx filesz=0x%llx flags=%c%c%c\n",
		       (unsigned long long)s->vaddr, (unsigned long long)s->memsz,
		       (unsigned long long)s->offset, (unsigned long long)s->filesz,
		       s->flags & ELF_PF_R ? 'R' : '-', s->flags & ELF_PF_W ? 'W' : '-',
		       s->flags & ELF_PF_X ? 'X' : '-');
	}
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Bytes a valid file needs: its header, its program headers, and the file
   bytes of every PT_LOAD (empty ones included: their offset is checked). */
static uint64_t bytes_needed(const uint8_t *data, const struct elf_image *img)
{
	uint64_t need = img->phoff + (uint64_t)img->phnum * ELF_PHDR_SIZE;
	if (need < ELF_EHDR_SIZE)
		need = ELF_EHDR_SIZE;
	for (uint32_t i = 0; i < img->phnum; i++) {
		const uint8_t *ph = data + img->phoff + (uint64_t)i * ELF_PHDR_SIZE;
		if (le(ph, 4) != ELF_PT_LOAD)
			continue;
		uint64_t end = le(ph + 8, 8) + le(ph + 32, 8);	/* p_offset + p_filesz */
		if (end > need)
			need = end;
	}
	return need;
}

static int truncate_all(const uint8_t *data, size_t size)
{
	struct elf_image full, img;
	const char *why;
	if (parse(data, size, &full, &why) != 0) {
		fprintf(stderr, "elf_host: --truncate needs a valid file: %s\n", why);
		return 2;
	}
	uint64_t need = bytes_needed(data, &full);
	size_t rejected = 0, accepted = 0;
	for (size_t len = 0; len < size; len++) {
		int err = parse(data, len, &img, &why);
		if (len < need && err != -ENOEXEC)
			elf_check_fail("prefix of %zu bytes (< %llu needed) gave %d", len,
				       (unsigned long long)need, err);
		if (len >= need) {
			if (err != 0)
				elf_check_fail("prefix of %zu bytes (>= %llu needed) rejected: %s",
					       len, (unsigned long long)need, why);
			elf_check_same(&full, &img);
		}
		err ? rejected++ : accepted++;
	}
	printf("truncate: %zu prefixes rejected, %zu accepted (%llu bytes needed)\n",
	       rejected, accepted, (unsigned long long)need);
	return 0;
}

static uint64_t number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "elf_host: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int truncate = 0, i;
	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--min"))
			lim.user_min = number(argv[++i]);
		else if (!strcmp(argv[i], "--top"))
			lim.user_top = number(argv[++i]);
		else if (!strcmp(argv[i], "--max"))
			lim.max_bytes = number(argv[++i]);
		else if (!strcmp(argv[i], "--truncate"))
			truncate = 1;
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: elf_host [--min A] [--top A] [--max BYTES] [--truncate] FILE\n");
		return 2;
	}
	size_t size;
	uint8_t *data = read_file(argv[i], &size);
	if (truncate) {
		int rc = truncate_all(data, size);
		free(data);
		return rc;
	}

	struct elf_image img;
	const char *why;
	int err = parse(data, size, &img, &why);
	print_result(err, &img, why);
	free(data);
	return err ? 1 : 0;
}

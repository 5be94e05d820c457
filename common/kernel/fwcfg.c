/*
 * QEMU's firmware configuration device (fw_cfg), legacy I/O interface:
 * write a 16-bit selector to port 0x510, read bytes from 0x511. Selector
 * 0x19 is a directory of named files (big-endian fields).
 */
#include "kernel.h"
#include "cmdline.h"
#include "x86.h"

#define FWCFG_SELECTOR	0x510
#define FWCFG_DATA	0x511
#define FWCFG_SIGNATURE	0x0000
#define FWCFG_FILE_DIR	0x0019

struct fwcfg_file {
	uint32_t size;		/* big-endian */
	uint16_t select;	/* big-endian */
	uint16_t reserved;
	char name[56];
};

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint16_t be16(uint16_t v)
{
	return __builtin_bswap16(v);
}

static void fwcfg_read(void *buf, size_t n)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i++)
		p[i] = inb(FWCFG_DATA);
}

static bool fwcfg_present(void)
{
	char sig[4];
	outw(FWCFG_SELECTOR, FWCFG_SIGNATURE);
	fwcfg_read(sig, 4);
	return memcmp(sig, "QEMU", 4) == 0;
}

int fwcfg_read_file(const char *name, void *buf, size_t size)
{
	if (!fwcfg_present())
		return -ENOENT;
	uint32_t count;
	outw(FWCFG_SELECTOR, FWCFG_FILE_DIR);
	fwcfg_read(&count, 4);
	count = be32(count);
	for (uint32_t i = 0; i < count; i++) {
		struct fwcfg_file f;
		fwcfg_read(&f, sizeof(f));
		f.name[sizeof(f.name) - 1] = '\0';
		if (strcmp(f.name, name) != 0)
			continue;
		uint32_t len = be32(f.size);
		outw(FWCFG_SELECTOR, be16(f.select));
		fwcfg_read(buf, MIN((size_t)len, size));
		return (int)len;
	}
	return -ENOENT;
}

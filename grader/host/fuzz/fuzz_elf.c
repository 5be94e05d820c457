/*
 * Fuzz target for common/lib/elf.c (libFuzzer interface; without libFuzzer
 * link it with fuzz_main.c). See docs/fuzzing.md.
 *
 * Each input is parsed under three sets of limits: Ochre's user space, the
 * widest possible range (to reach the 64-bit wrap-around checks), and a
 * small window with a tiny memory budget (to reach the range and -ENOMEM
 * checks). check_elf.h aborts if any property of the result fails.
 */
#include "check_elf.h"

static const struct elf_limits limits[] = {
	{ 0x1000, 0x00007ffffffff000ULL, 64ULL << 20 },
	{ 0, UINT64_MAX, UINT64_MAX },
	{ 0x400000, 0x800000, 16384 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct elf_image img;
		const char *why;
		elf_parse_checked(data, size, &limits[i], &img, &why);
	}
	return 0;
}

/*
 * Fuzz target for common/lib/initfs.c (libFuzzer interface; without
 * libFuzzer link it with fuzz_main.c). See docs/fuzzing.md.
 *
 * Mutated images almost never have a matching CRC, so the structure checks
 * run with INITFS_SKIP_CRC, and an accepted image is walked and read
 * completely (check_initfs.h aborts if any property fails). The CRC path
 * runs too: an image valid with its CRC must be valid without it.
 */
#include "check_initfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct initfs fs;
	struct initfs_diag diag;
	int skip = initfs_validate_checked(data, size, INITFS_SKIP_CRC, &fs, &diag, NULL);
	int full = initfs_validate(data, size, 0, &fs, &diag);
	if (full == 0 && skip != 0)
		initfs_check_fail("valid with the CRC check, invalid without");
	if (full != 0 && skip == 0 && diag.code != INITFS_E_CRC)
		initfs_check_fail("only the CRC differs, but diag says %s",
				  initfs_error_name(diag.code));
	return 0;
}

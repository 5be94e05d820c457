/*
 * Host test driver for common/lib/initfs.c, built with ASan and UBSan by
 * grader/host/test_initfs.py:
 *
 *   cc -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
 *      -I common/include grader/host/initfs_host.c common/lib/initfs.c -o initfs_host
 *
 *   initfs_host check IMG [--skip-crc]
 *       "ok inodes=N size=BYTES" (exit 0), or
 *       "bad CODE offset=0xOFF inode=N|-: reason" (exit 1)
 *   initfs_host list IMG       the tree, as `mkinitfs --check` prints it
 *   initfs_host cat IMG PATH   a file's bytes (or a symlink's target) to stdout
 *   initfs_host lookup IMG HEX lookup of the path whose bytes are HEX (so a
 *                              test can pass NUL bytes): "ino=N type=T
 *                              mode=0MMM size=S" (exit 0) or "ENOENT" ...
 *                              (exit 1)
 *   initfs_host truncate IMG   every prefix of a valid IMG must be rejected
 *                              as "truncated"; prints a count
 *   initfs_host crc FILE       CRC-32 of FILE in one call and in pieces
 *
 * Every validation goes through initfs_validate_checked() (fuzz/
 * check_initfs.h): an accepted image is walked and read completely and
 * every property checked; a violation aborts with a message. The image is
 * always an exact-size heap copy, so ASan sees any read past its end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check_initfs.h"

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

static const char *errno_name(int err)
{
	switch (-err) {
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EIO: return "EIO";
	default: return "E?";
	}
}

/* Validates or exits 1 with the diag line. */
static void open_image(const uint8_t *img, size_t len, unsigned flags, struct initfs *fs)
{
	struct initfs_diag diag;
	if (initfs_validate_checked(img, len, flags, fs, &diag, NULL) == 0)
		return;
	printf("bad %s offset=0x%llx inode=", initfs_error_name(diag.code),
	       (unsigned long long)diag.offset);
	if (diag.inode == INITFS_NO_INODE)
		printf("-");
	else
		printf("%u", diag.inode);
	printf(": %s\n", diag.reason);
	exit(1);
}

static int cmd_lookup(const struct initfs *fs, const char *hex)
{
	size_t n = strlen(hex) / 2;
	char *path = malloc(n + 1);
	uint32_t ino;
	struct initfs_stat st;
	if (!path)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			exit(2);
		path[i] = (char)v;
	}
	/* The exact length: a read past it would be an ASan report. */
	char *exact = malloc(n ? n : 1);
	memcpy(exact, path, n);
	int err = initfs_lookupn(fs, exact, n, &ino);
	free(exact);
	if (err) {
		printf("%s\n", errno_name(err));
		free(path);
		return 1;
	}
	/* The NUL-terminated variant must agree when there is no NUL inside. */
	path[n] = '\0';
	uint32_t ino2;
	if (!memchr(path, 0, n) && (initfs_lookup(fs, path, &ino2) != 0 || ino2 != ino))
		initfs_check_fail("initfs_lookup and initfs_lookupn disagree");
	free(path);
	initfs_stat(fs, ino, &st);
	printf("ino=%u type=%u mode=0%o size=%llu\n", ino, st.type, st.mode,
	       (unsigned long long)st.size);
	return 0;
}

static int cmd_cat(const struct initfs *fs, const char *path)
{
	uint32_t ino;
	char buf[1000];
	int err = initfs_lookup(fs, path, &ino);
	if (err) {
		fprintf(stderr, "initfs_host: %s: %s\n", path, errno_name(err));
		return 1;
	}
	for (uint64_t off = 0;;) {
		int64_t n = initfs_read(fs, ino, off, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "initfs_host: %s: %s\n", path, errno_name((int)n));
			return 1;
		}
		if (n == 0)
			return 0;
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
	}
}

static int cmd_truncate(const uint8_t *img, size_t len)
{
	struct initfs fs;
	struct initfs_diag diag;
	open_image(img, len, 0, &fs);
	uint64_t size = fs.size;
	for (size_t n = 0; n < size; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, img, n);
		if (initfs_validate_checked(copy, n, 0, &fs, &diag, NULL) == 0 ||
		    diag.code != INITFS_E_TRUNCATED)
			initfs_check_fail("prefix of %zu bytes: %s", n,
					  initfs_error_name(diag.code));
		free(copy);
	}
	printf("truncate: %llu prefixes rejected\n", (unsigned long long)size);
	return 0;
}

static int cmd_crc(const uint8_t *data, size_t len)
{
	uint32_t whole = initfs_crc32(0, data, len), pieces = 0;
	for (size_t off = 0; off < len; off += 997) {
		size_t n = len - off < 997 ? len - off : 997;
		pieces = initfs_crc32(pieces, data + off, n);
	}
	if (whole != pieces)
		initfs_check_fail("CRC in pieces differs");
	printf("%08x\n", whole);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: initfs_host check|list|cat|lookup|truncate|crc FILE [ARG]\n");
		return 2;
	}
	const char *cmd = argv[1];
	size_t len;
	uint8_t *img = read_file(argv[2], &len);
	struct initfs fs;
	int rc = 0;

	if (!strcmp(cmd, "crc")) {
		rc = cmd_crc(img, len);
	} else if (!strcmp(cmd, "truncate")) {
		rc = cmd_truncate(img, len);
	} else if (!strcmp(cmd, "check")) {
		unsigned flags = argc > 3 && !strcmp(argv[3], "--skip-crc") ? INITFS_SKIP_CRC : 0;
		open_image(img, len, flags, &fs);
		printf("ok inodes=%u size=%llu\n", fs.inode_count, (unsigned long long)fs.size);
	} else if (!strcmp(cmd, "list")) {
		open_image(img, len, 0, &fs);
		initfs_walk(&fs, stdout);
	} else if (!strcmp(cmd, "cat") && argc == 4) {
		open_image(img, len, 0, &fs);
		rc = cmd_cat(&fs, argv[3]);
	} else if (!strcmp(cmd, "lookup") && argc == 4) {
		open_image(img, len, 0, &fs);
		rc = cmd_lookup(&fs, argv[3]);
	} else {
		fprintf(stderr, "initfs_host: bad command\n");
		rc = 2;
	}
	free(img);
	return rc;
}

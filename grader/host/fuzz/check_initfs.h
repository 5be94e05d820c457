/*
 * What must hold for any input to common/lib/initfs.c, whatever the bytes:
 * shared by the fuzz target (fuzz_initfs.c) and the test driver
 * (initfs_host.c). Host code: uses libc, aborts with a message when a
 * property fails.
 *
 *   - a rejection is -EINVAL with a diag code in 1..INITFS_E_COUNT-1, a
 *     reason, and an offset inside the input;
 *   - an accepted image is a tree: a depth-first walk with readdir from the
 *     root meets every inode exactly once; every entry's type is its
 *     inode's type, names are valid and strictly increasing; lookup of the
 *     entry's full path and initfs_find() in its directory give the
 *     entry's inode back;
 *   - every file reads completely and identically in pieces of several
 *     sizes, matching initfs_data(), and reads at or past the end give 0;
 *     every symlink's readlink equals its read; directories give -EISDIR
 *     on read; non-directories give -ENOTDIR on readdir and as a middle
 *     path component; a bad inode number gives -EINVAL.
 *
 * initfs_walk() optionally prints the tree like `mkinitfs --check`.
 */
#ifndef CHECK_INITFS_H
#define CHECK_INITFS_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../common/lib/initfs.h"
#include <ochre/errno.h>

__attribute__((format(printf, 1, 2), noreturn))
static void initfs_check_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "check_initfs: property violated: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void initfs_check_file(const struct initfs *fs, uint32_t ino, uint64_t size)
{
	const void *data;
	uint64_t dsize;
	int err = initfs_data(fs, ino, &data, &dsize);
	if (err || dsize != size)
		initfs_check_fail("inode %" PRIu32 ": initfs_data %d, size %" PRIu64
				  " (stat %" PRIu64 ")", ino, err, dsize, size);
	if ((const uint8_t *)data < fs->img || (const uint8_t *)data + size > fs->img + fs->size)
		initfs_check_fail("inode %" PRIu32 ": data outside the image", ino);

	/* Whole, then in odd-sized pieces; a small buffer, so big files are
	   read in many calls. */
	static const uint64_t pieces[] = { 1, 7, 4096, 65536 };
	uint8_t *buf = malloc(65536);
	if (!buf)
		abort();
	for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
		uint64_t off = 0;
		for (;;) {
			int64_t n = initfs_read(fs, ino, off, buf, pieces[p]);
			if (n < 0 || (uint64_t)n > pieces[p])
				initfs_check_fail("inode %" PRIu32 ": read returned %" PRId64, ino, n);
			if (n == 0)
				break;
			if (memcmp(buf, (const uint8_t *)data + off, (size_t)n) != 0)
				initfs_check_fail("inode %" PRIu32 ": read differs at %" PRIu64, ino, off);
			off += (uint64_t)n;
			/* 1-byte pieces of a big file would take long; sample. */
			if (pieces[p] == 1 && off >= 256)
				break;
		}
		if (pieces[p] != 1 && off != size)
			initfs_check_fail("inode %" PRIu32 ": read %" PRIu64 " of %" PRIu64 " bytes",
					  ino, off, size);
	}
	if (initfs_read(fs, ino, size, buf, 1) != 0 ||
	    initfs_read(fs, ino, UINT64_MAX, buf, 1) != 0)
		initfs_check_fail("inode %" PRIu32 ": read at or past the end is not 0", ino);
	free(buf);
}

static void initfs_check_link(const struct initfs *fs, uint32_t ino, uint64_t size)
{
	const char *target;
	uint32_t len;
	char buf[INITFS_PATH_MAX];
	const void *data;
	uint64_t dsize;

	if (initfs_readlink(fs, ino, &target, &len) != 0 || len != size ||
	    len < 1 || len >= INITFS_PATH_MAX)
		initfs_check_fail("inode %" PRIu32 ": readlink", ino);
	if (memchr(target, 0, len))
		initfs_check_fail("inode %" PRIu32 ": target contains NUL", ino);
	if (initfs_read(fs, ino, 0, buf, sizeof(buf)) != (int64_t)len ||
	    memcmp(buf, target, len) != 0)
		initfs_check_fail("inode %" PRIu32 ": read of a symlink is not its target", ino);
	if (initfs_data(fs, ino, &data, &dsize) != -EINVAL)
		initfs_check_fail("inode %" PRIu32 ": initfs_data of a symlink", ino);
}

/* Checks one entry met by the walk; path is its full path (len bytes). */
static void initfs_check_entry(const struct initfs *fs, uint32_t dir,
			       const struct initfs_entry *e, const char *path,
			       size_t len)
{
	struct initfs_stat st;
	uint32_t found;
	int err;

	if (initfs_stat(fs, e->inode, &st) != 0 || st.type != e->type || st.ino != e->inode)
		initfs_check_fail("%.*s: stat disagrees with the entry", (int)len, path);
	if (e->name_len < 1 || e->name_len > INITFS_NAME_MAX || memchr(e->name, '/', e->name_len) ||
	    memchr(e->name, 0, e->name_len))
		initfs_check_fail("%.*s: bad name accepted", (int)len, path);
	if (initfs_find(fs, dir, e->name, e->name_len, &found) != 0 || found != e->inode)
		initfs_check_fail("%.*s: initfs_find does not find it", (int)len, path);
	err = initfs_lookupn(fs, path, len, &found);
	if (len < INITFS_PATH_MAX ? (err != 0 || found != e->inode) : err != -ENAMETOOLONG)
		initfs_check_fail("%.*s: lookup gives %d", (int)len, path, err);

	if (st.type == INITFS_DIR) {
		char b;
		const void *data;
		uint64_t size;
		if (initfs_read(fs, e->inode, 0, &b, 1) != -EISDIR ||
		    initfs_data(fs, e->inode, &data, &size) != -EISDIR)
			initfs_check_fail("%.*s: read of a directory", (int)len, path);
		return;
	}
	struct initfs_entry sub;
	if (initfs_readdir(fs, e->inode, 0, &sub) != -ENOTDIR)
		initfs_check_fail("%.*s: readdir of a non-directory", (int)len, path);
	if (len + 2 < INITFS_PATH_MAX) {
		char *p = malloc(len + 2);
		if (!p)
			abort();
		memcpy(p, path, len);
		memcpy(p + len, "/x", 2);
		if (initfs_lookupn(fs, p, len + 2, &found) != -ENOTDIR)
			initfs_check_fail("%.*s/x: lookup through a non-directory", (int)len, path);
		free(p);
	}
	if (st.type == INITFS_FILE)
		initfs_check_file(fs, e->inode, st.size);
	else
		initfs_check_link(fs, e->inode, st.size);
}

static void initfs_print(FILE *out, const struct initfs *fs, uint32_t ino,
			 const char *path, size_t len)
{
	static const char type_char[] = "?d-l";
	struct initfs_stat st;
	initfs_stat(fs, ino, &st);
	fprintf(out, "%c%04o %10" PRIu64 " %.*s", type_char[st.type & 3], st.mode,
		st.size, len ? (int)len : 1, len ? path : "/");
	if (st.type == INITFS_SYMLINK) {
		const char *t;
		uint32_t tlen;
		initfs_readlink(fs, ino, &t, &tlen);
		fprintf(out, " -> %.*s", (int)tlen, t);
	}
	fputc('\n', out);
}

/* Depth-first walk of a validated image, checking everything above. */
static void initfs_walk(const struct initfs *fs, FILE *list)
{
	struct frame { uint32_t dir, index; size_t len; uint8_t prev_len; const char *prev; };
	uint32_t n = fs->inode_count, visited = 1;
	uint8_t *seen = calloc(n, 1);
	struct frame *stack = malloc(sizeof(*stack) * n);
	size_t cap = 1024, depth = 0;
	char *path = malloc(cap);
	struct initfs_stat st;
	struct initfs_entry e;
	uint32_t found;

	if (!seen || !stack || !path)
		abort();
	if (initfs_stat(fs, INITFS_ROOT, &st) != 0 || st.type != INITFS_DIR)
		initfs_check_fail("the root is not a directory");
	if (initfs_stat(fs, n, &st) != -EINVAL || initfs_read(fs, n, 0, path, 1) != -EINVAL ||
	    initfs_readdir(fs, n, 0, &e) != -EINVAL || initfs_find(fs, n, "a", 1, &found) != -EINVAL)
		initfs_check_fail("inode number %" PRIu32 " (= inode_count) accepted", n);
	if (initfs_lookup(fs, "/", &found) != 0 || found != INITFS_ROOT ||
	    initfs_lookup(fs, "", &found) != 0 || found != INITFS_ROOT)
		initfs_check_fail("lookup of the root");
	if (initfs_find(fs, INITFS_ROOT, "", 0, &found) != -ENOENT)
		initfs_check_fail("an empty name was found");
	if (list)
		initfs_print(list, fs, INITFS_ROOT, path, 0);

	seen[INITFS_ROOT] = 1;
	stack[depth++] = (struct frame){ INITFS_ROOT, 0, 0, 0, NULL };
	while (depth > 0) {
		struct frame *top = &stack[depth - 1];
		int r = initfs_readdir(fs, top->dir, top->index++, &e);
		if (r == 1) {
			depth--;
			continue;
		}
		if (r != 0)
			initfs_check_fail("readdir of inode %" PRIu32 ": %d", top->dir, r);
		if (e.inode >= n || seen[e.inode])
			initfs_check_fail("inode %" PRIu32 " met twice or out of range", e.inode);
		seen[e.inode] = 1;
		visited++;
		if (top->prev) {
			size_t m = top->prev_len < e.name_len ? top->prev_len : e.name_len;
			int c = memcmp(top->prev, e.name, m);
			if (c > 0 || (c == 0 && top->prev_len >= e.name_len))
				initfs_check_fail("names of inode %" PRIu32 " not increasing", top->dir);
		}
		top->prev = e.name;
		top->prev_len = (uint8_t)e.name_len;

		size_t len = top->len + 1 + e.name_len;
		if (len > cap) {
			cap = 2 * len;
			path = realloc(path, cap);
			if (!path)
				abort();
		}
		path[top->len] = '/';
		memcpy(path + top->len + 1, e.name, e.name_len);
		initfs_check_entry(fs, top->dir, &e, path, len);
		if (list)
			initfs_print(list, fs, e.inode, path, len);
		if (e.type == INITFS_DIR) {
			if (depth == n)
				initfs_check_fail("deeper than the inode count");
			stack[depth++] = (struct frame){ e.inode, 0, len, 0, NULL };
		}
	}
	if (visited != n)
		initfs_check_fail("the walk met %" PRIu32 " of %" PRIu32 " inodes", visited, n);
	free(seen);
	free(stack);
	free(path);
}

/*
 * initfs_validate() with the properties above checked: the diag of a
 * rejection, and a full walk of an accepted image.
 */
static int initfs_validate_checked(const uint8_t *img, size_t len, unsigned flags,
				   struct initfs *fs, struct initfs_diag *diag,
				   FILE *list)
{
	int err = initfs_validate(img, len, flags, fs, diag);
	if (err == 0) {
		if (diag->code != INITFS_E_OK || fs->img != img || fs->size > len)
			initfs_check_fail("accepted, but diag or handle are wrong");
		initfs_walk(fs, list);
		return 0;
	}
	if (err != -EINVAL || diag->code <= INITFS_E_OK || diag->code >= INITFS_E_COUNT ||
	    !diag->reason || fs->img != NULL)
		initfs_check_fail("rejection %d with diag code %d", err, diag->code);
	if (diag->offset > len && diag->code != INITFS_E_TRUNCATED)
		initfs_check_fail("diag offset 0x%" PRIx64 " outside the input", diag->offset);
	return err;
}

#endif

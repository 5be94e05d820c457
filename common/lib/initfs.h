/*
 * Reading initfs images (format: <ochre/initfs.h>), shared by the kernel's
 * initfs: scheme (lab 3), the user-space initfs daemon (lab 5), mkinitfs
 * --check and the host tests and fuzzers.
 *
 * Pure functions over the image in memory: no allocation, no global state,
 * no I/O, no recursion. Validation is eager and complete: initfs_validate()
 * checks every rule of the format once (O(image size) for the CRC, O(inodes
 * + name bytes) for the rest, O(1) extra memory), and after that lookups
 * cannot loop and every access is still bounds-checked. The image must not
 * change after it was validated (it is a read-only mapping in practice).
 *
 * Errors are negative errno values; names are byte strings with a length,
 * never NUL-terminated in the image.
 */
#ifndef OCHRE_LIB_INITFS_H
#define OCHRE_LIB_INITFS_H

#include <stddef.h>
#include <stdint.h>
#include <ochre/initfs.h>

/* A validated image. Filled by initfs_validate(); read-only afterwards. */
struct initfs {
	const uint8_t *img;
	uint64_t size;		/* header image_size (<= the bytes given) */
	uint32_t inode_count;
	uint64_t inode_off;
	uint64_t strtab_off;
	uint64_t strtab_size;
};

/* What initfs_validate() found wrong (diag->code). */
enum initfs_error {
	INITFS_E_OK = 0,
	INITFS_E_TRUNCATED,	/* shorter than the header or than image_size */
	INITFS_E_MAGIC,		/* not an initfs image */
	INITFS_E_VERSION,	/* not version 1 */
	INITFS_E_HEADER,	/* header_size, flags, reserved, inode_size,
				   inode_count, image_size < 64, crc32 != 0
				   with INITFS_F_NO_CRC */
	INITFS_E_CRC,		/* checksum mismatch */
	INITFS_E_RANGE,		/* a table, data, name or target outside the
				   image (or the strtab) */
	INITFS_E_ALIGN,		/* inode table, dirent array or file data */
	INITFS_E_INODE,		/* type, mode, reserved, root not a directory,
				   directory size, symlink target length/NUL */
	INITFS_E_DIRENT,	/* inode number out of range, reserved, type
				   differs from the inode's */
	INITFS_E_NAME,		/* empty, > 255 bytes, '/', NUL, "." or ".." */
	INITFS_E_ORDER,		/* names not strictly increasing: unsorted or
				   duplicate */
	INITFS_E_TREE,		/* not a tree numbered breadth-first: inode
				   referenced twice, root referenced, cycle,
				   unreachable inode */
	INITFS_E_COUNT
};

#define INITFS_NO_INODE		0xffffffffu

struct initfs_diag {
	int code;		/* INITFS_E_* */
	uint32_t inode;		/* the inode (for dirents: the directory) at
				   fault, or INITFS_NO_INODE */
	uint64_t offset;	/* image offset of the field or struct at fault */
	const char *reason;	/* static text, e.g. "names are not sorted" */
};

/* initfs_validate() flags */
#define INITFS_SKIP_CRC		0x1	/* fuzzers: reach the structure checks */

/*
 * Checks that the first `len` bytes at img hold a valid image (every rule
 * in <ochre/initfs.h>) and fills *fs. Returns 0, or -EINVAL with *diag (if
 * not NULL) saying which rule failed and where. Never reads outside
 * [img, img + len). On failure *fs is zeroed.
 */
int initfs_validate(const void *img, size_t len, unsigned flags,
		    struct initfs *fs, struct initfs_diag *diag);

/* "crc", "tree" ...: a short name for an INITFS_E_* code, for messages. */
const char *initfs_error_name(int code);

/*
 * CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): start with crc = 0 and
 * feed the data in pieces, each call continuing from the last result.
 */
uint32_t initfs_crc32(uint32_t crc, const void *data, size_t len);

/* The crc32 header field for an image of image_size (>= 64) bytes: the CRC
   of the image with that field taken as zero. */
uint32_t initfs_image_crc(const void *img, uint64_t image_size);

/*
 * Path lookup from the root. `path` is components separated by single
 * '/', with an optional leading '/'; "" and "/" are the root. No '.' or
 * '..' handling and no symlink following (callers canonicalize, and a
 * symlink is only ever the last component). Returns 0 and *inode, or
 *   -EINVAL        empty component ("a//b", trailing '/'), "." or "..",
 *                  or a NUL byte (initfs_lookupn)
 *   -ENAMETOOLONG  a component over INITFS_NAME_MAX bytes, or a path of
 *                  INITFS_PATH_MAX bytes or more
 *   -ENOENT        a component does not exist
 *   -ENOTDIR       a component before the last is a file or a symlink
 * The syntax errors (first two) are reported before any lookup.
 */
int initfs_lookup(const struct initfs *fs, const char *path, uint32_t *inode);
int initfs_lookupn(const struct initfs *fs, const char *path, size_t len,
		   uint32_t *inode);

/* One component in directory `dir` (binary search): 0, -ENOENT, -ENOTDIR,
   -EINVAL (bad inode number). */
int initfs_find(const struct initfs *fs, uint32_t dir, const char *name,
		size_t name_len, uint32_t *inode);

struct initfs_stat {
	uint32_t ino;
	uint16_t type;		/* INITFS_DIR/FILE/SYMLINK */
	uint16_t mode;		/* permission bits */
	uint64_t size;		/* DIR: entries * 16; FILE: bytes; SYMLINK: target length */
	uint64_t mtime;
};

/* 0, or -EINVAL for an inode number >= inode_count. */
int initfs_stat(const struct initfs *fs, uint32_t inode, struct initfs_stat *st);

/*
 * Copies up to len bytes from offset off of a file (or of a symlink's
 * target) to buf. Returns the count, 0 at or past the end, -EISDIR for a
 * directory, -EINVAL for a bad inode number.
 */
int64_t initfs_read(const struct initfs *fs, uint32_t inode, uint64_t off,
		    void *buf, uint64_t len);

/* A file's bytes in place, without copying (exec, mmap): 0, -EISDIR,
   -EINVAL. */
int initfs_data(const struct initfs *fs, uint32_t inode, const void **data,
		uint64_t *size);

struct initfs_entry {
	uint32_t inode;
	uint8_t type;		/* INITFS_DIR/FILE/SYMLINK */
	uint16_t name_len;
	const char *name;	/* name_len bytes, NOT NUL-terminated */
};

/*
 * Entry number `index` (0, 1, ...) of directory `dir`, in name order.
 * Returns 0 and *ent, 1 past the last entry, -ENOTDIR, or -EINVAL.
 */
int initfs_readdir(const struct initfs *fs, uint32_t dir, uint32_t index,
		   struct initfs_entry *ent);

/* A symlink's target in place (not NUL-terminated): 0, or -EINVAL if the
   inode is not a symlink. */
int initfs_readlink(const struct initfs *fs, uint32_t inode,
		    const char **target, uint32_t *len);

#endif

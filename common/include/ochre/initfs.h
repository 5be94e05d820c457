/*
 * The initfs image format, version 1 (the ABI between common/tools/mkinitfs,
 * the kernel's initfs: scheme of lab 3 and the user-space initfs daemon of
 * lab 5). An image is a read-only tree of directories, regular files and
 * symbolic links, loaded by GRUB as a module.
 *
 * All integers are little-endian; every struct is naturally aligned and
 * every table 8-aligned, so an image at a page-aligned address could be
 * read through these structs directly. Readers of untrusted images still
 * decode fields with memcpy-based loads (common/lib/initfs.c): a fuzzer's
 * buffer is not aligned. Offsets count from the start of the image.
 *
 *   offset 0         struct initfs_header
 *   inode_off        struct initfs_inode[inode_count]      (8-aligned)
 *                    directory entry arrays, one per dir  (8-aligned)
 *   strtab_off       names and symlink targets, not NUL-terminated
 *                    zero padding to INITFS_PAGE
 *                    file data, each non-empty file page-aligned
 *   image_size       end (no padding after the last file)
 *
 * Rules a valid image follows (initfs_validate() checks every one):
 *  - header: magic, version 1, header_size 64, flags only INITFS_F_NO_CRC,
 *    reserved 0, image_size <= the bytes available, inode_size 32,
 *    inode_count 1..INITFS_MAX_INODES;
 *  - crc32 is the IEEE CRC-32 (as zlib's crc32()) of the first image_size
 *    bytes with the crc32 field taken as zero; with INITFS_F_NO_CRC set,
 *    crc32 must be 0 and is not checked;
 *  - every (off, size) range lies inside the image; inode table and
 *    directory arrays 8-aligned; non-empty file data page-aligned; names
 *    and symlink targets inside the strtab;
 *  - inode: known type, mode <= 07777, reserved 0; a directory's size is a
 *    multiple of 16 (entries); a symlink's target is 1..INITFS_PATH_MAX-1
 *    bytes with no NUL;
 *  - dirent: inode 1..inode_count-1, type equal to that inode's type,
 *    reserved 0, name 1..INITFS_NAME_MAX bytes without '/' or NUL and not
 *    "." or ".."; names of a directory strictly increasing bytewise
 *    (sorted, no duplicates), so lookups can binary-search;
 *  - tree: inode 0 is the root directory; inodes are numbered breadth-first
 *    in entry order. That is: going through the directories in inode order
 *    and through each one's entries in order, the entries name inodes
 *    1, 2, 3, ..., inode_count-1, each exactly once, and every directory's
 *    own number is smaller than the numbers of its entries. So every
 *    inode but the root has exactly one parent with a smaller number: no
 *    cycles, no hard links, everything reachable from the root, and a
 *    validator needs no memory beyond a counter (common/lib/initfs.c).
 *    mkinitfs numbers inodes this way anyway, and it makes an image of a
 *    given tree unique (byte-reproducible builds).
 */
#ifndef OCHRE_INITFS_H
#define OCHRE_INITFS_H

#include <stdint.h>

#define INITFS_MAGIC		"OCHRINIT"	/* 8 bytes, no NUL */
#define INITFS_MAGIC_LEN	8
#define INITFS_VERSION		1
#define INITFS_PAGE		4096		/* file data alignment */
#define INITFS_NAME_MAX		255		/* bytes in one name */
#define INITFS_PATH_MAX		4096		/* symlink targets: < this */
#define INITFS_MAX_INODES	65535
#define INITFS_ROOT		0		/* inode number of the root */

/* Inode and dirent types. */
enum { INITFS_DIR = 1, INITFS_FILE = 2, INITFS_SYMLINK = 3 };

/* Header flags. */
#define INITFS_F_NO_CRC		0x1	/* crc32 is 0 and not checked (mkinitfs --no-crc) */
#define INITFS_F_ALL		INITFS_F_NO_CRC

struct initfs_header {		/* 64 bytes at offset 0 */
	char     magic[8];	/* INITFS_MAGIC */
	uint16_t version;	/* INITFS_VERSION; any other value: reject */
	uint16_t header_size;	/* 64; lets a v2 grow without moving fields */
	uint32_t flags;		/* INITFS_F_*; unknown bits: reject */
	uint64_t image_size;	/* exact image length, <= module length */
	uint32_t inode_count;	/* 1..INITFS_MAX_INODES; inode 0 = root dir */
	uint32_t inode_size;	/* 32 */
	uint64_t inode_off;	/* inode table, 8-aligned */
	uint64_t strtab_off;	/* names and symlink targets */
	uint64_t strtab_size;
	uint32_t crc32;		/* CRC-32 of the image with this field zeroed */
	uint32_t reserved;	/* 0 */
};

struct initfs_inode {		/* 32 bytes */
	uint16_t type;		/* INITFS_DIR/FILE/SYMLINK */
	uint16_t mode;		/* permission bits, <= 07777 */
	uint32_t reserved;	/* 0 */
	uint64_t off;		/* DIR: dirent array (8-aligned); FILE: data
				   (page-aligned if size > 0); SYMLINK: target,
				   inside the strtab */
	uint64_t size;		/* DIR: entries * 16; FILE: bytes;
				   SYMLINK: 1..INITFS_PATH_MAX-1 */
	uint64_t mtime;		/* seconds; 0 unless mkinitfs --mtime */
};

struct initfs_dirent {		/* 16 bytes; sorted bytewise by name */
	uint32_t inode;		/* 1..inode_count-1 */
	uint16_t name_len;	/* 1..INITFS_NAME_MAX */
	uint8_t  type;		/* copy of the inode's type (getdents needs no
				   second lookup) */
	uint8_t  reserved;	/* 0 */
	uint64_t name_off;	/* absolute; inside the strtab */
};

#define INITFS_HEADER_SIZE	64
#define INITFS_INODE_SIZE	32
#define INITFS_DIRENT_SIZE	16
#define INITFS_CRC_OFFSET	56	/* offsetof(struct initfs_header, crc32) */

_Static_assert(sizeof(struct initfs_header) == INITFS_HEADER_SIZE, "initfs header layout");
_Static_assert(sizeof(struct initfs_inode) == INITFS_INODE_SIZE, "initfs inode layout");
_Static_assert(sizeof(struct initfs_dirent) == INITFS_DIRENT_SIZE, "initfs dirent layout");
_Static_assert(__builtin_offsetof(struct initfs_header, crc32) == INITFS_CRC_OFFSET,
	       "initfs crc32 offset");

#endif

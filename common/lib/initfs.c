/*
 * Reading initfs images: validation, lookup, reads (see initfs.h for the
 * API and <ochre/initfs.h> for the format and its rules).
 *
 * The image is hostile until initfs_validate() has said yes: a corrupt
 * module, a student's mkinitfs, a fuzzer's bytes. So every field is loaded
 * with a memcpy-based little-endian load (buffers may be unaligned), every
 * range is checked as `off <= size && len <= size - off` (never
 * `off + len`, which wraps around in 64 bits), and every loop is bounded
 * by the inode count. After validation the accessors still check their
 * ranges, so a caller that hands them an unvalidated struct initfs gets
 * -EIO instead of a wild read.
 */
#include "initfs.h"
#include "string.h"
#include <stdbool.h>
#include <stddef.h>
#include <ochre/errno.h>

#include "le.h"

#define HDR(field) offsetof(struct initfs_header, field)
#define INO(field) offsetof(struct initfs_inode, field)
#define DIRENT(field) offsetof(struct initfs_dirent, field)

static void load_header(const uint8_t *p, struct initfs_header *h)
{
	memcpy(h->magic, p, sizeof(h->magic));
	h->version = le16(p + HDR(version));
	h->header_size = le16(p + HDR(header_size));
	h->flags = le32(p + HDR(flags));
	h->image_size = le64(p + HDR(image_size));
	h->inode_count = le32(p + HDR(inode_count));
	h->inode_size = le32(p + HDR(inode_size));
	h->inode_off = le64(p + HDR(inode_off));
	h->strtab_off = le64(p + HDR(strtab_off));
	h->strtab_size = le64(p + HDR(strtab_size));
	h->crc32 = le32(p + HDR(crc32));
	h->reserved = le32(p + HDR(reserved));
}

static void load_inode(const uint8_t *p, struct initfs_inode *in)
{
	in->type = le16(p + INO(type));
	in->mode = le16(p + INO(mode));
	in->reserved = le32(p + INO(reserved));
	in->off = le64(p + INO(off));
	in->size = le64(p + INO(size));
	in->mtime = le64(p + INO(mtime));
}

static void load_dirent(const uint8_t *p, struct initfs_dirent *d)
{
	d->inode = le32(p + DIRENT(inode));
	d->name_len = le16(p + DIRENT(name_len));
	d->type = p[DIRENT(type)];
	d->reserved = p[DIRENT(reserved)];
	d->name_off = le64(p + DIRENT(name_off));
}

/* ---- ranges ------------------------------------------------------------------ */

/* True if [off, off + len) lies inside [0, size). */
static bool in_range(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* True if [off, off + len) lies inside the string table. */
static bool in_strtab(const struct initfs *fs, uint64_t off, uint64_t len)
{
	return off >= fs->strtab_off &&
	       in_range(off - fs->strtab_off, len, fs->strtab_size);
}

static bool has_byte(const uint8_t *p, uint64_t len, uint8_t c)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i] == c)
			return true;
	return false;
}

/* Inode `ino` of a validated image; -EINVAL for a bad number. */
static int get_inode(const struct initfs *fs, uint32_t ino, struct initfs_inode *in)
{
	if (ino >= fs->inode_count)
		return -EINVAL;
	uint64_t off = fs->inode_off + (uint64_t)ino * INITFS_INODE_SIZE;
	if (!in_range(off, INITFS_INODE_SIZE, fs->size))
		return -EIO;
	load_inode(fs->img + off, in);
	return 0;
}

/* Entry k of directory inode `dir` (k < dir->size / 16); -EIO if a range
   is broken (possible only for an image that was never validated). */
static int get_dirent(const struct initfs *fs, const struct initfs_inode *dir,
		      uint64_t k, struct initfs_dirent *d, const uint8_t **name)
{
	uint64_t off = dir->off + k * INITFS_DIRENT_SIZE;
	if (!in_range(dir->off, dir->size, fs->size) || k >= dir->size / INITFS_DIRENT_SIZE)
		return -EIO;
	load_dirent(fs->img + off, d);
	if (!in_strtab(fs, d->name_off, d->name_len) ||
	    !in_range(d->name_off, d->name_len, fs->size))
		return -EIO;
	*name = fs->img + d->name_off;
	return 0;
}

/* Bytewise order of two names, shorter first on a common prefix (the
   order mkinitfs sorts by: strcmp's, for names without NUL). */
static int name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

static bool is_dot_or_dotdot(const uint8_t *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

/* ---- CRC-32 -------------------------------------------------------------------- */

/*
 * Table for the reflected IEEE polynomial 0xedb88320, one entry per byte
 * value: crc_table[n] is n run through 8 rounds of
 * `c = (c >> 1) ^ (c & 1 ? 0xedb88320 : 0)`. A byte at a time keeps the
 * CRC of a multi-megabyte image cheap even under QEMU's emulation;
 * grader/host/test_initfs.py checks the result against Python's zlib.
 */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

uint32_t initfs_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t initfs_image_crc(const void *img, uint64_t image_size)
{
	static const uint8_t zero[4];
	const uint8_t *p = img;
	uint32_t crc = initfs_crc32(0, p, INITFS_CRC_OFFSET);
	crc = initfs_crc32(crc, zero, sizeof(zero));
	return initfs_crc32(crc, p + INITFS_CRC_OFFSET + 4,
			    image_size - INITFS_CRC_OFFSET - 4);
}

/* ---- validation ------------------------------------------------------------- */

static const char *const error_names[INITFS_E_COUNT] = {
	[INITFS_E_OK] = "ok",
	[INITFS_E_TRUNCATED] = "truncated",
	[INITFS_E_MAGIC] = "magic",
	[INITFS_E_VERSION] = "version",
	[INITFS_E_HEADER] = "header",
	[INITFS_E_CRC] = "crc",
	[INITFS_E_RANGE] = "range",
	[INITFS_E_ALIGN] = "align",
	[INITFS_E_INODE] = "inode",
	[INITFS_E_DIRENT] = "dirent",
	[INITFS_E_NAME] = "name",
	[INITFS_E_ORDER] = "order",
	[INITFS_E_TREE] = "tree",
};

const char *initfs_error_name(int code)
{
	if (code < 0 || code >= INITFS_E_COUNT)
		return "unknown";
	return error_names[code];
}

/* Records a failed rule in *diag; returns what initfs_validate() returns. */
static int bad(struct initfs_diag *diag, int code, uint64_t offset,
	       uint32_t inode, const char *reason)
{
	diag->code = code;
	diag->offset = offset;
	diag->inode = inode;
	diag->reason = reason;
	return -EINVAL;
}

/* Step 1: the fixed header fields, before anything else is trusted. */
static int check_header(const uint8_t *img, size_t len, struct initfs_header *h,
			struct initfs_diag *diag)
{
	const uint32_t none = INITFS_NO_INODE;

	if (len < INITFS_HEADER_SIZE)
		return bad(diag, INITFS_E_TRUNCATED, 0, none,
			   "image shorter than its 64-byte header");
	load_header(img, h);
	if (memcmp(h->magic, INITFS_MAGIC, INITFS_MAGIC_LEN) != 0)
		return bad(diag, INITFS_E_MAGIC, HDR(magic), none,
			   "bad magic (not an initfs image)");
	if (h->version != INITFS_VERSION)
		return bad(diag, INITFS_E_VERSION, HDR(version), none,
			   "unsupported format version");
	if (h->header_size != INITFS_HEADER_SIZE)
		return bad(diag, INITFS_E_HEADER, HDR(header_size), none,
			   "header_size is not 64");
	if (h->flags & ~(uint32_t)INITFS_F_ALL)
		return bad(diag, INITFS_E_HEADER, HDR(flags), none,
			   "unknown header flags");
	if (h->reserved != 0)
		return bad(diag, INITFS_E_HEADER, HDR(reserved), none,
			   "reserved header field is not 0");
	if ((h->flags & INITFS_F_NO_CRC) && h->crc32 != 0)
		return bad(diag, INITFS_E_HEADER, HDR(crc32), none,
			   "crc32 is not 0 in an image flagged as having none");
	if (h->image_size < INITFS_HEADER_SIZE)
		return bad(diag, INITFS_E_HEADER, HDR(image_size), none,
			   "image_size is smaller than the header");
	if (h->image_size > len)
		return bad(diag, INITFS_E_TRUNCATED, HDR(image_size), none,
			   "image shorter than its image_size (truncated?)");
	return 0;
}

/* Step 2. */
static int check_crc(const uint8_t *img, const struct initfs_header *h,
		     unsigned flags, struct initfs_diag *diag)
{
	if ((flags & INITFS_SKIP_CRC) || (h->flags & INITFS_F_NO_CRC))
		return 0;
	if (initfs_image_crc(img, h->image_size) != h->crc32)
		return bad(diag, INITFS_E_CRC, HDR(crc32), INITFS_NO_INODE,
			   "checksum mismatch (image corrupted)");
	return 0;
}

/* Step 3: the tables the header points to. */
static int check_tables(const struct initfs_header *h, struct initfs_diag *diag)
{
	const uint32_t none = INITFS_NO_INODE;

	if (h->inode_size != INITFS_INODE_SIZE)
		return bad(diag, INITFS_E_HEADER, HDR(inode_size), none,
			   "inode_size is not 32");
	if (h->inode_count < 1 || h->inode_count > INITFS_MAX_INODES)
		return bad(diag, INITFS_E_HEADER, HDR(inode_count), none,
			   "inode_count is not in 1..65535");
	if (h->inode_off % 8 != 0)
		return bad(diag, INITFS_E_ALIGN, HDR(inode_off), none,
			   "inode table is not 8-aligned");
	if (!in_range(h->inode_off, (uint64_t)h->inode_count * INITFS_INODE_SIZE,
		      h->image_size))
		return bad(diag, INITFS_E_RANGE, HDR(inode_off), none,
			   "inode table outside the image");
	if (!in_range(h->strtab_off, h->strtab_size, h->image_size))
		return bad(diag, INITFS_E_RANGE, HDR(strtab_off), none,
			   "string table outside the image");
	return 0;
}

/* Step 4: one inode on its own. */
static int check_inode(const struct initfs *fs, uint32_t ino, struct initfs_diag *diag)
{
	uint64_t at = fs->inode_off + (uint64_t)ino * INITFS_INODE_SIZE;
	struct initfs_inode in;

	load_inode(fs->img + at, &in);
	if (in.type != INITFS_DIR && in.type != INITFS_FILE && in.type != INITFS_SYMLINK)
		return bad(diag, INITFS_E_INODE, at, ino, "unknown inode type");
	if (ino == INITFS_ROOT && in.type != INITFS_DIR)
		return bad(diag, INITFS_E_INODE, at, ino, "inode 0 (the root) is not a directory");
	if (in.reserved != 0)
		return bad(diag, INITFS_E_INODE, at + INO(reserved), ino,
			   "reserved inode field is not 0");
	if (in.mode > 07777)
		return bad(diag, INITFS_E_INODE, at + INO(mode), ino,
			   "mode has bits above 07777");

	switch (in.type) {
	case INITFS_DIR:
		if (in.size % INITFS_DIRENT_SIZE != 0)
			return bad(diag, INITFS_E_INODE, at + INO(size), ino,
				   "directory size is not a multiple of 16");
		if (!in_range(in.off, in.size, fs->size))
			return bad(diag, INITFS_E_RANGE, at + INO(off), ino,
				   "directory entries outside the image");
		if (in.size > 0 && in.off % 8 != 0)
			return bad(diag, INITFS_E_ALIGN, at + INO(off), ino,
				   "directory entries are not 8-aligned");
		break;
	case INITFS_FILE:
		if (!in_range(in.off, in.size, fs->size))
			return bad(diag, INITFS_E_RANGE, at + INO(off), ino,
				   "file data outside the image");
		if (in.size > 0 && in.off % INITFS_PAGE != 0)
			return bad(diag, INITFS_E_ALIGN, at + INO(off), ino,
				   "file data is not page-aligned");
		break;
	case INITFS_SYMLINK:
		if (in.size < 1 || in.size >= INITFS_PATH_MAX)
			return bad(diag, INITFS_E_INODE, at + INO(size), ino,
				   "symlink target length is not in 1..4095");
		if (!in_strtab(fs, in.off, in.size))
			return bad(diag, INITFS_E_RANGE, at + INO(off), ino,
				   "symlink target outside the string table");
		if (has_byte(fs->img + in.off, in.size, 0))
			return bad(diag, INITFS_E_INODE, at + INO(off), ino,
				   "symlink target contains a NUL byte");
		break;
	}
	return 0;
}

/*
 * Steps 5 and 6 for one directory: its entries, and its part of the
 * breadth-first numbering. *next is the inode number the next entry of the
 * walk must name (see check_tree()).
 */
static int check_dir(const struct initfs *fs, uint32_t dir,
		     const struct initfs_inode *in, uint32_t *next,
		     struct initfs_diag *diag)
{
	const uint8_t *prev = NULL;
	uint16_t prev_len = 0;
	uint64_t n = in->size / INITFS_DIRENT_SIZE;

	for (uint64_t k = 0; k < n; k++) {
		uint64_t at = in->off + k * INITFS_DIRENT_SIZE;
		struct initfs_dirent d;
		struct initfs_inode child;

		load_dirent(fs->img + at, &d);
		if (d.reserved != 0)
			return bad(diag, INITFS_E_DIRENT, at + DIRENT(reserved), dir,
				   "reserved entry field is not 0");
		if (d.inode >= fs->inode_count)
			return bad(diag, INITFS_E_DIRENT, at + DIRENT(inode), dir,
				   "entry's inode number is out of range");
		if (!in_strtab(fs, d.name_off, d.name_len))
			return bad(diag, INITFS_E_RANGE, at + DIRENT(name_off), dir,
				   "name outside the string table");

		const uint8_t *name = fs->img + d.name_off;
		if (d.name_len < 1 || d.name_len > INITFS_NAME_MAX)
			return bad(diag, INITFS_E_NAME, at + DIRENT(name_len), dir,
				   "name length is not in 1..255");
		if (has_byte(name, d.name_len, '/') || has_byte(name, d.name_len, 0))
			return bad(diag, INITFS_E_NAME, d.name_off, dir,
				   "name contains '/' or a NUL byte");
		if (is_dot_or_dotdot(name, d.name_len))
			return bad(diag, INITFS_E_NAME, d.name_off, dir,
				   "name is \".\" or \"..\"");
		if (prev && name_cmp(prev, prev_len, name, d.name_len) >= 0)
			return bad(diag, INITFS_E_ORDER, at, dir,
				   "names are not sorted, or one appears twice");
		prev = name;
		prev_len = d.name_len;

		if (d.inode == INITFS_ROOT)
			return bad(diag, INITFS_E_TREE, at + DIRENT(inode), dir,
				   "entry refers to the root directory (cycle)");
		if (d.inode < *next)
			return bad(diag, INITFS_E_TREE, at + DIRENT(inode), dir,
				   "inode referenced twice (hard link or cycle)");
		if (d.inode > *next)
			return bad(diag, INITFS_E_TREE, at + DIRENT(inode), dir,
				   "inodes are not numbered breadth-first");
		(*next)++;

		load_inode(fs->img + fs->inode_off + (uint64_t)d.inode * INITFS_INODE_SIZE,
			   &child);
		if (d.type != child.type)
			return bad(diag, INITFS_E_DIRENT, at + DIRENT(type), dir,
				   "entry type differs from its inode's type");
	}
	return 0;
}

/*
 * Step 6, the tree property, without memory: a breadth-first walk from
 * the root whose queue is the inode table itself. The format requires
 * inodes numbered in that walk's order, so the walk visits inodes 0, 1,
 * 2, ... and the entries it meets must name 1, 2, 3, ... in turn (`next`).
 * Then every inode but the root is named exactly once, by a directory with
 * a smaller number, and following parents strictly decreases the number
 * down to 0: no cycles, everything reachable. An inode that no earlier
 * directory named (i >= next when the walk reaches it) is unreachable, or
 * reachable only through a later directory, which would break that order.
 *
 * Each entry moves `next` up by one and next <= inode_count, so the whole
 * walk reads at most inode_count entries, however large a directory's size
 * field claims to be.
 */
static int check_tree(const struct initfs *fs, struct initfs_diag *diag)
{
	uint32_t next = 1;

	for (uint32_t i = 0; i < fs->inode_count; i++) {
		uint64_t at = fs->inode_off + (uint64_t)i * INITFS_INODE_SIZE;
		struct initfs_inode in;

		if (i >= next)
			return bad(diag, INITFS_E_TREE, at, i,
				   "inode not reachable from the root in breadth-first order");
		load_inode(fs->img + at, &in);
		if (in.type == INITFS_DIR) {
			int err = check_dir(fs, i, &in, &next, diag);
			if (err)
				return err;
		}
	}
	return 0;
}

int initfs_validate(const void *img, size_t len, unsigned flags,
		    struct initfs *fs, struct initfs_diag *diag)
{
	struct initfs_diag ignored;
	struct initfs_header h;
	int err;

	if (!diag)
		diag = &ignored;
	*diag = (struct initfs_diag){ INITFS_E_OK, INITFS_NO_INODE, 0, "valid" };
	memset(fs, 0, sizeof(*fs));

	err = check_header(img, len, &h, diag);
	if (!err)
		err = check_crc(img, &h, flags, diag);
	if (!err)
		err = check_tables(&h, diag);
	if (err)
		return err;

	struct initfs v = {
		.img = img,
		.size = h.image_size,
		.inode_count = h.inode_count,
		.inode_off = h.inode_off,
		.strtab_off = h.strtab_off,
		.strtab_size = h.strtab_size,
	};
	for (uint32_t i = 0; i < v.inode_count; i++) {
		err = check_inode(&v, i, diag);
		if (err)
			return err;
	}
	err = check_tree(&v, diag);
	if (err)
		return err;
	*fs = v;
	return 0;
}

/* ---- lookups and reads -------------------------------------------------------- */

int initfs_find(const struct initfs *fs, uint32_t dir, const char *name,
		size_t name_len, uint32_t *inode)
{
	struct initfs_inode in;
	int err = get_inode(fs, dir, &in);
	if (err)
		return err;
	if (in.type != INITFS_DIR)
		return -ENOTDIR;

	/* Entries are sorted (validated), so binary search. */
	uint64_t lo = 0, hi = in.size / INITFS_DIRENT_SIZE;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		struct initfs_dirent d;
		const uint8_t *dname;
		err = get_dirent(fs, &in, mid, &d, &dname);
		if (err)
			return err;
		int c = name_cmp((const uint8_t *)name, name_len, dname, d.name_len);
		if (c == 0) {
			*inode = d.inode;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

/*
 * The syntax rules of initfs_lookupn(), checked on the whole path first so
 * that a malformed path gets the same error whatever the tree holds.
 * *start is set past the optional leading '/'.
 */
static int check_path(const char *path, size_t len, size_t *start)
{
	if (len >= INITFS_PATH_MAX)
		return -ENAMETOOLONG;
	size_t i = (len > 0 && path[0] == '/') ? 1 : 0;
	*start = i;
	if (i == len)
		return 0;	/* the root */
	for (;;) {
		size_t begin = i;
		while (i < len && path[i] != '/') {
			if (path[i] == '\0')
				return -EINVAL;
			i++;
		}
		size_t n = i - begin;
		if (n == 0 || is_dot_or_dotdot((const uint8_t *)path + begin, n))
			return -EINVAL;
		if (n > INITFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (i == len)
			return 0;
		i++;	/* the '/'; an empty component after it fails above */
	}
}

int initfs_lookupn(const struct initfs *fs, const char *path, size_t len,
		   uint32_t *inode)
{
	size_t i;
	int err = check_path(path, len, &i);
	if (err)
		return err;

	uint32_t cur = INITFS_ROOT;
	while (i < len) {
		size_t begin = i;
		while (i < len && path[i] != '/')
			i++;
		/* -ENOTDIR when cur is a file or symlink with more path after it. */
		err = initfs_find(fs, cur, path + begin, i - begin, &cur);
		if (err)
			return err;
		i++;	/* the '/', or past the end */
	}
	*inode = cur;
	return 0;
}

int initfs_lookup(const struct initfs *fs, const char *path, uint32_t *inode)
{
	/* strnlen: a path longer than the limit is rejected without reading
	   all of it. */
	return initfs_lookupn(fs, path, strnlen(path, INITFS_PATH_MAX), inode);
}

int initfs_stat(const struct initfs *fs, uint32_t inode, struct initfs_stat *st)
{
	struct initfs_inode in;
	int err = get_inode(fs, inode, &in);
	if (err)
		return err;
	st->ino = inode;
	st->type = in.type;
	st->mode = in.mode;
	st->size = in.size;
	st->mtime = in.mtime;
	return 0;
}

int64_t initfs_read(const struct initfs *fs, uint32_t inode, uint64_t off,
		    void *buf, uint64_t len)
{
	struct initfs_inode in;
	int err = get_inode(fs, inode, &in);
	if (err)
		return err;
	if (in.type == INITFS_DIR)
		return -EISDIR;
	if (!in_range(in.off, in.size, fs->size))
		return -EIO;
	if (off >= in.size)
		return 0;
	uint64_t n = in.size - off;
	if (n > len)
		n = len;
	memcpy(buf, fs->img + in.off + off, n);
	return (int64_t)n;	/* n <= image size, far below 2^63 */
}

int initfs_data(const struct initfs *fs, uint32_t inode, const void **data,
		uint64_t *size)
{
	struct initfs_inode in;
	int err = get_inode(fs, inode, &in);
	if (err)
		return err;
	if (in.type == INITFS_DIR)
		return -EISDIR;
	if (in.type != INITFS_FILE)
		return -EINVAL;
	if (!in_range(in.off, in.size, fs->size))
		return -EIO;
	*data = fs->img + in.off;
	*size = in.size;
	return 0;
}

int initfs_readdir(const struct initfs *fs, uint32_t dir, uint32_t index,
		   struct initfs_entry *ent)
{
	struct initfs_inode in;
	struct initfs_dirent d;
	const uint8_t *name;
	int err = get_inode(fs, dir, &in);
	if (err)
		return err;
	if (in.type != INITFS_DIR)
		return -ENOTDIR;
	if (index >= in.size / INITFS_DIRENT_SIZE)
		return 1;
	err = get_dirent(fs, &in, index, &d, &name);
	if (err)
		return err;
	ent->inode = d.inode;
	ent->type = d.type;
	ent->name_len = d.name_len;
	ent->name = (const char *)name;
	return 0;
}

int initfs_readlink(const struct initfs *fs, uint32_t inode,
		    const char **target, uint32_t *len)
{
	struct initfs_inode in;
	int err = get_inode(fs, inode, &in);
	if (err)
		return err;
	if (in.type != INITFS_SYMLINK)
		return -EINVAL;
	if (!in_strtab(fs, in.off, in.size) || !in_range(in.off, in.size, fs->size))
		return -EIO;
	*target = (const char *)fs->img + in.off;
	*len = (uint32_t)in.size;	/* < INITFS_PATH_MAX (validated) */
	return 0;
}

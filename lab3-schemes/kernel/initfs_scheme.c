/*
 * initfs: the read-only file system GRUB loads as the "initfs" module
 * (lab 3), packed on the host by common/tools/mkinitfs. The image is
 * validated completely at boot (common/lib/initfs.c); a bad image is
 * refused with a clear message and the system boots on without it.
 *
 * Lab 5 retires this file: a user-space daemon started by bootstrap serves
 * initfs: instead (Redox's 2022 design: "userspace initfs").
 */
#include "kernel.h"
#include "boot.h"
#include "cmdline.h"
#include "memlayout.h"
#include "scheme.h"
#include "../../common/lib/initfs.h"


static struct initfs fs;
static bool present;

CMDLINE_OPTION(initfs_corrupt, "initfs_corrupt",
	       "flip the byte at this offset of the initfs image (tests)");

/* Fault injection for the grader: damage the image before validating it. */
static void maybe_corrupt(uint8_t *img, size_t len)
{
	const char *v = cmdline_get("initfs_corrupt");
	if (!v)
		return;
	uint64_t off = cmdline_get_u64("initfs_corrupt", 0);
	if (off < len) {
		img[off] ^= 0xff;
		printk("initfs: corrupted byte %#lx on request\n", off);
	}
}

static void initfs_setup(void)
{
	const struct boot_module *m = NULL;
	for (int i = 0; i < boot_info.nmodules; i++)
		if (strcmp(boot_info.modules[i].name, "initfs") == 0)
			m = &boot_info.modules[i];
	if (!m) {
		printk("initfs: no 'initfs' boot module; initfs: is empty\n");
		return;
	}
	struct initfs_diag diag;
	maybe_corrupt(phys_to_virt(m->start), m->end - m->start);
	int err = initfs_validate(phys_to_virt(m->start), m->end - m->start, 0,
				  &fs, &diag);
	if (err) {
		printk("initfs: image rejected (%s: %s, inode %d, offset %#lx); "
		       "booting without it\n", initfs_error_name(diag.code),
		       diag.reason ? diag.reason : "?",
		       diag.inode == INITFS_NO_INODE ? -1 : (int)diag.inode,
		       diag.offset);
		return;
	}
	present = true;
}
INITCALL(initfs_setup, 3);

static int inode_of(const struct file *f)
{
	return (int)f->id;
}

static int ifs_open(struct scheme *s, const char *path, int flags, int mode,
		    struct file *f)
{
	uint32_t ino;
	struct initfs_stat st;
	if (!present)
		return -ENOENT;
	bool writes = (flags & O_ACCMODE) != O_RDONLY ||
		      (flags & (O_CREAT | O_TRUNC));
	int err = initfs_lookup(&fs, path, &ino);
	if (err == -EINVAL)
		err = -ENOENT;
	if (err)
		return err == -ENOENT && (flags & O_CREAT) ? -EROFS : err;
	initfs_stat(&fs, ino, &st);
	if (writes)
		return (flags & O_CREAT) && (flags & O_EXCL) ? -EEXIST : -EROFS;
	if (st.type == INITFS_SYMLINK)
		return -EXDEV;		/* links are followed by the caller */
	if ((flags & O_DIRECTORY) && st.type != INITFS_DIR)
		return -ENOTDIR;
	f->id = ino;
	return 0;
}

static int64_t ifs_read(struct file *f, struct iobuf *b, uint64_t off)
{
	uint8_t chunk[512];
	size_t done = 0;
	while (done < b->len) {
		int64_t n = initfs_read(&fs, (uint32_t)inode_of(f), off + done,
					chunk, MIN(sizeof(chunk), b->len - done));
		if (n < 0)
			return done ? (int64_t)done : n;
		if (n == 0)
			break;
		if (iobuf_put(b, done, chunk, (size_t)n) != 0)
			return done ? (int64_t)done : -EFAULT;
		done += (size_t)n;
	}
	return (int64_t)done;
}

static int ifs_fstat(struct file *f, struct ochre_stat *st)
{
	struct initfs_stat s;
	int err = initfs_stat(&fs, (uint32_t)inode_of(f), &s);
	if (err)
		return err;
	st->ino = s.ino;
	st->nlink = 1;
	st->mode = s.mode | (s.type == INITFS_DIR ? S_IFDIR
			     : s.type == INITFS_SYMLINK ? S_IFLNK : S_IFREG);
	st->size = s.type == INITFS_DIR ? s.size / 16 : s.size;
	return 0;
}

static int64_t ifs_seek(struct file *f, int64_t off, int whence)
{
	struct ochre_stat st;
	int err = ifs_fstat(f, &st);
	return err ? err : seek_in(f, off, whence, st.size);
}

static int64_t ifs_getdents(struct file *f, struct iobuf *b, uint64_t *index)
{
	size_t off = 0;
	for (;;) {
		struct initfs_entry e;
		int r = initfs_readdir(&fs, (uint32_t)inode_of(f), (uint32_t)*index,
				       &e);
		if (r < 0)
			return r;
		if (r == 1)
			break;		/* past the last entry */
		uint8_t type = e.type == INITFS_DIR ? DT_DIR
			     : e.type == INITFS_SYMLINK ? DT_LNK : DT_REG;
		int64_t n = dirent_put(b, off, e.inode, type, e.name, e.name_len);
		if (n < 0)
			return n;
		if (n == 0 && off == 0)
			return -EINVAL;	/* not even one entry fits */
		if (n == 0)
			break;
		off += (size_t)n;
		(*index)++;
	}
	return (int64_t)off;
}

static const struct scheme_ops initfs_ops = {
	.open = ifs_open, .read = ifs_read, .seek = ifs_seek,
	.fstat = ifs_fstat, .getdents = ifs_getdents,
};
static struct scheme initfs_scheme = { .name = "initfs", .ops = &initfs_ops };
KERNEL_SCHEME(initfs_scheme);

/*
 * Lab 5: the initfs daemon. HANDOUT.md §3.
 *
 * Serves scheme initfs: from the image the kernel mapped into bootstrap
 * (read-only, shared with no one but us after init's exec). One thread,
 * strictly serial: read a request, answer it, repeat. The image is
 * validated completely before the scheme exists (common/lib/initfs.c, the
 * same code the host fuzzers run), so no request can find it damaged; and
 * no request can hurt the daemon: every id, offset and length is checked.
 *
 * The kernel sends only canonical paths ("/a/b", never "." or ".." or
 * "//"); we check again anyway. Symbolic links are never followed here: a
 * link at the end of a path is EXDEV (libc reads it with O_SYMLINK and
 * follows it, maybe into another scheme), a link in the middle is ENOTDIR.
 *
 * The daemon never opens an initfs: path itself: it would be asking
 * itself, and a single-threaded server waiting for its own answer waits
 * forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../../common/lib/initfs.h"
#include "initfsd.h"

static struct initfs fs;

/*
 * Open files: the handle table is yours to design (HANDOUT.md §3.1). The
 * rest of the daemon needs a struct handle with the inode, and these
 * three functions. The offset lives in the kernel's file, which passes it
 * with every request, so a handle is only "which inode".
 */
/* BEGIN LAB5 SOLUTION: §3.1 the handle table */
#define MAX_HANDLES	256

/* An id is index | generation << 16: an id from a closed handle (or a
 * made-up one) names no open file, so it gives EBADF, never someone
 * else's file, and ids are reused without ever running out. */
struct handle {
	uint32_t inode;
	uint16_t gen;		/* bumped at every close */
	bool used;
};
static struct handle handles[MAX_HANDLES];

/* A new handle for inode: its id, or -ENFILE. */
static int64_t handle_new(uint32_t inode)
{
	for (uint32_t i = 0; i < MAX_HANDLES; i++) {
		struct handle *h = &handles[i];
		if (h->used)
			continue;
		h->used = true;
		h->inode = inode;
		if (h->gen == 0)
			h->gen = 1;	/* id 0 is never valid */
		return (int64_t)(i | (uint32_t)h->gen << 16);
	}
	return -ENFILE;
}

/* The open handle id names, or NULL (stale, forged, never opened). */
static struct handle *handle_get(uint64_t id)
{
	uint64_t i = id & 0xffff;
	if (i >= MAX_HANDLES || (id >> 16) != handles[i].gen || !handles[i].used)
		return NULL;
	return &handles[i];
}

static void handle_free(struct handle *h)
{
	h->used = false;
	h->gen = (uint16_t)(h->gen + 1) ? (uint16_t)(h->gen + 1) : 1;
}
/* END LAB5 SOLUTION */
/* STARTER: struct handle { uint32_t inode; }; */
/* STARTER: static int64_t handle_new(uint32_t inode) { (void)inode; return -ENOSYS; } */
/* STARTER: static struct handle *handle_get(uint64_t id) { (void)id; return NULL; } */
/* STARTER: static void handle_free(struct handle *h) { (void)h; } */

/* Reply payloads (read data, dirents). */
static char out[SCHEME_MAX_PAYLOAD];

static int64_t do_open(const char *path, uint32_t len, int flags)
{
	uint32_t ino = 0;
	/* BEGIN LAB5 SOLUTION: §3.2 open */
	struct initfs_stat st;
	if (len == 0 || path[0] != '/' || strlen(path) != len)
		return -EINVAL;		/* the kernel sends "/...", no NUL */
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
	int err = initfs_lookupn(&fs, path, len, &ino);
	if (err)	/* a missing file cannot be created here */
		return err == -ENOENT && (flags & O_CREAT) ? -EROFS : err;
	initfs_stat(&fs, ino, &st);
	if (writes)
		return (flags & O_CREAT) && (flags & O_EXCL) ? -EEXIST : -EROFS;
	if (st.type == INITFS_SYMLINK && !(flags & O_SYMLINK))
		return flags & O_NOFOLLOW ? -ELOOP : -EXDEV;
	if ((flags & O_DIRECTORY) && st.type != INITFS_DIR)
		return -ENOTDIR;
	/* END LAB5 SOLUTION */
	/* STARTER: return -ENOSYS; */
	return handle_new(ino);
}

static int64_t do_read(struct handle *h, uint64_t len, uint64_t off)
{
	/* BEGIN LAB5 SOLUTION: §3.3 read */
	if (len > sizeof(out))
		len = sizeof(out);
	return initfs_read(&fs, h->inode, off, out, len);	/* EISDIR for dirs */
	/* END LAB5 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static int do_stat(struct handle *h, struct ochre_stat *st)
{
	/* BEGIN LAB5 SOLUTION: §3.3 fstat */
	struct initfs_stat s;
	int err = initfs_stat(&fs, h->inode, &s);
	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->ino = s.ino;
	st->nlink = 1;
	st->mode = s.mode | (s.type == INITFS_DIR ? S_IFDIR
			     : s.type == INITFS_SYMLINK ? S_IFLNK : S_IFREG);
	/* a directory's size is its number of entries, as in every scheme */
	st->size = s.type == INITFS_DIR ? s.size / INITFS_DIRENT_SIZE : s.size;
	return 0;
	/* END LAB5 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static int64_t do_seek(struct handle *h, int64_t off, uint64_t whence,
		       uint64_t cur)
{
	/* BEGIN LAB5 SOLUTION: §3.3 seek */
	struct ochre_stat st;
	int err = do_stat(h, &st);
	if (err)
		return err;
	if (whence > SEEK_END || (int64_t)cur < 0)
		return -EINVAL;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR
		     ? (int64_t)cur : (int64_t)st.size;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	return base + off;	/* past the end is fine: reads give 0 */
	/* END LAB5 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* Dirents from entry number index on, as many as fit in len bytes; *next
 * is where the next call continues. */
static int64_t do_getdents(struct handle *h, uint64_t len, uint64_t index,
			   uint32_t *next)
{
	/* BEGIN LAB5 SOLUTION: §3.4 getdents */
	size_t used = 0;
	if (len > sizeof(out))
		len = sizeof(out);
	for (;; index++) {
		struct initfs_entry e;
		int r = index > UINT32_MAX ? 1
		      : initfs_readdir(&fs, h->inode, (uint32_t)index, &e);
		if (r < 0)
			return r;	/* ENOTDIR */
		if (r == 1)
			break;		/* past the last entry */
		size_t reclen = (sizeof(struct ochre_dirent) + e.name_len + 1 + 7) & ~7UL;
		if (used + reclen > len) {
			if (used == 0)
				return -EINVAL;	/* not even one entry fits */
			break;
		}
		struct ochre_dirent *d = (struct ochre_dirent *)(out + used);
		memset(d, 0, reclen);	/* padding is zero, as the kernel wants */
		d->ino = e.inode;
		d->reclen = (uint16_t)reclen;
		d->type = e.type == INITFS_DIR ? DT_DIR
			: e.type == INITFS_SYMLINK ? DT_LNK : DT_REG;
		memcpy(d->name, e.name, e.name_len);
		used += reclen;
	}
	*next = (uint32_t)(index > UINT32_MAX ? UINT32_MAX : index);
	return (int64_t)used;
	/* END LAB5 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static int64_t do_close(struct handle *h)
{
	handle_free(h);
	return 0;
}

struct reply {
	const void *payload;
	uint32_t len;
	uint32_t flags;
};

static int64_t handle_request(struct scheme_request *req, struct reply *r)
{
	const struct scheme_sqe *q = &req->sqe;
	static struct ochre_stat st;
	int64_t n;
	switch (q->opcode) {
	case SCHEME_OPEN:
		return do_open(req->data, req->len, (int)q->args[0]);
	case SCHEME_UNLINK:
	case SCHEME_MKDIR:
	case SCHEME_RMDIR:
		return -EROFS;
	default:
		break;
	}
	struct handle *h = handle_get(q->id);
	if (!h)
		return -EBADF;		/* stale, forged, or never opened */
	switch (q->opcode) {
	case SCHEME_READ:
		n = do_read(h, q->args[0], q->args[1]);
		r->payload = out;
		r->len = n > 0 ? (uint32_t)n : 0;
		return n;
	case SCHEME_WRITE:
		return -EBADF;		/* never opened for writing */
	case SCHEME_SEEK:
		return do_seek(h, (int64_t)q->args[0], q->args[1], q->args[2]);
	case SCHEME_FSTAT:
		n = do_stat(h, &st);
		r->payload = &st;
		r->len = n == 0 ? sizeof(st) : 0;
		return n;
	case SCHEME_GETDENTS:
		n = do_getdents(h, q->args[0], q->args[1], &r->flags);
		r->payload = out;
		r->len = n > 0 ? (uint32_t)n : 0;
		return n;
	case SCHEME_CLOSE:
		return do_close(h);
	case SCHEME_FSYNC:
		return 0;		/* nothing to write back */
	case SCHEME_FTRUNCATE:
		return -EROFS;
	default:
		return -ENOSYS;		/* FPATH (the kernel answers it), CALL */
	}
}

int initfsd_main(const void *img, size_t len, int ready_fd)
{
	static struct scheme_request req;
	struct initfs_diag diag;
	/* The reason goes on one line; the format is lab 3's kernel message,
	 * which the grader and students already know. */
	if (initfs_validate(img, len, 0, &fs, &diag) != 0) {
		printf("initfs: image rejected (%s: %s, inode %d, offset %#lx)\n",
		       initfs_error_name(diag.code),
		       diag.reason ? diag.reason : "?",
		       diag.inode == INITFS_NO_INODE ? -1 : (int)diag.inode,
		       (unsigned long)diag.offset);
		return INITFSD_BAD_IMAGE;
	}
	/* bootstrap's fork never execs: take our own name in sys:/contexts. */
	int nfd = open("thisproc:/name", O_WRONLY | O_CLOEXEC);
	if (nfd >= 0) {
		write(nfd, "initfsd", 7);
		close(nfd);
	}
	int fd = scheme_create("initfs");
	if (fd < 0) {
		printf("initfsd: cannot register initfs: %s\n", strerror(errno));
		return INITFSD_NO_SCHEME;
	}
	printf("initfsd: pid %d serving %u inodes\n", getpid(), fs.inode_count);
	char ready = 1;
	write(ready_fd, &ready, 1);
	close(ready_fd);
	for (;;) {
		if (scheme_next(fd, &req) < 0) {
			printf("initfsd: %s\n", strerror(errno));
			return INITFSD_IO;
		}
		struct reply r = { 0 };
		int64_t result = handle_request(&req, &r);
		if (result < 0)
			r.len = 0;
		/* A refused reply means the client is gone; we carry on. */
		scheme_reply_flags(fd, req.sqe.user_data, result, r.flags,
				   r.payload, r.len);
	}
}

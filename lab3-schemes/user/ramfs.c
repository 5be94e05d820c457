/*
 * ramfs: a file system in memory, served as the scheme "ramfs:" (or the
 * name given as argv[1]). init starts it; tests start their own.
 *
 * Files and directories are nodes in this process's heap. The kernel turns
 * each call a client makes on a ramfs: path or fd into a request (see
 * <ochre/scheme.h>); we answer them one at a time, so no locking. The
 * kernel keeps the file offset and sends it with each read and write;
 * we keep, per open handle, the node and the open flags.
 *
 * As on Unix, a file that is removed while open lives on until its last
 * handle is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_MAX	255
#define FILE_MAX	(16UL << 20)	/* bytes in one file (EFBIG beyond) */
#define TOTAL_MAX	(16UL << 20)	/* bytes of file data in all (ENOSPC) */
#define HANDLES_MAX	4096

struct node {
	char *name;			/* "" for the root */
	uint32_t mode;			/* S_IFDIR or S_IFREG | permissions */
	uint64_t ino;
	struct node *parent;		/* NULL: the root, or removed */
	struct node *first, *last;	/* directory: children, oldest first */
	struct node *next;		/* the next sibling */
	uint64_t nchildren;
	char *data;			/* file: contents, cap bytes allocated */
	size_t size, cap;
	int open;			/* handles on this node */
	int removed;
};

struct handle {
	struct node *node;		/* NULL: a free slot */
	int flags;			/* from open: O_ACCMODE, O_APPEND */
};

static const char *scheme_name;
static struct node *root;
static uint64_t next_ino = 1;
static size_t total_bytes;		/* file data allocated, all files */
static struct handle handles[HANDLES_MAX];	/* the id is index + 1 */

/* What a request's answer carries besides its result. */
struct reply {
	uint32_t flags;
	const void *payload;
	uint32_t len;
};

/* ---- nodes ---- */

static struct node *new_node(struct node *dir, const char *name, size_t len,
			     uint32_t mode)
{
	struct node *n = calloc(1, sizeof(*n));
	char *copy = malloc(len + 1);
	if (!n || !copy) {
		free(n);
		free(copy);
		return NULL;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	n->name = copy;
	n->mode = mode;
	n->ino = next_ino++;
	n->parent = dir;
	if (dir) {
		if (dir->last)
			dir->last->next = n;
		else
			dir->first = n;
		dir->last = n;
		dir->nchildren++;
	}
	return n;
}

/* Frees a removed node once nothing refers to it any more. */
static void maybe_free(struct node *n)
{
	if (!n->removed || n->open > 0)
		return;
	total_bytes -= n->cap;
	free(n->data);
	free(n->name);
	free(n);
}

/* Takes n out of its directory (unlink, rmdir). */
static void detach(struct node *n)
{
	struct node *dir = n->parent, *prev = NULL;
	for (struct node *c = dir->first; c != n; c = c->next)
		prev = c;
	if (prev)
		prev->next = n->next;
	else
		dir->first = n->next;
	if (dir->last == n)
		dir->last = prev;
	dir->nchildren--;
	n->parent = NULL;
	n->next = NULL;
	n->removed = 1;
	maybe_free(n);
}

static struct node *find(struct node *dir, const char *name, size_t len)
{
	for (struct node *c = dir->first; c; c = c->next)
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return c;
	return NULL;
}

/*
 * Finds the node of path ("/a/b"; the kernel made it canonical, but we do
 * not rely on that). If only the last component is missing, returns
 * -ENOENT with *dir, *last and *len saying where to create it.
 */
static int lookup(const char *path, struct node **node, struct node **dir,
		  const char **last, size_t *len)
{
	struct node *cur = root;
	*dir = NULL;
	for (const char *p = path;;) {
		while (*p == '/')
			p++;
		if (!*p) {
			*node = cur;
			return 0;
		}
		const char *start = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (!S_ISDIR(cur->mode))
			return -ENOTDIR;
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 1 && start[0] == '.')
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			if (cur->parent)
				cur = cur->parent;
			continue;
		}
		struct node *child = find(cur, start, n);
		if (!child) {
			while (*p == '/')
				p++;
			if (!*p) {	/* the last component: can be created */
				*dir = cur;
				*last = start;
				*len = n;
			}
			return -ENOENT;
		}
		cur = child;
	}
}

/* Sets a file's size; new bytes are zero. */
static int resize(struct node *n, uint64_t size)
{
	if (size > FILE_MAX)
		return -EFBIG;
	if (size == 0) {	/* give the memory back */
		total_bytes -= n->cap;
		free(n->data);
		n->data = NULL;
		n->size = n->cap = 0;
		return 0;
	}
	if (size > n->cap) {
		size_t cap = n->cap ? n->cap : 64;
		while (cap < size)
			cap *= 2;	/* amortizes growth by small writes */
		if (cap > FILE_MAX)
			cap = FILE_MAX;
		if (total_bytes - n->cap + cap > TOTAL_MAX)
			cap = size;	/* tight fit, then give up */
		if (total_bytes - n->cap + cap > TOTAL_MAX)
			return -ENOSPC;
		char *data = realloc(n->data, cap);
		if (!data)
			return -ENOSPC;
		total_bytes += cap - n->cap;
		n->data = data;
		n->cap = cap;
	}
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	return 0;
}

/* ---- requests with a path ---- */

static int64_t do_open(const char *path, int flags, uint32_t mode)
{
	struct node *n, *dir;
	const char *name;
	size_t len;
	int slot = 0;
	while (slot < HANDLES_MAX && handles[slot].node)
		slot++;
	if (slot == HANDLES_MAX)
		return -ENFILE;
	int err = lookup(path, &n, &dir, &name, &len);
	if (err == -ENOENT && dir && (flags & O_CREAT)) {
		if (flags & O_DIRECTORY)
			return -EINVAL;		/* O_CREAT makes files only */
		n = new_node(dir, name, len, S_IFREG | (mode & 07777));
		if (!n)
			return -ENOMEM;
	} else if (err) {
		return err;
	} else if ((flags & O_CREAT) && (flags & O_EXCL)) {
		return -EEXIST;
	} else if (S_ISDIR(n->mode)) {
		if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
			return -EISDIR;
	} else if (flags & O_DIRECTORY) {
		return -ENOTDIR;
	} else if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
		resize(n, 0);
	}
	n->open++;
	handles[slot].node = n;
	handles[slot].flags = flags;
	return slot + 1;
}

static int64_t do_mkdir(const char *path, uint32_t mode)
{
	struct node *n, *dir;
	const char *name;
	size_t len;
	int err = lookup(path, &n, &dir, &name, &len);
	if (err == 0)
		return -EEXIST;
	if (err != -ENOENT || !dir)
		return err;
	return new_node(dir, name, len, S_IFDIR | (mode & 07777)) ? 0 : -ENOMEM;
}

static int64_t do_remove(const char *path, int want_dir)
{
	struct node *n, *dir;
	const char *name;
	size_t len;
	int err = lookup(path, &n, &dir, &name, &len);
	if (err)
		return err;
	if (!want_dir) {
		if (S_ISDIR(n->mode))
			return -EISDIR;
		detach(n);
		return 0;
	}
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	if (n == root)
		return -EBUSY;
	if (n->nchildren)
		return -ENOTEMPTY;
	detach(n);
	return 0;
}

/* ---- requests on an open handle ---- */

static int64_t do_read(struct handle *h, uint64_t len, uint64_t off,
		       struct reply *r)
{
	struct node *n = h->node;
	if ((h->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	if (len > SCHEME_MAX_PAYLOAD)
		len = SCHEME_MAX_PAYLOAD;
	r->payload = n->data + off;
	r->len = (uint32_t)len;
	return (int64_t)len;
}

static int64_t do_write(struct handle *h, uint64_t off, const char *data,
			uint32_t len)
{
	struct node *n = h->node;
	if ((h->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (h->flags & O_APPEND)
		off = n->size;
	if (len == 0)
		return 0;
	if (off > FILE_MAX || len > FILE_MAX - off)
		return -EFBIG;
	if (off + len > n->size) {
		int err = resize(n, off + len);
		if (err)
			return err;
	}
	memcpy(n->data + off, data, len);
	return len;
}

static int64_t do_seek(struct handle *h, int64_t off, uint64_t whence,
		       uint64_t cur)
{
	struct node *n = h->node;
	int64_t size = S_ISDIR(n->mode) ? (int64_t)n->nchildren : (int64_t)n->size;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)cur
		     : size;
	if (whence > SEEK_END || (int64_t)cur < 0)
		return -EINVAL;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	return base + off;
}

static int64_t do_fstat(struct handle *h, struct reply *r)
{
	static struct ochre_stat st;
	struct node *n = h->node;
	st.size = S_ISDIR(n->mode) ? n->nchildren : n->size;
	st.ino = n->ino;
	st.mode = n->mode;
	st.nlink = n->removed ? 0 : S_ISDIR(n->mode) ? 2 : 1;
	r->payload = &st;
	r->len = sizeof(st);
	return 0;
}

/* "name:/a/b", built backwards from the node up to the root. */
static int64_t do_fpath(struct handle *h, uint64_t len, struct reply *r)
{
	static char path[4096];
	size_t at = sizeof(path) - 1;
	path[at] = '\0';
	for (struct node *n = h->node; n && n != root; n = n->parent) {
		size_t l = strlen(n->name);
		if (at < l + 1 + SCHEME_NAME_MAX + 2)
			return -ENAMETOOLONG;
		at -= l;
		memcpy(path + at, n->name, l);
		path[--at] = '/';
	}
	if (h->node == root)
		path[--at] = '/';
	size_t l = strlen(scheme_name);
	path[--at] = ':';
	at -= l;
	memcpy(path + at, scheme_name, l);
	size_t n = sizeof(path) - 1 - at;	/* without the NUL */
	r->payload = path + at;
	r->len = (uint32_t)(n + 1 < len ? n + 1 : len);
	return (int64_t)(n < len ? n : len);
}

/* Dirents from child number index on, as many as fit in len bytes;
 * r->flags is where the next call continues. */
static int64_t do_getdents(struct handle *h, uint64_t len, uint64_t index,
			   struct reply *r)
{
	static char buf[SCHEME_MAX_PAYLOAD];
	struct node *dir = h->node, *c = dir->first;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (len > sizeof(buf))
		len = sizeof(buf);
	for (uint64_t i = 0; c && i < index; i++)
		c = c->next;
	size_t used = 0;
	for (; c; c = c->next, index++) {
		size_t name_len = strlen(c->name);
		size_t reclen = (sizeof(struct ochre_dirent) + name_len + 1 + 7) & ~7UL;
		if (used + reclen > len)
			break;
		struct ochre_dirent *d = (struct ochre_dirent *)(buf + used);
		memset(d, 0, reclen);	/* the padding is zero, as the kernel wants */
		d->ino = c->ino;
		d->reclen = (uint16_t)reclen;
		d->type = S_ISDIR(c->mode) ? DT_DIR : DT_REG;
		memcpy(d->name, c->name, name_len);
		used += reclen;
	}
	if (used == 0 && c)
		return -EINVAL;		/* not even one entry fits */
	r->flags = (uint32_t)index;
	r->payload = buf;
	r->len = (uint32_t)used;
	return (int64_t)used;
}

static int64_t do_close(uint64_t id)
{
	struct handle *h = &handles[id - 1];
	struct node *n = h->node;
	h->node = NULL;
	n->open--;
	maybe_free(n);
	return 0;
}

static int64_t handle_request(struct scheme_request *req, struct reply *r)
{
	const struct scheme_sqe *q = &req->sqe;
	switch (q->opcode) {
	case SCHEME_OPEN:
		return do_open(req->data, (int)q->args[0], (uint32_t)q->args[1]);
	case SCHEME_MKDIR:
		return do_mkdir(req->data, (uint32_t)q->args[0]);
	case SCHEME_UNLINK:
		return do_remove(req->data, 0);
	case SCHEME_RMDIR:
		return do_remove(req->data, 1);
	}
	/* The rest name an open handle. */
	if (q->id == 0 || q->id > HANDLES_MAX || !handles[q->id - 1].node)
		return -EBADF;
	struct handle *h = &handles[q->id - 1];
	switch (q->opcode) {
	case SCHEME_CLOSE:
		return do_close(q->id);
	case SCHEME_READ:
		return do_read(h, q->args[0], q->args[1], r);
	case SCHEME_WRITE:
		return do_write(h, q->args[0], req->data, req->len);
	case SCHEME_SEEK:
		return do_seek(h, (int64_t)q->args[0], q->args[1], q->args[2]);
	case SCHEME_FSTAT:
		return do_fstat(h, r);
	case SCHEME_FPATH:
		return do_fpath(h, q->args[0], r);
	case SCHEME_GETDENTS:
		return do_getdents(h, q->args[0], q->args[1], r);
	case SCHEME_FSYNC:
		return 0;	/* memory is as durable as it gets */
	case SCHEME_FTRUNCATE:
		if ((h->flags & O_ACCMODE) == O_RDONLY)
			return -EBADF;
		if (S_ISDIR(h->node->mode))
			return -EISDIR;
		return resize(h->node, q->args[0]);
	default:
		return -ENOSYS;
	}
}

int main(int argc, char **argv)
{
	static struct scheme_request req;
	scheme_name = argc > 1 ? argv[1] : "ramfs";
	root = new_node(NULL, "", 0, S_IFDIR | 0755);
	int fd = scheme_create(scheme_name);
	if (!root || fd < 0) {
		dprintf(2, "ramfs: cannot register %s: %s\n", scheme_name,
			strerror(errno));
		return 1;
	}
	for (;;) {
		if (scheme_next(fd, &req) < 0) {
			dprintf(2, "ramfs: %s\n", strerror(errno));
			return 1;
		}
		struct reply r = { 0 };
		int64_t result = handle_request(&req, &r);
		if (result < 0)
			r.len = 0;
		/* A refused reply (EINVAL) means the client is gone; that is
		 * its business, we carry on. */
		scheme_reply_flags(fd, req.sqe.user_data, result, r.flags,
				   r.payload, r.len);
	}
}

/* Open files and the per-process file table (lab 3, given). */
#include "kernel.h"
#include "context.h"
#include "file.h"
#include "heap.h"
#include "scheme.h"
#include "usercopy.h"

int iobuf_put(struct iobuf *b, size_t off, const void *src, size_t n)
{
	if (off > b->len || n > b->len - off)
		return -EFAULT;
	if (b->kernel) {
		memcpy((char *)b->addr + off, src, n);
		return 0;
	}
	return copyout(b->addr + off, src, n);
}

int iobuf_get(struct iobuf *b, size_t off, void *dst, size_t n)
{
	if (off > b->len || n > b->len - off)
		return -EFAULT;
	if (b->kernel) {
		memcpy(dst, (const char *)b->addr + off, n);
		return 0;
	}
	return copyin(dst, b->addr + off, n);
}

struct file *file_alloc(void)
{
	struct file *f = kzalloc(sizeof(*f));
	if (f)
		f->refs = 1;
	return f;
}

void file_get(struct file *f)
{
	f->refs++;
}

void file_put(struct file *f)
{
	if (--f->refs > 0)
		return;
	if (f->scheme) {
		if (f->scheme->ops->close)
			f->scheme->ops->close(f);
		scheme_put(f->scheme);
	}
	kfree(f);
}

/* Each context's table, by context slot (lab 2 keeps no lab 3 state). */
static struct filetable *tables[NCONTEXT];

struct filetable *files_of(struct context *c)
{
	return tables[context_slot(c)];
}

/* c's table, made empty if it has none yet; NULL if out of memory. */
struct filetable *files_ensure(struct context *c)
{
	struct filetable **t = &tables[context_slot(c)];
	if (!*t)
		*t = kzalloc(sizeof(**t));
	return *t;
}

static struct filetable *table(void)
{
	return files_of(cur);
}

int fd_install(struct file *f, int fdflags)
{
	struct filetable *t = files_ensure(cur);
	if (!t)
		return -ENOMEM;
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++) {
		if (!t->files[fd]) {
			t->files[fd] = f;
			t->fdflags[fd] = (uint8_t)fdflags;
			return fd;
		}
	}
	return -EMFILE;
}

struct file *fd_get(int64_t fd)
{
	if (fd < 0 || fd >= OCHRE_OPEN_MAX || !table())
		return NULL;
	return table()->files[fd];
}

int fd_close(int64_t fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	table()->files[fd] = NULL;
	table()->fdflags[fd] = 0;
	file_put(f);
	return 0;
}

/* exec: close the FD_CLOEXEC fds of cur (c is cur). */
static void files_exec(struct context *c)
{
	if (!table())
		return;
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++)
		if (table()->files[fd] && (table()->fdflags[fd] & FD_CLOEXEC))
			fd_close(fd);
}

/* A new context starts with no table (a slot's old one is gone). */
static int files_create(struct context *creator, struct context *c)
{
	tables[context_slot(c)] = NULL;
	return 0;
}

/* kernel fork: the child shares every open file; exit: close them all. */
static int files_fork(struct context *parent, struct context *child)
{
	struct filetable *t = files_ensure(child);
	if (!t)
		return -ENOMEM;
	if (files_of(parent)) {
		*t = *files_of(parent);
		for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++)
			if (t->files[fd])
				file_get(t->files[fd]);
	}
	return 0;
}

/* The table leaves the slot before any file is closed: a close that
 * reaches back here finds nothing to close twice. */
static void files_exit(struct context *c)
{
	struct filetable *t = files_of(c);
	if (!t)
		return;
	tables[context_slot(c)] = NULL;
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++) {
		if (t->files[fd]) {
			struct file *f = t->files[fd];
			t->files[fd] = NULL;
			file_put(f);
		}
	}
	kfree(t);
}
CONTEXT_HOOKS(files, .create = files_create, .fork = files_fork,
	      .exec = files_exec, .exit = files_exit);

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

static struct filetable *table(void)
{
	return cur->files;
}

int fd_install(struct file *f, int fdflags)
{
	struct filetable *t = table();
	if (!t) {		/* the first process starts with no table */
		t = cur->files = kzalloc(sizeof(*t));
		if (!t)
			return -ENOMEM;
	}
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++) {
		if (!t->files[fd]) {
			t->files[fd] = f;
			t->fdflags[fd] = (uint8_t)fdflags;
			return fd;
		}
	}
	return -EMFILE;
}

struct file *fd_get(int fd)
{
	if (fd < 0 || fd >= OCHRE_OPEN_MAX || !table())
		return NULL;
	return table()->files[fd];
}

int fd_close(int fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	table()->files[fd] = NULL;
	table()->fdflags[fd] = 0;
	file_put(f);
	return 0;
}

void fd_close_on_exec(void)
{
	if (!table())
		return;
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++)
		if (table()->files[fd] && (table()->fdflags[fd] & FD_CLOEXEC))
			fd_close(fd);
}

/* fork: the child shares every open file; exit: close them all. */
static int files_fork(struct context *parent, struct context *child)
{
	struct filetable *t = kzalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (parent->files) {
		*t = *parent->files;
		for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++)
			if (t->files[fd])
				file_get(t->files[fd]);
	}
	child->files = t;
	return 0;
}

static void files_exit(struct context *c)
{
	struct filetable *t = c->files;
	if (!t)
		return;
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++) {
		if (t->files[fd]) {
			struct file *f = t->files[fd];
			t->files[fd] = NULL;
			file_put(f);
		}
	}
	c->files = NULL;
	kfree(t);
}
CONTEXT_HOOKS(files, .fork = files_fork, .exit = files_exit);

/*
 * Open files and file descriptors (lab 3).
 *
 *   process            file table             open file              scheme
 *   fd 0 ------------> files[0] ----------> struct file ---------> debug:
 *   fd 1 ------------> files[1] ---------/   (offset, flags, refs)
 *   fd 3 ------------> files[3] ----------> struct file ---------> ramfs: (daemon)
 *
 * dup() and fork() share a struct file (and its offset) by reference
 * counting; close() drops a reference, and the last one closes the file in
 * its scheme.
 */
#ifndef OCHRE_FILE_H
#define OCHRE_FILE_H

#include "types.h"
#include <ochre/fcntl.h>
#include <ochre/stat.h>

struct scheme;
struct context;

/*
 * A buffer for a read or write: in user memory (the normal case) or in the
 * kernel (execve reading a program). Schemes move data with iobuf_put /
 * iobuf_get and never look at the pointer themselves.
 */
struct iobuf {
	uintptr_t addr;
	size_t len;
	bool kernel;
};

int iobuf_put(struct iobuf *b, size_t off, const void *src, size_t n);
int iobuf_get(struct iobuf *b, size_t off, void *dst, size_t n);

struct file {
	int refs;
	int flags;			/* O_ACCMODE, O_APPEND, O_NONBLOCK */
	uint64_t offset;
	struct scheme *scheme;
	void *priv;			/* the scheme's state for this file */
	uint64_t id;			/* user schemes: the daemon's handle */
	char path[OCHRE_PATH_MAX];	/* canonical, for fpath() */
};

struct filetable {
	struct file *files[OCHRE_OPEN_MAX];
	uint8_t fdflags[OCHRE_OPEN_MAX];	/* FD_CLOEXEC */
};

struct file *file_alloc(void);
void file_get(struct file *f);
void file_put(struct file *f);		/* closes it in its scheme at 0 */

/* A context's table (NULL: none yet); files_ensure makes an empty one. */
struct filetable *files_of(struct context *c);
struct filetable *files_ensure(struct context *c);

/* The calling process's file descriptors. fd arguments are the full
 * 64-bit system call argument: high bits make it no fd. */
int fd_install(struct file *f, int fdflags);	/* lowest free fd, or -EMFILE */
struct file *fd_get(int64_t fd);		/* NULL if not open */
int fd_close(int64_t fd);

/* Opens a canonical or relative path from the kernel (execve, bootstrap). */
int kernel_open(const char *path, int flags, struct file **out);
int64_t kernel_read(struct file *f, void *buf, size_t len);

#endif

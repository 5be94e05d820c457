/*
 * Schemes (lab 3): every path is "scheme:/path", and the scheme decides what
 * the path means. Kernel schemes (debug:, pipe:, null:, zero:, initfs:,
 * sys:) register with KERNEL_SCHEME; user-space daemons register at run
 * time by opening ":name" (user_scheme.c).
 *
 * Operations a scheme does not support are left NULL; the syscall layer
 * then answers what POSIX would: open -ENOENT, read/write -EBADF, seek
 * -ESPIPE, getdents -ENOTDIR, unlink/mkdir/rmdir -EROFS, fstat/ftruncate/
 * call -EINVAL; fsync succeeds (there is nothing to flush).
 */
#ifndef OCHRE_SCHEME_KERNEL_H
#define OCHRE_SCHEME_KERNEL_H

#include "types.h"
#include "file.h"
#include <ochre/scheme.h>

struct scheme;

struct scheme_ops {
	/* path is the part after "name:", always starting with '/' */
	int (*open)(struct scheme *s, const char *path, int flags, int mode,
		    struct file *f);
	int64_t (*read)(struct file *f, struct iobuf *b, uint64_t off);
	int64_t (*write)(struct file *f, struct iobuf *b, uint64_t off);
	int64_t (*seek)(struct file *f, int64_t off, int whence);
	int (*fstat)(struct file *f, struct ochre_stat *st);
	/* fills b with dirents from *index on; advances *index */
	int64_t (*getdents)(struct file *f, struct iobuf *b, uint64_t *index);
	int (*unlink)(struct scheme *s, const char *path);
	int (*mkdir)(struct scheme *s, const char *path, int mode);
	int (*rmdir)(struct scheme *s, const char *path);
	int (*fsync)(struct file *f);
	int (*ftruncate)(struct file *f, uint64_t len);
	int64_t (*call)(struct file *f, const uint64_t args[6]);
	void (*close)(struct file *f);
};

struct scheme {
	char name[SCHEME_NAME_MAX];
	const struct scheme_ops *ops;
	void *priv;
	int refs;		/* open files + the registration */
	bool dead;		/* daemon gone: every operation fails with EIO */
};

struct kernel_scheme {
	struct scheme *scheme;
};
/* A scheme in a linker-section table: ".schemes" (KERNEL_SCHEME: registered
 * at boot), or another lab's table (lab 4's PROC_FILE). */
#define SCHEME_TABLE_ENTRY(var, sec)                                     \
	static const struct kernel_scheme __kscheme_##var __used         \
		__section(sec) __aligned(8) = { &var }
#define KERNEL_SCHEME(var)	SCHEME_TABLE_ENTRY(var, ".schemes")

struct scheme *scheme_find(const char *name, size_t len);	/* +1 ref */
int scheme_register(struct scheme *s);		/* -EEXIST if taken */
void scheme_unregister(struct scheme *s);
void scheme_get(struct scheme *s);
void scheme_put(struct scheme *s);

/* Canonicalizes a user path against the cwd (cwd.c; lab 5 retires it). */
int path_resolve(const char *in, char *out, size_t size);

/* vfs.c: opens a canonical path; seek arithmetic for schemes that know
 * their file's size. user_scheme.c: open(":name") registers a daemon. */
int kernel_open_path(const char *canon, int flags, int mode, struct file **out);
int64_t seek_in(struct file *f, int64_t off, int whence, uint64_t size);
int user_scheme_create(const char *name, int flags, struct file **out);

/* Helper for kernel schemes with fixed content: dirents into an iobuf. */
int64_t dirent_put(struct iobuf *b, size_t off, uint64_t ino, uint8_t type,
		   const char *name, size_t name_len);

#endif

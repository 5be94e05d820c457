/*
 * The file system calls (lab 3): argument checking, fd lookup, and the
 * call into the file's scheme. HANDOUT.md §3.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "file.h"
#include "scheme.h"
#include "syscall_table.h"
#include "usercopy.h"
#include <ochre/errno.h>
#include "path.h"

#define IO_MAX	0x7ffff000UL	/* largest single read or write, like Linux */

/* Copies a path from user space and makes it canonical. */
static int user_path(uintptr_t upath, char *out, size_t size)
{
	char raw[OCHRE_PATH_MAX];
	int n = copyinstr(raw, upath, sizeof(raw));
	if (n < 0)
		return n;
	return path_resolve(raw, out, size);
}

/* Finds the scheme of a canonical path; *rest is its "/path" part. */
static struct scheme *lookup(const char *canon, const char **rest)
{
	size_t n = path_scheme_len(canon);
	*rest = canon + n + 1;
	return scheme_find(canon, n);
}

int kernel_open_path(const char *canon, int flags, int mode, struct file **out)
{
	const char *rest;
	struct scheme *s = lookup(canon, &rest);
	if (!s)
		return -ENOENT;
	if (s->dead || !s->ops->open) {
		scheme_put(s);
		return s->dead ? -EIO : -ENOENT;
	}
	struct file *f = file_alloc();
	if (!f) {
		scheme_put(s);
		return -ENOMEM;
	}
	f->scheme = s;		/* the file now holds our scheme reference */
	f->flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK);
	strlcpy(f->path, canon, sizeof(f->path));
	int err = s->ops->open(s, rest, flags, mode, f);
	if (err) {
		f->scheme = NULL;	/* never opened: no close to send */
		scheme_put(s);
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

int kernel_open(const char *path, int flags, struct file **out)
{
	char canon[OCHRE_PATH_MAX];
	int n = path_resolve(path, canon, sizeof(canon));
	if (n < 0)
		return n;
	return kernel_open_path(canon, flags, 0, out);
}


static int64_t sys_open(uint64_t upath, uint64_t flags, uint64_t mode)
{
	char raw[OCHRE_PATH_MAX], canon[OCHRE_PATH_MAX];
	const uint64_t known = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC |
			       O_APPEND | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC |
			       O_CLOFORK | O_NOFOLLOW | O_SYMLINK;
	if ((flags & ~known) || (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	int n = copyinstr(raw, upath, sizeof(raw));
	if (n < 0)
		return n;
	struct file *f;
	int err;
	if (raw[0] == ':') {	/* ":name": register a user-space scheme */
		err = user_scheme_create(raw + 1, (int)flags, &f);
	} else {
		n = path_resolve(raw, canon, sizeof(canon));
		if (n < 0)
			return n;
		err = kernel_open_path(canon, (int)flags, (int)(mode & 07777), &f);
	}
	if (err)
		return err;
	int fd = fd_install(f, (flags & O_CLOEXEC ? FD_CLOEXEC : 0) |
			       (flags & O_CLOFORK ? FD_CLOFORK : 0));
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL(SYS_OPEN, sys_open);

static int64_t sys_close(uint64_t fd)
{
	return fd_close((int64_t)fd);
}
SYSCALL(SYS_CLOSE, sys_close);

int64_t kernel_read(struct file *f, void *buf, size_t len)
{
	struct iobuf b = { (uintptr_t)buf, len, true };
	if (!f->scheme->ops->read)
		return -EBADF;
	int64_t n = f->scheme->ops->read(f, &b, f->offset);
	if (n > 0)
		f->offset += (uint64_t)n;
	return n;
}

static int64_t do_io(uint64_t fd, uint64_t ubuf, uint64_t len, bool write)
{
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	int mode = f->flags & O_ACCMODE;
	if (write ? mode == O_RDONLY : mode == O_WRONLY)
		return -EBADF;
	if (len > IO_MAX)
		return -EINVAL;
	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	if (f->scheme->dead)
		return -EIO;
	struct iobuf b = { ubuf, len, false };
	const struct scheme_ops *ops = f->scheme->ops;
	if (!(write ? ops->write : ops->read))
		return -EBADF;
	file_get(f);	/* a blocking call must not lose f to a close */
	int64_t n = write ? ops->write(f, &b, f->offset) : ops->read(f, &b, f->offset);
	if (n > 0)
		f->offset += (uint64_t)n;
	/* O_APPEND writes land at the end, wherever the offset was: ask the
	 * scheme where that is now (POSIX leaves the offset there). */
	if (n > 0 && write && (f->flags & O_APPEND) && ops->seek) {
		int64_t end = ops->seek(f, 0, SEEK_END);
		if (end >= 0)
			f->offset = (uint64_t)end;
	}
	file_put(f);
	return n;
}

static int64_t sys_read(uint64_t fd, uint64_t buf, uint64_t len)
{
	return do_io(fd, buf, len, false);
}
SYSCALL(SYS_READ, sys_read);

static int64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
	return do_io(fd, buf, len, true);
}
SYSCALL(SYS_WRITE, sys_write);

static int64_t sys_lseek(uint64_t fd, uint64_t off, uint64_t whence)
{
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	if (whence > SEEK_END)
		return -EINVAL;
	if (f->scheme->dead)
		return -EIO;
	if (!f->scheme->ops->seek)
		return -ESPIPE;
	int64_t pos = f->scheme->ops->seek(f, (int64_t)off, (int)whence);
	if (pos >= 0)
		f->offset = (uint64_t)pos;
	return pos;
}
SYSCALL(SYS_LSEEK, sys_lseek);

/* For seekable kernel schemes: the usual arithmetic over a known size. */
int64_t seek_in(struct file *f, int64_t off, int whence, uint64_t size)
{
	int64_t base = whence == SEEK_SET ? 0
		     : whence == SEEK_CUR ? (int64_t)f->offset : (int64_t)size;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	return base + off;
}

static int64_t sys_fstat(uint64_t fd, uint64_t ust)
{
	struct file *f = fd_get((int64_t)fd);
	struct ochre_stat st = { 0 };
	if (!f)
		return -EBADF;
	if (f->scheme->dead)
		return -EIO;
	if (!f->scheme->ops->fstat)
		return -EINVAL;
	int err = f->scheme->ops->fstat(f, &st);
	if (err)
		return err;
	return copyout(ust, &st, sizeof(st));
}
SYSCALL(SYS_FSTAT, sys_fstat);

static int64_t sys_fpath(uint64_t fd, uint64_t ubuf, uint64_t len)
{
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	size_t n = strlen(f->path);
	size_t copy = MIN(n + 1, len);
	if (copy && copyout(ubuf, f->path, copy) != 0)
		return -EFAULT;
	return (int64_t)n;
}
SYSCALL(SYS_FPATH, sys_fpath);

static int64_t sys_dup(uint64_t fd)
{
	/* BEGIN LAB3 SOLUTION: §3 dup */
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	file_get(f);
	int nfd = fd_install(f, 0);	/* dup clears FD_CLOEXEC */
	if (nfd < 0)
		file_put(f);
	return nfd;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}
SYSCALL(SYS_DUP, sys_dup);

static int64_t sys_dup2(uint64_t oldfd, uint64_t newfd)
{
	/* BEGIN LAB3 SOLUTION: §3 dup2 */
	struct file *f = fd_get((int64_t)oldfd);
	if (!f)
		return -EBADF;
	if (newfd >= OCHRE_OPEN_MAX)
		return -EBADF;
	if (oldfd == newfd)
		return (int64_t)newfd;
	file_get(f);
	if (fd_get((int64_t)newfd))
		fd_close((int64_t)newfd);
	files_of(cur)->files[newfd] = f;
	files_of(cur)->fdflags[newfd] = 0;
	return (int64_t)newfd;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}
SYSCALL(SYS_DUP2, sys_dup2);

static int64_t sys_getdents(uint64_t fd, uint64_t ubuf, uint64_t len)
{
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	if (len > IO_MAX)
		return -EINVAL;
	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	if (f->scheme->dead)
		return -EIO;
	if (!f->scheme->ops->getdents)
		return -ENOTDIR;
	struct iobuf b = { ubuf, len, false };
	uint64_t index = f->offset;	/* directories: offset = entry index */
	int64_t n = f->scheme->ops->getdents(f, &b, &index);
	if (n >= 0)
		f->offset = index;
	return n;
}
SYSCALL(SYS_GETDENTS, sys_getdents);

/* unlink, mkdir, rmdir: a path, no open file. */
static int64_t path_op(uint64_t upath, int op, int mode)
{
	char canon[OCHRE_PATH_MAX];
	const char *rest;
	int n = user_path(upath, canon, sizeof(canon));
	if (n < 0)
		return n;
	struct scheme *s = lookup(canon, &rest);
	if (!s)
		return -ENOENT;
	int err;
	if (s->dead)
		err = -EIO;
	else if (op == SYS_UNLINK)
		err = s->ops->unlink ? s->ops->unlink(s, rest) : -EROFS;
	else if (op == SYS_MKDIR)
		err = s->ops->mkdir ? s->ops->mkdir(s, rest, mode) : -EROFS;
	else
		err = s->ops->rmdir ? s->ops->rmdir(s, rest) : -EROFS;
	scheme_put(s);
	return err;
}

static int64_t sys_unlink(uint64_t path)
{
	return path_op(path, SYS_UNLINK, 0);
}
SYSCALL(SYS_UNLINK, sys_unlink);

static int64_t sys_mkdir(uint64_t path, uint64_t mode)
{
	return path_op(path, SYS_MKDIR, (int)(mode & 07777));
}
SYSCALL(SYS_MKDIR, sys_mkdir);

static int64_t sys_rmdir(uint64_t path)
{
	return path_op(path, SYS_RMDIR, 0);
}
SYSCALL(SYS_RMDIR, sys_rmdir);

static int64_t sys_fsync(uint64_t fd)
{
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	if (f->scheme->dead)
		return -EIO;
	return f->scheme->ops->fsync ? f->scheme->ops->fsync(f) : 0;
}
SYSCALL(SYS_FSYNC, sys_fsync);

static int64_t sys_ftruncate(uint64_t fd, uint64_t len)
{
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if ((int64_t)len < 0)
		return -EINVAL;
	if (f->scheme->dead)
		return -EIO;
	return f->scheme->ops->ftruncate ? f->scheme->ops->ftruncate(f, len)
					 : -EINVAL;
}
SYSCALL(SYS_FTRUNCATE, sys_ftruncate);

/* call(fd, args[6]): a request only the scheme understands (SCHEME_CALL). */
static int64_t sys_call(uint64_t fd, uint64_t uargs)
{
	uint64_t args[6];
	struct file *f = fd_get((int64_t)fd);
	if (!f)
		return -EBADF;
	if (copyin(args, uargs, sizeof(args)) != 0)
		return -EFAULT;
	if (f->scheme->dead)
		return -EIO;
	if (!f->scheme->ops->call)
		return -EINVAL;
	file_get(f);
	int64_t r = f->scheme->ops->call(f, args);
	file_put(f);
	return r;
}
SYSCALL(SYS_CALL, sys_call);

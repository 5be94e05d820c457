/*
 * The calls that take a path (lab 5, HANDOUT.md "the EXDEV loop"). They
 * replace lab 3's plain wrappers (lab3-schemes/libc/pathcalls.c): every
 * path is canonicalized against libc's cwd before the kernel sees it, and
 * open follows symlinks across schemes.
 *
 * A scheme never follows a symlink itself: opening one answers EXDEV
 * ("follow it yourself"). open then reads the link's target (opening the
 * link with O_SYMLINK), resolves it against the link's directory, and
 * tries again, at most SYMLOOP_MAX times; one more link is ELOOP.
 */
#include <errno.h>
#include <fcntl.h>
#include <ochre_path.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>
#include <sys/stat.h>
#include <unistd.h>

/* libc reads the path before the kernel does, so a bad pointer must be
 * caught here to stay EFAULT (lab 3's tests pass NULL and a kernel
 * address); an unmapped user address still faults, as in POSIX. */
#define USER_END	0x0000800000000000UL

static int bad_pointer(const char *p)
{
	return (uintptr_t)p < 4096 || (uintptr_t)p >= USER_END;
}

int __path_resolve(const char *path, char *out, unsigned *info)
{
	if (bad_pointer(path)) {
		errno = EFAULT;
		return -1;
	}
	int n = path_canon(__cwd(), path, out, info);
	if (n < 0) {
		errno = -n;
		return -1;
	}
	return 0;
}

static long sys_open(const char *canon, int flags, unsigned mode)
{
	return syscall3(SYS_OPEN, canon, flags, mode);
}

/* Given: the target of the link at canon, NUL-terminated, into buf
 * (PATH_MAX bytes): its length, or -errno. An empty target is ENOENT,
 * one of PATH_MAX bytes or more ENAMETOOLONG. */
static long read_link(const char *canon, char *buf)
{
	long fd = sys_open(canon, O_SYMLINK | O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	size_t got = 0;
	long n;
	do {
		n = syscall3(SYS_READ, fd, buf + got, PATH_MAX - got);
		if (n > 0)
			got += (size_t)n;
	} while (n > 0 && got < PATH_MAX);
	syscall1(SYS_CLOSE, fd);
	if (n < 0)
		return n;
	if (got == 0)
		return -ENOENT;
	if (got >= PATH_MAX)
		return -ENAMETOOLONG;
	buf[got] = '\0';
	return (long)got;
}

/* Given: the directory part of a canonical path ("ramfs:/a/b" ->
 * "ramfs:/a", "ramfs:/a" -> "ramfs:/"), into dir. */
static void dir_of(const char *canon, char *dir)
{
	size_t root = (size_t)(strchr(canon, ':') - canon) + 2;
	size_t n = (size_t)(strrchr(canon, '/') - canon);
	if (n < root)
		n = root;
	memcpy(dir, canon, n);
	dir[n] = '\0';
}

/* The canonical paths of the loop live here, not on the stack (three
 * PATH_MAX buffers would take a third of a program's stack); libc is
 * single-threaded and has no signal handlers, so nothing re-enters. */
static char canon[PATH_MAX];
static char target[PATH_MAX];
static char linkdir[PATH_MAX];

/* open's work: the fd, or -errno. */
static long open_follow(const char *path, int flags, unsigned mode)
{
	/* BEGIN LAB5 SOLUTION: §7 the EXDEV loop */
	const char *base = __cwd();
	unsigned dir = 0;	/* "x/": x, and whatever it links to, is a dir */
	for (int hops = 0;; hops++) {
		unsigned info = 0;
		int n = path_canon(base, path, canon, &info);
		if (n < 0)
			return n;
		dir |= info & PATH_TRAILING_DIR;
		long fd = sys_open(canon, flags | (dir ? O_DIRECTORY : 0), mode);
		if (fd != -EXDEV || (flags & O_SYMLINK))
			return fd;
		/* A final symlink. A scheme should say ELOOP itself under
		 * O_NOFOLLOW; say it for one that does not. */
		if (flags & O_NOFOLLOW)
			return -ELOOP;
		if (hops == SYMLOOP_MAX)
			return -ELOOP;
		long len = read_link(canon, target);
		if (len < 0)
			return len;
		/* A relative target is relative to the link's directory,
		 * not to the cwd. */
		dir_of(canon, linkdir);
		base = linkdir;
		path = target;
	}
	/* END LAB5 SOLUTION */
	/* STARTER: return sys_open(path, flags, mode); */
}

int open(const char *path, int flags, ...)
{
	unsigned mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, unsigned);
		va_end(ap);
	}
	if (bad_pointer(path)) {
		errno = EFAULT;
		return -1;
	}
	/* ":name" is not a path: it registers scheme name (lab 3). */
	if (path[0] == ':')
		return (int)__syscall_ret(sys_open(path, flags, mode));
	return (int)__syscall_ret(open_follow(path, flags, mode));
}

ssize_t readlink(const char *path, char *buf, size_t size)
{
	/* BEGIN LAB5 SOLUTION: §7 readlink */
	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	if (__path_resolve(path, canon, NULL) < 0)
		return -1;
	long fd = sys_open(canon, O_SYMLINK | O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return __syscall_ret(fd);
	struct stat st;
	ssize_t n = -1;
	if (fstat((int)fd, &st) < 0)
		goto out;
	if (!S_ISLNK(st.st_mode)) {
		errno = EINVAL;		/* not a symlink */
		goto out;
	}
	n = read((int)fd, buf, size);	/* no NUL, as POSIX says */
out:;
	int err = errno;
	close((int)fd);
	errno = err;
	return n;
	/* END LAB5 SOLUTION */
	/* STARTER: (void)path; (void)buf; (void)size; errno = ENOSYS; return -1; */
}

char *realpath(const char *path, char *resolved)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == EISDIR)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *out = resolved ? resolved : malloc(PATH_MAX);
	ssize_t n = out ? fpath(fd, out, PATH_MAX) : -1;
	int err = out ? errno : ENOMEM;
	close(fd);
	if (n >= PATH_MAX) {
		n = -1;
		err = ENAMETOOLONG;
	}
	if (n < 0) {
		if (!resolved)
			free(out);
		errno = err;
		return NULL;
	}
	return out;
}

/* unlink, mkdir and rmdir act on the name itself: a symlink is removed,
 * never followed. */
int unlink(const char *path)
{
	if (__path_resolve(path, canon, NULL) < 0)
		return -1;
	return (int)__syscall_ret(syscall1(SYS_UNLINK, canon));
}

int mkdir(const char *path, mode_t mode)
{
	if (__path_resolve(path, canon, NULL) < 0)
		return -1;
	return (int)__syscall_ret(syscall2(SYS_MKDIR, canon, mode));
}

int rmdir(const char *path)
{
	if (__path_resolve(path, canon, NULL) < 0)
		return -1;
	return (int)__syscall_ret(syscall1(SYS_RMDIR, canon));
}

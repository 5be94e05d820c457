/* Wrappers for the file system calls of lab 3 (write is in
 * common/libc/syscalls.c: it exists since lab 2). The calls that take a
 * path are in pathcalls.c, which lab 5 replaces (libc canonicalizes). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <syscall.h>
#include <sys/stat.h>
#include <unistd.h>

int close(int fd)
{
	return (int)__syscall_ret(syscall1(SYS_CLOSE, fd));
}

ssize_t read(int fd, void *buf, size_t n)
{
	return __syscall_ret(syscall3(SYS_READ, fd, buf, n));
}

off_t lseek(int fd, off_t off, int whence)
{
	return __syscall_ret(syscall3(SYS_LSEEK, fd, off, whence));
}

int fstat(int fd, struct stat *st)
{
	struct ochre_stat os;
	int r = (int)__syscall_ret(syscall2(SYS_FSTAT, fd, &os));
	if (r == 0) {
		st->st_size = (off_t)os.size;
		st->st_ino = os.ino;
		st->st_mode = os.mode;
		st->st_nlink = os.nlink;
	}
	return r;
}

/* There is no stat system call: open, fstat, close. Directories may need
 * O_DIRECTORY to be opened at all. */
int stat(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == EISDIR)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fstat(fd, st);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

ssize_t fpath(int fd, char *buf, size_t len)
{
	return __syscall_ret(syscall3(SYS_FPATH, fd, buf, len));
}

int dup(int fd)
{
	return (int)__syscall_ret(syscall1(SYS_DUP, fd));
}

int dup2(int oldfd, int newfd)
{
	return (int)__syscall_ret(syscall2(SYS_DUP2, oldfd, newfd));
}

int pipe(int fds[2])
{
	return pipe2(fds, 0);
}

int pipe2(int fds[2], int flags)
{
	/* (unsigned) so a negative int reaches the kernel as 32 bits, not
	 * sign-extended; the kernel rejects every bit it does not know. */
	return (int)__syscall_ret(syscall2(SYS_PIPE, fds, (unsigned)flags));
}

int fsync(int fd)
{
	return (int)__syscall_ret(syscall1(SYS_FSYNC, fd));
}

int ftruncate(int fd, off_t len)
{
	return (int)__syscall_ret(syscall2(SYS_FTRUNCATE, fd, len));
}

/* The console is the debug: scheme; nothing else is a terminal. */
int isatty(int fd)
{
	char path[16];
	int e = errno;
	ssize_t n = fpath(fd, path, sizeof(path));
	errno = e;
	return n >= 6 && strncmp(path, "debug:", 6) == 0;
}

ssize_t write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);
		if (w < 0)
			return -1;
		if (w == 0) {	/* a scheme that takes nothing: avoid a spin */
			errno = EIO;
			return -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)done;
}

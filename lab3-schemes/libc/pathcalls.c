/* The system calls that take a path (lab 3): the kernel resolves the path
 * against its own cwd. Lab 5 retires this file: its libc canonicalizes
 * every path first and follows symlinks (lab5-initfs/libc/open.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <syscall.h>
#include <sys/stat.h>
#include <unistd.h>

int open(const char *path, int flags, ...)
{
	unsigned mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, unsigned);
		va_end(ap);
	}
	return (int)__syscall_ret(syscall3(SYS_OPEN, path, flags, mode));
}

int unlink(const char *path)
{
	return (int)__syscall_ret(syscall1(SYS_UNLINK, path));
}

int mkdir(const char *path, mode_t mode)
{
	return (int)__syscall_ret(syscall2(SYS_MKDIR, path, mode));
}

int rmdir(const char *path)
{
	return (int)__syscall_ret(syscall1(SYS_RMDIR, path));
}

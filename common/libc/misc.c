/* Small pieces of libc: strerror, assert, atoi, getenv, string extras. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case EPERM: return "operation not permitted";
	case ENOENT: return "no such file or directory";
	case ESRCH: return "no such process";
	case EINTR: return "interrupted";
	case EIO: return "I/O error";
	case E2BIG: return "argument list too long";
	case ENOEXEC: return "exec format error";
	case EBADF: return "bad file descriptor";
	case ECHILD: return "no child processes";
	case EAGAIN: return "resource temporarily unavailable";
	case ENOMEM: return "out of memory";
	case EACCES: return "permission denied";
	case EFAULT: return "bad address";
	case EBUSY: return "resource busy";
	case EEXIST: return "file exists";
	case EXDEV: return "cross-scheme link";
	case ENOTDIR: return "not a directory";
	case EISDIR: return "is a directory";
	case EINVAL: return "invalid argument";
	case EMFILE: return "too many open files";
	case ENOSPC: return "no space left";
	case EROFS: return "read-only file system";
	case EFBIG: return "file too large";
	case ERANGE: return "result out of range";
	case ENFILE: return "too many open files in the system";
	case ENXIO: return "no such device or address";
	case ENODEV: return "no such device";
	case ENOTTY: return "not a terminal";
	case ESPIPE: return "illegal seek";
	case EPIPE: return "broken pipe";
	case ENAMETOOLONG: return "name too long";
	case ENOSYS: return "function not implemented";
	case ENOTEMPTY: return "directory not empty";
	case ELOOP: return "too many symbolic links";
	default: return "unknown error";
	}
}

void __assert_fail(const char *expr, const char *file, int line)
{
	dprintf(2, "assertion failed: %s (%s:%d)\n", expr, file, line);
	exit(134);
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

char *getenv(const char *name)
{
	size_t n = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

char *strcpy(char *dst, const char *src)
{
	return memcpy(dst, src, strlen(src) + 1);
}

char *strcat(char *dst, const char *src)
{
	strcpy(dst + strlen(dst), src);
	return dst;
}

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

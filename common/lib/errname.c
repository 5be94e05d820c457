/*
 * errno's symbolic name ("ENOMEM"), one table for the kernel (ktest's
 * failure lines) and libc (utest.h, strace). Plain C, no dependencies.
 */
#include "errname.h"
#include <ochre/errno.h>

/* "E?" for a number without one. */
const char *errno_name(int err)
{
	static const char *const names[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",
		[EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO",
		[E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF",
		[ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV",
		[ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR", [EINVAL] = "EINVAL",
		[ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
		[EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE",
		[EROFS] = "EROFS", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE",
		[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS",
		[ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP",
	};
	if (err <= 0 || err >= (int)(sizeof(names) / sizeof(names[0])) ||
	    !names[err])
		return "E?";
	return names[err];
}

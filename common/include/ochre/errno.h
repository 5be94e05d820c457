/*
 * Error numbers shared by the kernel, libc and user programs (the ABI).
 * Kernel functions return 0 or a negative errno; syscalls return -errno to
 * user space, where libc stores errno. Values follow Linux so that they are
 * familiar from man pages.
 */
#ifndef OCHRE_ERRNO_H
#define OCHRE_ERRNO_H

#define EPERM		1	/* operation not permitted */
#define ENOENT		2	/* no such file or directory / not mapped */
#define ESRCH		3	/* no such process */
#define EINTR		4	/* interrupted */
#define EIO		5	/* I/O error (e.g. a scheme daemon died) */
#define ENXIO		6
#define E2BIG		7	/* argument list too long */
#define ENOEXEC		8	/* bad executable */
#define EBADF		9	/* bad file descriptor */
#define ECHILD		10	/* no child processes */
#define EAGAIN		11	/* try again */
#define ENOMEM		12	/* out of memory */
#define EACCES		13	/* permission denied */
#define EFAULT		14	/* bad address */
#define EBUSY		16	/* resource busy */
#define EEXIST		17	/* already exists / already mapped */
#define EXDEV		18	/* cross-scheme link */
#define ENODEV		19
#define ENOTDIR		20
#define EISDIR		21
#define EINVAL		22	/* invalid argument */
#define ENFILE		23
#define EMFILE		24	/* too many open files */
#define ENOTTY		25
#define EFBIG		27
#define ENOSPC		28
#define ESPIPE		29	/* illegal seek */
#define EROFS		30
#define EPIPE		32	/* broken pipe */
#define ERANGE		34	/* result out of range */
#define ENAMETOOLONG	36
#define ENOSYS		38	/* not implemented */
#define ENOTEMPTY	39
#define ELOOP		40	/* too many symbolic links */

#endif

/*
 * Lab 5: the kernel takes only canonical paths. HANDOUT.md §4.
 *
 * libc keeps the cwd and turns every path into "scheme:/a/b" before a
 * system call sees it (lab5-initfs/libc/path.c), so the kernel stops
 * resolving: a path that is not canonical is refused with EINVAL instead
 * of being guessed at. Replaces lab 3's cwd.c (the kernel's cwd, chdir and
 * getcwd, which now answer ENOSYS) and path.c (canonicalization); what a
 * canonical path is stays lab 3's rule, path_is_canonical in pathform.c.
 * The kernel never runs libc's code on a path: libc runs in the caller,
 * and the caller may be anything.
 */
#include "kernel.h"
#include "path.h"
#include "scheme.h"

/*
 * What every path system call (vfs.c: open, unlink, mkdir, rmdir) does
 * with the path it copied in: accept it unchanged, or refuse it.
 * copyinstr already gave EFAULT for a bad pointer and ENAMETOOLONG for a
 * path without a NUL in OCHRE_PATH_MAX bytes.
 */
int path_resolve(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);
	if (n >= size)
		return -ENAMETOOLONG;
	/* BEGIN LAB5 SOLUTION: §4 refuse what is not canonical */
	if (!path_is_canonical(in))
		return -EINVAL;
	/* END LAB5 SOLUTION */
	memcpy(out, in, n + 1);
	return (int)n;
}

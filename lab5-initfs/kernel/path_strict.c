/*
 * Lab 5: the kernel takes only canonical paths. HANDOUT.md §4.
 *
 * libc keeps the cwd and turns every path into "scheme:/a/b" before a
 * system call sees it (lab5-initfs/libc/path.c), so the kernel stops
 * resolving: a path that is not canonical is refused with EINVAL instead
 * of being guessed at. Replaces lab 3's path.c (canonicalization) and
 * cwd.c (the kernel's cwd, chdir and getcwd, which now answer ENOSYS).
 *
 * Canonical: a scheme name (1..31 of [a-z0-9_.-]), ":/", then zero or
 * more components of 1..255 bytes separated by single '/', none "." or
 * "..", no '/' at the end except in "scheme:/", shorter than
 * OCHRE_PATH_MAX. The kernel's check is its own, not libc's code: the
 * kernel never trusts what user space computed.
 */
#include "kernel.h"
#include "path.h"
#include "scheme.h"

bool path_scheme_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > PATH_SCHEME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

size_t path_scheme_len(const char *canon)
{
	const char *colon = strchr(canon, ':');
	return colon ? (size_t)(colon - canon) : 0;
}

bool path_is_canonical(const char *path)
{
	/* BEGIN LAB5 SOLUTION: §4 path_is_canonical */
	const char *colon = strchr(path, ':');
	if (!colon || !path_scheme_name_ok(path, (size_t)(colon - path)))
		return false;
	const char *p = colon + 1;
	if (*p != '/')
		return false;
	if (p[1] == '\0')
		return true;			/* "scheme:/" */
	while (*p == '/') {
		const char *start = ++p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (n == 0 || n > 255 || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.'))
			return false;		/* "//", "/.", "/..", trailing "/" */
	}
	return *p == '\0';
	/* END LAB5 SOLUTION */
	/* STARTER: return strchr(path, ':') != NULL; */
}

/*
 * What every path system call does with the path it copied in (vfs.c):
 * accept it as it is, or refuse it. copyinstr already gave EFAULT for a
 * bad pointer and ENAMETOOLONG for a path without a NUL in
 * OCHRE_PATH_MAX bytes.
 */
int path_resolve(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);
	if (n >= size)
		return -ENAMETOOLONG;
	if (!path_is_canonical(in))
		return -EINVAL;
	memcpy(out, in, n + 1);
	return (int)n;
}

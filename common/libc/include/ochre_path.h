/*
 * Paths in libc (lab 5, HANDOUT.md "path_canon"). From lab 5 on the kernel
 * accepts only canonical paths, "scheme:/a/b"; libc turns whatever a
 * program writes into that form before any system call sees it:
 *
 *   base "ramfs:/a/b", "../x"        -> "ramfs:/a/x"
 *   base "ramfs:/a/b", "/x//y/"      -> "ramfs:/x/y"   (+ PATH_TRAILING_DIR)
 *   "initfs:bin/../bin/init"         -> "initfs:/bin/init"
 *
 * path_canon is pure (no system calls, no globals), so the host tests in
 * grader/host/ run it under ASan/UBSan.
 */
#ifndef _OCHRE_PATH_H
#define _OCHRE_PATH_H

#include <stddef.h>

#define PATH_MAX	4096	/* bytes in a path, with its NUL */
#define NAME_MAX	255	/* bytes in one component */
#define SYMLOOP_MAX	8	/* symlinks one open follows */
#define PATH_SCHEME_MAX	31	/* characters in a scheme name */

/* Set in *info when the result must name a directory (a trailing '/', or
 * a last component "." or ".."): open and chdir add O_DIRECTORY. */
#define PATH_TRAILING_DIR	1u

/*
 * Writes the canonical form of path to out (PATH_MAX bytes), resolving a
 * relative path against base (a canonical path, or NULL when there is no
 * base). Returns the length of out, or
 *   -ENOENT        path is empty
 *   -EINVAL        path starts "name:" (before any '/') with name not a
 *                  scheme name; or path is relative and base is NULL or
 *                  not canonical
 *   -ENAMETOOLONG  path, a component (> NAME_MAX) or the result
 *                  (>= PATH_MAX) is too long
 * info may be NULL.
 */
int path_canon(const char *base, const char *path, char *out, unsigned *info);

/* Is path exactly what path_canon makes (so idempotent)? 1 or 0. */
int path_is_canonical(const char *path);

/* A scheme name: 1..PATH_SCHEME_MAX characters of [a-z0-9_.-]. */
int path_scheme_name_ok(const char *name, size_t len);

/* libc's current directory (canonical; "initfs:/" until a chdir). */
const char *__cwd(void);

/* Canonicalizes path against the cwd: 0, or -1 and errno. */
int __path_resolve(const char *path, char *out, unsigned *info);

#endif

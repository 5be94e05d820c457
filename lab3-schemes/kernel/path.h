/*
 * Paths are "scheme:/path". path_canon() turns what a program wrote into
 * that form: a path without a scheme is relative to the current directory,
 * and ".", "..", empty components and trailing slashes are resolved:
 *
 *   cwd "initfs:/bin", "echo"          -> "initfs:/bin/echo"
 *   cwd "initfs:/bin", "../etc//x/."   -> "initfs:/etc/x"
 *   "ramfs:"                           -> "ramfs:/"
 *   "ramfs:/a/../../b"                 -> "ramfs:/b"   (.. stops at the root)
 *
 * The kernel does this in lab 3 (path.c); lab 5 retires it when libc takes
 * over (Redox's 2022 design: "userspace path canonicalization"). What a
 * canonical path is (pathform.c) stays: lab 5's kernel accepts nothing else.
 */
#ifndef OCHRE_PATH_H
#define OCHRE_PATH_H

#include <stddef.h>
#include <stdbool.h>

#define PATH_SCHEME_MAX	31	/* characters in a scheme name */

/* A scheme name: 1..31 of [a-z0-9_.-]. */
bool path_scheme_name_ok(const char *name, size_t len);

/*
 * Writes the canonical form of path (relative to cwd, which must be
 * canonical, or NULL) to out. Returns its length, or -ENOENT (empty path),
 * -EINVAL (bad scheme name, or relative with no cwd), -ENAMETOOLONG.
 */
int path_canon(const char *cwd, const char *path, char *out, size_t size);

/* Is path exactly what path_canon would make of it? */
bool path_is_canonical(const char *path);

/* Where the scheme's ':' is, if path starts with "name:" (a ':' before
 * any '/'), else NULL. */
const char *path_scheme_colon(const char *path);

/* For a canonical path: the scheme name's length (the path part starts at
 * path + len + 1, always with '/'). */
size_t path_scheme_len(const char *canon);

#endif

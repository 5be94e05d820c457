/*
 * Lab 3 (given): what a canonical path looks like; see path.h. Kept apart
 * from path.c (the canonicalizer, which lab 5 retires when libc takes
 * over) because the kernel checks paths in every lab: lab 5's kernel
 * takes nothing else. Pure C, like path.c: the host tests link it too.
 */
#include "path.h"
#include "string.h"

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

const char *path_scheme_colon(const char *path)
{
	for (const char *p = path; *p && *p != '/'; p++)
		if (*p == ':')
			return p;
	return NULL;
}

size_t path_scheme_len(const char *canon)
{
	const char *colon = strchr(canon, ':');
	return colon ? (size_t)(colon - canon) : 0;
}

bool path_is_canonical(const char *path)
{
	const char *colon = path_scheme_colon(path);
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
		if (n == 0 || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.'))
			return false;		/* "//", "/.", "/..", trailing "/" */
	}
	return *p == '\0';
}

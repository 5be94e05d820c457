/*
 * Lab 3: path canonicalization; see path.h. HANDOUT.md §4.
 * Pure C, so the host tests (grader/host/test_path.py) can run it too.
 */
#include "path.h"
#include "string.h"
#include <ochre/errno.h>

/* BEGIN LAB3 SOLUTION: §4 canonical paths */
struct out {
	char *buf;
	size_t size;
	size_t len;
	size_t root;	/* length of "scheme:/" - never popped by ".." */
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->size) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Appends the components of a "/"-separated path, resolving . and .. */
static void add_components(struct out *o, const char *p)
{
	while (*p) {
		while (*p == '/')
			p++;
		const char *start = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			while (o->len > o->root && o->buf[o->len - 1] != '/')
				o->len--;	/* drop the last component */
			if (o->len > o->root)
				o->len--;	/* and its slash */
			o->buf[o->len] = '\0';
			continue;
		}
		if (o->len > o->root)
			put(o, "/", 1);
		put(o, start, n);
	}
}

/* END LAB3 SOLUTION */

int path_canon(const char *cwd, const char *path, char *out, size_t size)
{
	/* BEGIN LAB3 SOLUTION: §4 path_canon */
	struct out o = { out, size, 0, 0, false };
	if (!path[0])
		return -ENOENT;
	if (size == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	const char *colon = path_scheme_colon(path);
	const char *rest;
	if (colon) {
		size_t n = (size_t)(colon - path);
		if (!path_scheme_name_ok(path, n))
			return -EINVAL;
		put(&o, path, n + 1);
		rest = colon + 1;
	} else {
		if (!cwd || !path_is_canonical(cwd))
			return -EINVAL;
		size_t n = path_scheme_len(cwd);
		put(&o, cwd, n + 1);
		o.root = o.len + 1;
		put(&o, "/", 1);
		if (path[0] != '/')	/* "/x": absolute in the cwd's scheme */
			add_components(&o, cwd + n + 1);
		rest = path;
	}
	o.root = path_scheme_len(out) + 2;
	if (o.len < o.root)
		put(&o, "/", 1);
	add_components(&o, rest);
	if (o.overflow)
		return -ENAMETOOLONG;
	return (int)o.len;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

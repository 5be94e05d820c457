/*
 * Path canonicalization in libc (lab 5, HANDOUT.md "path_canon"); see
 * <ochre_path.h>. Pure C: no system calls and no globals, so the host
 * tests (grader/host/test_canon.py) build it with ASan/UBSan and compare
 * it against a table and 100,000 random paths.
 *
 * It replaces lab 3's kernel canonicalizer (lab3-schemes/kernel/path.c):
 * from lab 5 on the kernel only checks that a path is canonical.
 */
#include <ochre_path.h>
#include <string.h>
#include <ochre/errno.h>

int path_scheme_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > PATH_SCHEME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Where the scheme's ':' is, if path starts with "name:" before any '/'. */
static const char *find_colon(const char *path)
{
	for (const char *p = path; *p && *p != '/'; p++)
		if (*p == ':')
			return p;
	return NULL;
}

/*
 * "scheme:/" then components of 1..NAME_MAX bytes separated by single '/',
 * none "." or "..", no trailing '/' (except the root), shorter than
 * PATH_MAX. Exactly what path_canon produces.
 */
int path_is_canonical(const char *path)
{
	size_t len = strnlen(path, PATH_MAX);
	if (len >= PATH_MAX)
		return 0;
	const char *colon = find_colon(path);
	if (!colon || !path_scheme_name_ok(path, (size_t)(colon - path)))
		return 0;
	const char *p = colon + 1;
	if (*p != '/')
		return 0;
	if (p[1] == '\0')
		return 1;			/* "scheme:/" */
	while (*p == '/') {
		const char *start = ++p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (n == 0 || n > NAME_MAX || (n == 1 && start[0] == '.') ||
		    (n == 2 && start[0] == '.' && start[1] == '.'))
			return 0;		/* "//", "/.", "/..", trailing '/' */
	}
	return *p == '\0';
}

/*
 * Given: what the starter does instead of path_canon, so that an unsolved
 * lab 5 still boots (bootstrap, init and the shell use canonical paths):
 * a path that is already canonical is copied, anything else is EINVAL.
 */
int path_copy_canonical(const char *path, char *out);
int path_copy_canonical(const char *path, char *out)
{
	if (!path[0])
		return -ENOENT;
	if (!path_is_canonical(path))
		return -EINVAL;
	size_t n = strlen(path);
	memcpy(out, path, n + 1);
	return (int)n;
}

/* BEGIN LAB5 SOLUTION: §5 path_canon */
/*
 * The result is built in out as a stack of components: out[0, root) is
 * "scheme:/", which ".." never pops; each further component is preceded
 * by '/' except the first. len never reaches PATH_MAX.
 */
struct stack {
	char *out;
	size_t len;
	size_t root;
};

static int push(struct stack *s, const char *name, size_t n)
{
	size_t sep = s->len > s->root;
	if (s->len + sep + n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (sep)
		s->out[s->len++] = '/';
	memcpy(s->out + s->len, name, n);
	s->len += n;
	return 0;
}

static void pop(struct stack *s)
{
	while (s->len > s->root && s->out[s->len - 1] != '/')
		s->len--;
	if (s->len > s->root)
		s->len--;		/* the separator before it */
}

/* Left to right over the '/'-separated components of p. */
static int walk(struct stack *s, const char *p, unsigned *info)
{
	unsigned dir = 0;
	while (*p) {
		while (*p == '/')
			p++;
		const char *start = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (n == 0)
			break;			/* only slashes were left */
		dir = *p == '/';		/* "x/" must be a directory */
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 1 && start[0] == '.') {
			dir = 1;
		} else if (n == 2 && start[0] == '.' && start[1] == '.') {
			pop(s);
			dir = 1;
		} else {
			int err = push(s, start, n);
			if (err)
				return err;
		}
	}
	*info |= dir ? PATH_TRAILING_DIR : 0;
	return 0;
}
/* END LAB5 SOLUTION */

int path_canon(const char *base, const char *path, char *out, unsigned *info)
{
	/* BEGIN LAB5 SOLUTION: §5 path_canon */
	unsigned ignored = 0;
	if (!info)
		info = &ignored;
	*info = 0;
	size_t plen = strnlen(path, PATH_MAX);
	if (plen == 0)
		return -ENOENT;
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;

	struct stack s = { out, 0, 0 };
	const char *colon = find_colon(path);
	const char *rest = path;
	if (colon) {
		size_t n = (size_t)(colon - path);
		if (!path_scheme_name_ok(path, n))
			return -EINVAL;
		memcpy(out, path, n);
		s.len = n;
		rest = colon + 1;	/* "initfs:bin" is "initfs:/bin" */
	} else {
		if (!base || !path_is_canonical(base))
			return -EINVAL;
		s.len = (size_t)(find_colon(base) - base);
		memcpy(out, base, s.len);
	}
	out[s.len++] = ':';
	out[s.len++] = '/';
	s.root = s.len;
	if (!colon && path[0] != '/') {
		/* Relative: start from base, already a valid stack. */
		size_t blen = strlen(base);
		memcpy(out, base, blen);
		s.len = blen;
	}
	int err = walk(&s, rest, info);
	if (err)
		return err;
	out[s.len] = '\0';
	return (int)s.len;
	/* END LAB5 SOLUTION */
	/* STARTER: (void)base; if (info) *info = 0; return path_copy_canonical(path, out); */
}

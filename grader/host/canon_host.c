/*
 * Host test of lab 5's libc path_canon (lab5-initfs/libc/path.c), built
 * with ASan/UBSan by test_canon.py. Three parts:
 *
 *  1. a table of (base, path) -> canonical path + "must be a directory",
 *     or an errno, on several bases (the table of HANDOUT-libc.md);
 *  2. RANDOM inputs (default 100,000, seeded) compared with a reference
 *     model written here independently (an array of components, not a
 *     stack in the output buffer), and each result checked to be
 *     canonical (by a checker written here too) and idempotent;
 *  3. every output is written into a buffer of exactly PATH_MAX bytes
 *     allocated on its own, so ASan sees any write past it.
 *
 * Usage: canon_host [COUNT [SEED]]. Prints "canon: OK" or the first
 * failures, "canon: FAILED".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ochre_path.h"

#define DIR	"+DIR"

struct row {
	const char *base, *path, *want;	/* want: canonical [+DIR], or an errno name */
};

static const struct row table[] = {
	/* base ramfs:/a/b: relative paths, "." and ".." */
	{ "ramfs:/a/b", "x", "ramfs:/a/b/x" },
	{ "ramfs:/a/b", ".", "ramfs:/a/b" DIR },
	{ "ramfs:/a/b", "..", "ramfs:/a" DIR },
	{ "ramfs:/a/b", "./x/", "ramfs:/a/b/x" DIR },
	{ "ramfs:/a/b", "../x", "ramfs:/a/x" },
	{ "ramfs:/a/b", "../../../../x", "ramfs:/x" },
	{ "ramfs:/a/b", "x//../y", "ramfs:/a/b/y" },
	{ "ramfs:/a/b", "x/./y/.", "ramfs:/a/b/x/y" DIR },
	{ "ramfs:/a/b", "x/..", "ramfs:/a/b" DIR },
	/* "/" is the root of the base's scheme */
	{ "ramfs:/a/b", "/", "ramfs:/" },
	{ "ramfs:/a/b", "//", "ramfs:/" },
	{ "ramfs:/a/b", "///x", "ramfs:/x" },
	{ "ramfs:/a/b", "//x//y/", "ramfs:/x/y" DIR },
	{ "ramfs:/a/b", "/x/./y/../z", "ramfs:/x/z" },
	{ "ramfs:/a/b", "/..", "ramfs:/" DIR },
	/* scheme-qualified paths ignore the base */
	{ "ramfs:/a/b", "initfs:", "initfs:/" },
	{ "ramfs:/a/b", "initfs:/", "initfs:/" },
	{ "ramfs:/a/b", "initfs:bin/init", "initfs:/bin/init" },
	{ "ramfs:/a/b", "initfs:/../../x", "initfs:/x" },
	{ "ramfs:/a/b", "initfs:bin/../bin/init", "initfs:/bin/init" },
	{ "ramfs:/a/b", "a:b", "a:/b" },
	{ "ramfs:/a/b", "a-b_c.d:/q", "a-b_c.d:/q" },
	{ "ramfs:/a/b", "a:b:/c", "a:/b:/c" },
	/* a ':' after a '/' is part of a name */
	{ "ramfs:/a/b", "./a:b", "ramfs:/a/b/a:b" },
	{ "ramfs:/a/b", "x/y:z", "ramfs:/a/b/x/y:z" },
	/* a prefix that is not a scheme name */
	{ "ramfs:/a/b", "Bad:x", "EINVAL" },
	{ "ramfs:/a/b", ":", "EINVAL" },
	{ "ramfs:/a/b", ":/x", "EINVAL" },
	{ "ramfs:/a/b", "bad name:/x", "EINVAL" },
	{ "ramfs:/a/b", "abcdefghijklmnopqrstuvwxyz012345:/x", "EINVAL" },	/* 32 */
	{ "ramfs:/a/b", "abcdefghijklmnopqrstuvwxyz01234:/x", "abcdefghijklmnopqrstuvwxyz01234:/x" },
	/* the empty path */
	{ "ramfs:/a/b", "", "ENOENT" },
	{ NULL, "", "ENOENT" },
	/* base at a scheme root */
	{ "initfs:/", "..", "initfs:/" DIR },
	{ "initfs:/", "../../..", "initfs:/" DIR },
	{ "initfs:/", "bin", "initfs:/bin" },
	{ "initfs:/", "bin/", "initfs:/bin" DIR },
	{ "initfs:/", ".", "initfs:/" DIR },
	/* no base, or a bad one */
	{ NULL, "x", "EINVAL" },
	{ NULL, "/x", "EINVAL" },
	{ NULL, "ramfs:/x/", "ramfs:/x" DIR },
	{ "ramfs:", "x", "EINVAL" },
	{ "ramfs:/a/", "x", "EINVAL" },
	{ "ramfs:/a/../b", "x", "EINVAL" },
	{ "a/b", "x", "EINVAL" },
	/* another scheme's base */
	{ "debug:/", "x/../..", "debug:/" DIR },
	{ "x.y:/deep/er/still", "../../z", "x.y:/deep/z" },
};

static int failures;

static void fail(const char *fmt, const char *a, const char *b, const char *c, const char *d)
{
	if (failures++ < 20) {
		printf("FAIL ");
		printf(fmt, a, b, c, d);
		printf("\n");
	}
}

static const char *err_name(int e)
{
	switch (-e) {
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	default: return "E?";
	}
}

/* ---- an independent canonical-form checker ---- */

static int scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

static int my_canonical(const char *p)
{
	size_t len = strlen(p), i = 0;
	if (len >= PATH_MAX)
		return 0;
	while (i < len && scheme_char(p[i]))
		i++;
	if (i == 0 || i > 31 || p[i] != ':' || p[i + 1] != '/')
		return 0;
	i += 2;
	if (i == len)
		return 1;
	size_t start = i;
	for (;; i++) {
		if (i == len || p[i] == '/') {
			size_t n = i - start;
			if (n == 0 || n > 255)
				return 0;
			if ((n == 1 && p[start] == '.') ||
			    (n == 2 && p[start] == '.' && p[start + 1] == '.'))
				return 0;
			if (i == len)
				return 1;
			start = i + 1;
		}
	}
}

/* ---- an independent reference model ---- */

struct comp {
	const char *s;
	size_t n;
};

/* Splits p at '/' into comps (appended); returns whether the last
 * non-empty component asks for a directory. -1 for a long component. */
static int split(const char *p, struct comp *c, int *nc, int apply)
{
	int dir = 0;
	const char *q = p;
	for (;;) {
		const char *e = strchr(q, '/');
		size_t n = e ? (size_t)(e - q) : strlen(q);
		if (n > 0) {
			if (n > 255)
				return -1;
			dir = e != NULL;
			if (n == 1 && q[0] == '.') {
				dir = 1;
			} else if (n == 2 && q[0] == '.' && q[1] == '.') {
				if (*nc > 0)
					(*nc)--;
				dir = 1;
			} else if (apply) {
				c[(*nc)++] = (struct comp){ q, n };
			}
		}
		if (!e)
			break;
		q = e + 1;
	}
	return dir;
}

/* Writes the reference result to out; returns its length or -errno. */
static int model(const char *base, const char *path, char *out, unsigned *info)
{
	static struct comp c[PATH_MAX];
	int nc = 0;
	*info = 0;
	size_t plen = strlen(path);
	if (plen == 0)
		return -ENOENT;
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;
	const char *slash = strchr(path, '/');
	const char *colon = strchr(path, ':');
	char scheme[64];
	const char *rest = path;
	if (colon && (!slash || colon < slash)) {
		size_t n = (size_t)(colon - path);
		if (n == 0 || n > 31)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if (!scheme_char(path[i]))
				return -EINVAL;
		memcpy(scheme, path, n);
		scheme[n] = '\0';
		rest = colon + 1;
	} else {
		if (!base || !my_canonical(base))
			return -EINVAL;
		size_t n = (size_t)(strchr(base, ':') - base);
		memcpy(scheme, base, n);
		scheme[n] = '\0';
		if (path[0] != '/')
			split(strchr(base, ':') + 1, c, &nc, 1);
	}
	int dir = split(rest, c, &nc, 1);
	if (dir < 0)
		return -ENAMETOOLONG;
	/* The implementation refuses when its stack would reach PATH_MAX
	 * at any moment; the model sees only the end. Over-long inputs are
	 * rare in the random set and checked separately. */
	size_t len = (size_t)snprintf(out, PATH_MAX, "%s:/", scheme);
	for (int i = 0; i < nc; i++) {
		if (len + (i > 0) + c[i].n >= PATH_MAX)
			return -ENAMETOOLONG;
		if (i > 0)
			out[len++] = '/';
		memcpy(out + len, c[i].s, c[i].n);
		len += c[i].n;
	}
	out[len] = '\0';
	*info = dir ? PATH_TRAILING_DIR : 0;
	return (int)len;
}

/* ---- driving ---- */

static char *out;	/* exactly PATH_MAX bytes: ASan guards the end */

static void check_row(const struct row *r)
{
	unsigned info = 0xdead;
	memset(out, 'Z', PATH_MAX);
	int n = path_canon(r->base, r->path, out, &info);
	char got[PATH_MAX + 8];
	if (n < 0)
		snprintf(got, sizeof(got), "%s", err_name(n));
	else if ((size_t)n != strnlen(out, PATH_MAX))
		snprintf(got, sizeof(got), "length %d for '%.60s'", n, out);
	else
		snprintf(got, sizeof(got), "%s%s", out, info & PATH_TRAILING_DIR ? DIR : "");
	if (strcmp(got, r->want) != 0)
		fail("base '%s' path '%s': got '%s', want '%s'",
		     r->base ? r->base : "(null)", r->path, got, r->want);
	if (n >= 0 && (!my_canonical(out) || !path_is_canonical(out)))
		fail("base '%s' path '%s': '%s' is not canonical%s",
		     r->base ? r->base : "(null)", r->path, out, "");
}

static unsigned long long rng;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

static void random_path(char *p, size_t max)
{
	static const char *pieces[] = {
		"a", "b", "xyz", "/", "/", "//", ".", "..", "./", "../", ":",
		"initfs:", "ramfs:/", "a:", "Q", "é", " ", "-", "_", "a.b",
	};
	size_t len = 0;
	unsigned parts = rnd(12);
	if (rnd(50) == 0) {		/* now and then a long component */
		size_t n = 250 + rnd(10);
		memset(p, 'n', n);
		len = n;
	}
	for (unsigned i = 0; i < parts; i++) {
		const char *s = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
		size_t n = strlen(s);
		if (len + n >= max)
			break;
		memcpy(p + len, s, n);
		len += n;
	}
	p[len] = '\0';
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 100000;
	rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x0c4e;
	out = malloc(PATH_MAX);
	char *again = malloc(PATH_MAX), *want = malloc(PATH_MAX);
	if (!out || !again || !want)
		return 2;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		check_row(&table[i]);
	printf("canon: %zu table rows checked\n", sizeof(table) / sizeof(table[0]));

	/* Lengths at the limits. */
	static char big[PATH_MAX + 16], name[300];
	memset(big, 'a', PATH_MAX);
	memcpy(big, "ramfs:/", 7);
	for (size_t i = 7 + 200; i < PATH_MAX; i += 201)
		big[i] = '/';		/* components of 200 bytes */
	big[PATH_MAX] = '\0';		/* 4096 bytes: too long */
	if (path_canon(NULL, big, out, NULL) != -ENAMETOOLONG)
		fail("a %s-byte path: not ENAMETOOLONG%s%s%s", "4096", "", "", "");
	big[PATH_MAX - 1] = '\0';	/* 4095: fits exactly */
	int n = path_canon(NULL, big, out, NULL);
	if (n != PATH_MAX - 1 || strcmp(out, big) != 0)
		fail("a %s-byte canonical path: got %s%s%s", "4095", err_name(n < 0 ? n : 0), "", "");
	memset(name, 'c', 256);
	name[256] = '\0';
	if (path_canon("ramfs:/", name, out, NULL) != -ENAMETOOLONG)
		fail("a %s-byte component: not ENAMETOOLONG%s%s%s", "256", "", "", "");
	name[255] = '\0';
	if (path_canon("ramfs:/", name, out, NULL) != 7 + 255)
		fail("a %s-byte component: refused%s%s%s", "255", "", "", "");
	/* A long base plus a relative path that does not fit. */
	big[PATH_MAX - 1] = '\0';
	if (path_canon(big, "xx", out, NULL) != -ENAMETOOLONG)
		fail("base of %s bytes + 'xx': not ENAMETOOLONG%s%s%s", "4095", "", "", "");
	if ((n = path_canon(big, "..", out, NULL)) < 0 || n >= PATH_MAX - 1)
		fail("base of %s bytes + '..': %s%s%s", "4095", err_name(n), "", "");

	/* Random inputs against the model; idempotence; canonical form. */
	static char path[600];
	static const char *bases[] = { "ramfs:/a/b", "initfs:/", "x:/p/q/r", NULL,
				       "initfs:/bin" };
	long compared = 0;
	for (long i = 0; i < count && failures < 20; i++) {
		random_path(path, sizeof(path));
		const char *base = bases[rnd(5)];
		unsigned info = 0, winfo = 0, ainfo = 0;
		int r = path_canon(base, path, out, &info);
		int w = model(base, path, want, &winfo);
		if (r != w || (r >= 0 && (strcmp(out, want) != 0 || info != winfo))) {
			char g[40], e[40];
			snprintf(g, sizeof(g), "%d info %u", r, info);
			snprintf(e, sizeof(e), "%d info %u", w, winfo);
			fail("base '%s' path '%s': got %s, model %s",
			     base ? base : "(null)", path, g, e);
			if (r >= 0 && w >= 0)
				printf("  got  '%s'\n  want '%s'\n", out, want);
			continue;
		}
		compared++;
		if (r < 0)
			continue;
		if (!my_canonical(out) || !path_is_canonical(out))
			fail("'%s' -> '%s' is not canonical%s%s", path, out, "", "");
		int r2 = path_canon(NULL, out, again, &ainfo);
		if (r2 != r || strcmp(again, out) != 0 || ainfo != 0)
			fail("not idempotent: '%s' -> '%s' -> '%s'%s", path, out,
			     r2 < 0 ? err_name(r2) : again, "");
	}
	printf("canon: %ld random paths checked\n", compared);
	free(out);
	free(again);
	free(want);
	printf("%s\n", failures ? "canon: FAILED" : "canon: OK");
	return failures != 0;
}

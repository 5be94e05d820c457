/*
 * Host test of lab3-schemes/kernel/path.c: a table of cwd + path -> expected
 * canonical path or error. Built with ASan/UBSan by test_path.py.
 */
#include <stdio.h>
#include <string.h>
#include <ochre/errno.h>
#include "path.h"

struct want {
	const char *cwd, *path, *out;	/* out: the result, or an error name */
};

static const struct want cases[] = {
	{ "initfs:/bin", "echo", "initfs:/bin/echo" },
	{ "initfs:/bin", "../etc//x/.", "initfs:/etc/x" },
	{ "initfs:/bin", "/abs", "initfs:/abs" },
	{ "initfs:/bin", "./", "initfs:/bin" },
	{ "initfs:/", "..", "initfs:/" },
	{ "initfs:/", "../../..", "initfs:/" },
	{ "initfs:/", ".", "initfs:/" },
	{ NULL, "ramfs:", "ramfs:/" },
	{ NULL, "ramfs:/a/../../b", "ramfs:/b" },
	{ NULL, "ramfs:a/b", "ramfs:/a/b" },
	{ NULL, "x:/a/b/", "x:/a/b" },
	{ NULL, "a:b:/c", "a:/b:/c" },
	{ NULL, "a-b_c.d:/q", "a-b_c.d:/q" },
	{ "ramfs:/d", "ramfs:/x/./y/../z", "ramfs:/x/z" },
	{ NULL, "", "ENOENT" },
	{ NULL, ":", "EINVAL" },
	{ NULL, ":/x", "EINVAL" },
	{ NULL, "bad name:/x", "EINVAL" },
	{ NULL, "UPPER:/x", "EINVAL" },
	{ NULL, "echo", "EINVAL" },			/* relative, no cwd */
	{ NULL, "abcdefghijklmnopqrstuvwxyz0123456:/x", "EINVAL" },	/* 33 */
	{ "not canonical", "x", "EINVAL" },
};

static const char *err_name(int e)
{
	return e == -ENOENT ? "ENOENT" : e == -EINVAL ? "EINVAL"
	     : e == -ENAMETOOLONG ? "ENAMETOOLONG" : "?";
}

int main(void)
{
	int bad = 0;
	char out[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		int r = path_canon(w->cwd, w->path, out, sizeof(out));
		const char *got = r < 0 ? err_name(r) : out;
		if (strcmp(got, w->out) != 0 ||
		    (r >= 0 && ((size_t)r != strlen(out) || !path_is_canonical(out)))) {
			printf("FAIL cwd=%s path='%s': got '%s', want '%s'\n",
			       w->cwd ? w->cwd : "-", w->path, got, w->out);
			bad++;
		}
	}
	/* Output too small: ENAMETOOLONG, never an overflow (ASan watches). */
	char tiny[8];
	if (path_canon(NULL, "ramfs:/abcdefgh", tiny, sizeof(tiny)) != -ENAMETOOLONG) {
		printf("FAIL: overflow not reported\n");
		bad++;
	}
	static const char *canonical[] = { "a:/", "a:/b", "a:/b/c" };
	static const char *not_canonical[] = { "a:", "a:/b/", "a://b", "a:/./b",
					       "a:/b/..", "/b", "A:/b", "a:b" };
	for (size_t i = 0; i < 3; i++)
		if (!path_is_canonical(canonical[i]))
			printf("FAIL: '%s' is canonical\n", canonical[i]), bad++;
	for (size_t i = 0; i < 8; i++)
		if (path_is_canonical(not_canonical[i]))
			printf("FAIL: '%s' is not canonical\n", not_canonical[i]), bad++;
	printf("%s\n", bad ? "path: FAILED" : "path: OK");
	return bad != 0;
}

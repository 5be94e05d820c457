/*
 * Lab 5: symlinks are followed by libc (HANDOUT-libc.md "the EXDEV loop").
 *
 * The test serves its own links, so it tests libc alone: two forked
 * daemons, lnk: and lnk2:, answer like lab 5's initfs daemon does. A final
 * symlink is EXDEV ("follow it yourself"), or the link itself under
 * O_SYMLINK (read gives the target), or ELOOP under O_NOFOLLOW; a link in
 * the middle of a path is ENOTDIR. The tree (the same in both):
 *
 *   /f            file "lnk-f\n"
 *   /dir/         directory
 *   /dir/rel  ->  ../f                  (relative: against /dir)
 *   /dir/abs  ->  /f                    (absolute, no scheme: lnk's root)
 *   /toram    ->  ramfs:/t              (into another scheme)
 *   /tobin    ->  initfs:/bin           (a directory)
 *   /echo     ->  initfs:/bin/echo      (exec through it)
 *   /mid      ->  /dir                  (so /mid/rel: ENOTDIR)
 *   /chain/N  ->  N-1, and /chain/1 -> /f   (N links to reach /f)
 *   /self     ->  self
 *   /ping     ->  lnk2:/pong,  /pong -> lnk:/ping   (a loop across schemes)
 *   /empty    ->  ""                    (ENOENT)
 *   /huge     ->  4096 bytes            (ENAMETOOLONG)
 *   /<200 x>/long -> 3950 bytes, relative (the splice is too long)
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre_path.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the link daemon ---- */

/* "/" followed by exactly n 'x' (then the end, or '/'). */
static int xs(const char *p, size_t n)
{
	for (size_t i = 1; i <= n; i++)
		if (p[i] != 'x')
			return 0;
	return p[n + 1] == '\0' || p[n + 1] == '/';
}

enum kind { NONE, DIR_, FILE_, LINK };

struct node {
	enum kind kind;
	const char *data;	/* file content or link target */
	size_t size;
};

static char huge[PATH_MAX + 1], longtarget[3951], chainbuf[16];

static struct node find(const char *p)
{
	static const struct {
		const char *path;
		enum kind kind;
		const char *data;
	} fixed[] = {
		{ "/", DIR_, "" }, { "/f", FILE_, "lnk-f\n" }, { "/dir", DIR_, "" },
		{ "/dir/rel", LINK, "../f" }, { "/dir/abs", LINK, "/f" },
		{ "/toram", LINK, "ramfs:/t" }, { "/tobin", LINK, "initfs:/bin" },
		{ "/echo", LINK, "initfs:/bin/echo" }, { "/mid", LINK, "/dir" },
		{ "/chain", DIR_, "" }, { "/self", LINK, "self" },
		{ "/ping", LINK, "lnk2:/pong" }, { "/pong", LINK, "lnk:/ping" },
		{ "/empty", LINK, "" },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(p, fixed[i].path) == 0)
			return (struct node){ fixed[i].kind, fixed[i].data,
					      strlen(fixed[i].data) };
	if (strcmp(p, "/huge") == 0)
		return (struct node){ LINK, huge, PATH_MAX };
	size_t n = strlen(p);
	if (n == 201 && xs(p, 200))
		return (struct node){ DIR_, "", 0 };
	if (n == 206 && xs(p, 200) && strcmp(p + 201, "/long") == 0)
		return (struct node){ LINK, longtarget, sizeof(longtarget) - 1 };
	if (strncmp(p, "/chain/", 7) == 0) {
		char *end;
		long k = strtol(p + 7, &end, 10);
		if (*end || k < 1 || k > 99)
			return (struct node){ NONE, NULL, 0 };
		if (k == 1)
			snprintf(chainbuf, sizeof(chainbuf), "/f");
		else
			snprintf(chainbuf, sizeof(chainbuf), "%ld", k - 1);
		return (struct node){ LINK, chainbuf, strlen(chainbuf) };
	}
	return (struct node){ NONE, NULL, 0 };
}

struct handle {
	struct node node;
	int used;
};
static struct handle handles[32];

static int64_t do_open(char *path, int flags)
{
	/* A link before the last component: ENOTDIR, never followed. */
	for (char *s = path + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		struct node up = find(path);
		*s = '/';
		if (up.kind == LINK || up.kind == FILE_)
			return -ENOTDIR;
		if (up.kind == NONE)
			return -ENOENT;
	}
	struct node n = find(path);
	if (n.kind == NONE)
		return -ENOENT;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return -EROFS;
	if (n.kind == LINK && !(flags & O_SYMLINK))
		return flags & O_NOFOLLOW ? -ELOOP : -EXDEV;
	if (n.kind == FILE_ && (flags & O_DIRECTORY))
		return -ENOTDIR;
	for (int i = 0; i < 32; i++)
		if (!handles[i].used) {
			handles[i] = (struct handle){ n, 1 };
			return i + 1;
		}
	return -ENFILE;
}

static int64_t serve(struct scheme_request *req, const void **payload, uint32_t *len)
{
	const struct scheme_sqe *q = &req->sqe;
	static struct ochre_stat st;
	switch (q->opcode) {
	case SCHEME_OPEN:
		return do_open(req->data, (int)q->args[0]);
	case SCHEME_UNLINK: case SCHEME_MKDIR: case SCHEME_RMDIR:
		return -EROFS;
	}
	if (q->id < 1 || q->id > 32 || !handles[q->id - 1].used)
		return -EBADF;
	struct node *n = &handles[q->id - 1].node;
	switch (q->opcode) {
	case SCHEME_CLOSE:
		handles[q->id - 1].used = 0;
		return 0;
	case SCHEME_READ: {
		uint64_t want = q->args[0], off = q->args[1];
		if (n->kind == DIR_)
			return -EISDIR;
		if (off >= n->size)
			return 0;
		if (want > n->size - off)
			want = n->size - off;
		*payload = n->data + off;
		*len = (uint32_t)want;
		return (int64_t)want;
	}
	case SCHEME_SEEK: {
		int64_t off = (int64_t)q->args[0];
		int64_t base = q->args[1] == SEEK_SET ? 0 : q->args[1] == SEEK_CUR
			       ? (int64_t)q->args[2] : (int64_t)n->size;
		return base + off < 0 ? -EINVAL : base + off;
	}
	case SCHEME_FSTAT:
		st.size = n->size;
		st.ino = 1;
		st.mode = (n->kind == DIR_ ? S_IFDIR : n->kind == LINK ? S_IFLNK : S_IFREG) | 0444;
		st.nlink = 1;
		*payload = &st;
		*len = sizeof(st);
		return 0;
	default:
		return -ENOSYS;
	}
}

static pid_t start_daemon(const char *name)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid > 0) {
		for (int i = 0; i < 1000 && !scheme_exists(name); i++)
			sched_yield();
		CHECK(scheme_exists(name));
		return pid;
	}
	memset(huge, 'h', PATH_MAX);
	for (size_t i = 0; i < sizeof(longtarget) - 1; i++)
		longtarget[i] = i % 200 == 199 ? '/' : 'y';
	int fd = scheme_create(name);
	if (fd < 0)
		_exit(3);
	static struct scheme_request req;
	while (scheme_next(fd, &req) == 0) {
		const void *payload = NULL;
		uint32_t len = 0;
		int64_t r = serve(&req, &payload, &len);
		scheme_reply(fd, req.sqe.user_data, r, r < 0 ? NULL : payload,
			     r < 0 ? 0 : len);
	}
	_exit(0);
}

/* ---- the tests ---- */

static char buf[PATH_MAX + 1];


static uint64_t open_fds(void)
{
	uint64_t set = 0;
	struct stat st;
	for (int fd = 0; fd < 64; fd++)
		if (fstat(fd, &st) == 0 || errno != EBADF)
			set |= 1ULL << fd;
	return set;
}

/* Opens path (links followed), checks its content and where it is. */
static void reads(int line, const char *path, const char *content, const char *canon)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("linktest: FAIL line %d: open(\"%s\"): %s\n", line, path,
		       strerror(errno));
		exit(1);
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n >= 0);
	buf[n] = '\0';
	if (strcmp(buf, content) != 0) {
		printf("linktest: FAIL line %d: \"%s\" holds \"%s\", expected \"%s\"\n",
		       line, path, buf, content);
		exit(1);
	}
	CHECK(fpath(fd, buf, sizeof(buf)) > 0);
	if (strcmp(buf, canon) != 0) {
		printf("linktest: FAIL line %d: \"%s\" opened as \"%s\", expected \"%s\"\n",
		       line, path, buf, canon);
		exit(1);
	}
	CHECK_EQ(close(fd), 0);
}
#define READS(p, c, w)	reads(__LINE__, p, c, w)

int main(void)
{
	utest_begin("linktest");
	static char *ramfs_argv[] = { "ramfs", NULL };
	CHECK(scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs") > 0);
	pid_t d1 = start_daemon("lnk"), d2 = start_daemon("lnk2");
	int fd = open("ramfs:/t", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "ram-t\n", 6), 6);
	CHECK_EQ(close(fd), 0);
	fd = open("ramfs:/f", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "ram-f\n", 6), 6);
	CHECK_EQ(close(fd), 0);
	uint64_t fds = open_fds();

	/* The link itself: O_SYMLINK, readlink. */
	fd = open("lnk:/toram", O_RDONLY | O_SYMLINK);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "ramfs:/t", 8) == 0);
	CHECK_EQ(close(fd), 0);
	memset(buf, 'z', 16);
	CHECK_EQ(readlink("lnk:/toram", buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "ramfs:/tz", 9) == 0);	/* no NUL added */
	CHECK_EQ(readlink("lnk:/dir/rel", buf, 3), 3);	/* truncated */
	CHECK(memcmp(buf, "../", 3) == 0);
	CHECK_ERR(readlink("lnk:/f", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(readlink("lnk:/nosuch", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(readlink("lnk:/toram", buf, 0), EINVAL);
	printf("linktest: O_SYMLINK and readlink ok\n");

	/* Following: into another scheme; relative and absolute targets
	 * resolve against the link's directory, never the cwd. */
	READS("lnk:/toram", "ram-t\n", "ramfs:/t");
	CHECK_EQ(chdir("ramfs:/"), 0);
	READS("lnk:/dir/rel", "lnk-f\n", "lnk:/f");
	READS("lnk:/dir/abs", "lnk-f\n", "lnk:/f");
	CHECK_EQ(chdir("lnk:/dir"), 0);
	READS("rel", "lnk-f\n", "lnk:/f");
	READS("../toram", "ram-t\n", "ramfs:/t");
	CHECK(realpath("rel", buf) == buf);
	CHECK(strcmp(buf, "lnk:/f") == 0);
	CHECK(realpath("lnk:/toram", buf) == buf);
	CHECK(strcmp(buf, "ramfs:/t") == 0);
	/* O_NOFOLLOW: a final link is ELOOP; other files open. */
	CHECK_ERR(open("lnk:/toram", O_RDONLY | O_NOFOLLOW), ELOOP);
	fd = open("lnk:/f", O_RDONLY | O_NOFOLLOW);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	/* "link/" must lead to a directory. */
	CHECK_ERR(open("lnk:/toram/", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("lnk:/dir/rel/.", O_RDONLY), ENOTDIR);
	CHECK_ERR(chdir("lnk:/toram"), ENOTDIR);
	fd = open("lnk:/tobin/", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	/* A link in the middle of a path is not followed. */
	CHECK_ERR(open("lnk:/mid/rel", O_RDONLY), ENOTDIR);
	/* unlink acts on the link, never on its target. */
	CHECK_ERR(unlink("lnk:/toram"), EROFS);
	READS("ramfs:/t", "ram-t\n", "ramfs:/t");
	printf("linktest: following links ok\n");

	/* chdir through a link: the cwd is where it leads. */
	CHECK_EQ(chdir("lnk:/tobin"), 0);
	CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, "initfs:/bin") == 0);
	CHECK(realpath("../bin/./true", buf) == buf);
	CHECK(strcmp(buf, "initfs:/bin/true") == 0);
	/* exec through a link. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		char *argv[] = { "echo", "via-link", NULL };
		execv("lnk:/echo", argv);
		_exit(127);
	}
	CHECK_EQ(close(p[1]), 0);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	CHECK_EQ(n, 9);
	CHECK(memcmp(buf, "via-link\n", 9) == 0);
	CHECK_EQ(close(p[0]), 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_EQ(chdir("initfs:/"), 0);
	printf("linktest: chdir and exec through links ok\n");

	/* Limits: SYMLOOP_MAX = 8 links resolve, the 9th is ELOOP. */
	READS("lnk:/chain/1", "lnk-f\n", "lnk:/f");
	READS("lnk:/chain/8", "lnk-f\n", "lnk:/f");
	CHECK_ERR(open("lnk:/chain/9", O_RDONLY), ELOOP);
	CHECK_ERR(open("lnk:/chain/50", O_RDONLY), ELOOP);
	CHECK_ERR(open("lnk:/self", O_RDONLY), ELOOP);
	CHECK_ERR(open("lnk:/ping", O_RDONLY), ELOOP);
	CHECK_ERR(open("lnk2:/pong", O_RDONLY), ELOOP);
	CHECK_ERR(chdir("lnk:/ping"), ELOOP);
	CHECK_ERR(open("lnk:/empty", O_RDONLY), ENOENT);
	CHECK_ERR(open("lnk:/huge", O_RDONLY), ENAMETOOLONG);
	snprintf(buf, sizeof(buf), "lnk:/%0200d/long", 0);
	for (int i = 5; i < 205; i++)
		buf[i] = 'x';
	static char target[4000];
	CHECK_EQ(readlink(buf, target, sizeof(target)), 3950);
	CHECK_ERR(open(buf, O_RDONLY), ENAMETOOLONG);	/* 206 + 3950 bytes */
	for (int i = 0; i < 50; i++)
		CHECK(open(i % 2 ? "lnk:/self" : "lnk:/chain/9", O_RDONLY) < 0);
	CHECK_EQ(open_fds(), fds);		/* nothing leaked */
	printf("linktest: ELOOP and ENAMETOOLONG ok\n");

	kill(d1, SIGKILL);
	kill(d2, SIGKILL);
	waitpid(d1, NULL, 0);
	waitpid(d2, NULL, 0);
	utest_ok();
}

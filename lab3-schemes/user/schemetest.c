/*
 * A user-space scheme, end to end: a daemon child registers "echo6" and
 * answers every request with what it received, so that the client (the
 * parent) can check that each argument of each call arrives exactly: open
 * path, flags and mode; read length and offset; write data and offset;
 * seek offset, whence and current offset; getdents length and index; the
 * handle id and the caller's pid; and a call() with six arguments. Also:
 * name registration rules.
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME		"echo6"
#define FAKE_SIZE	1000000		/* SEEK_END counts from here */
#define NDENTS		6		/* entries in every directory */
#define ID_BASE		0x1234500000ULL	/* ids need all 64 bits */

/* What a READ returns: the read request itself, the handle's open
 * request, and the last other request the daemon saw. */
struct report {
	uint64_t id, args[6], caller_pid;
	uint64_t open_flags, open_mode;
	char open_path[48];
	struct {
		uint64_t opcode, payload_len, id, args[6];
		uint32_t sum;			/* of the whole payload */
		char payload[44];		/* its start, NUL-terminated */
	} last;
};

/* ---- the daemon ---- */

struct handle {
	uint64_t flags, mode;
	char path[48];
};
static struct handle handles[64];

static uint32_t checksum(const void *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + ((const uint8_t *)p)[i];
	return s;
}

static int64_t answer(struct scheme_request *req, struct report *last_seen,
		      int *nhandles, char *out, uint32_t *out_len, uint32_t *flags)
{
	struct scheme_sqe *q = &req->sqe;
	static struct report rep;
	*out_len = 0;
	if (q->opcode != SCHEME_READ) {
		memset(&last_seen->last, 0, sizeof(last_seen->last));
		last_seen->last.opcode = q->opcode;
		last_seen->last.payload_len = q->payload_len;
		last_seen->last.id = q->id;
		memcpy(last_seen->last.args, q->args, sizeof(q->args));
		last_seen->last.sum = checksum(req->data, req->len);
		strlcpy(last_seen->last.payload, req->data,
			sizeof(last_seen->last.payload));
	}
	uint64_t h = q->id - ID_BASE;
	if (q->opcode != SCHEME_OPEN && q->opcode != SCHEME_UNLINK &&
	    q->opcode != SCHEME_MKDIR && q->opcode != SCHEME_RMDIR &&
	    (q->id < ID_BASE || h >= (uint64_t)*nhandles))
		return -EBADF;
	switch (q->opcode) {
	case SCHEME_OPEN:
		if (strcmp(req->data, "/denied") == 0)
			return -EACCES;
		if (*nhandles == 64)
			return -ENFILE;
		handles[*nhandles].flags = q->args[0];
		handles[*nhandles].mode = q->args[1];
		strlcpy(handles[*nhandles].path, req->data,
			sizeof(handles[0].path));
		return (int64_t)(ID_BASE + (uint64_t)(*nhandles)++);
	case SCHEME_READ:
		rep.last = last_seen->last;
		rep.id = q->id;
		memcpy(rep.args, q->args, sizeof(q->args));
		rep.caller_pid = q->caller_pid;
		rep.open_flags = handles[h].flags;
		rep.open_mode = handles[h].mode;
		memcpy(rep.open_path, handles[h].path, sizeof(rep.open_path));
		*out_len = q->args[0] < sizeof(rep) ? (uint32_t)q->args[0]
						    : sizeof(rep);
		memcpy(out, &rep, *out_len);
		return *out_len;
	case SCHEME_WRITE:
		if (req->len >= 5 && memcmp(req->data, "short", 5) == 0)
			return 2;
		return req->len;
	case SCHEME_SEEK: {
		int64_t off = (int64_t)q->args[0];
		int64_t base = q->args[1] == SEEK_SET ? 0 : q->args[1] == SEEK_CUR
			     ? (int64_t)q->args[2] : FAKE_SIZE;
		return base + off < 0 ? -EINVAL : base + off;
	}
	case SCHEME_FSTAT: {
		struct ochre_stat st = { .size = q->id, .ino = q->caller_pid,
					 .mode = S_IFREG | 0444, .nlink = 7 };
		memcpy(out, &st, sizeof(st));
		*out_len = sizeof(st);
		return 0;
	}
	case SCHEME_GETDENTS: {
		/* Two entries per call at most, so it takes several calls. */
		uint64_t i = q->args[1];
		uint32_t used = 0;
		for (; i < NDENTS && i < q->args[1] + 2; i++) {
			char rec[24] = { 0 };
			struct ochre_dirent *d = (struct ochre_dirent *)rec;
			if (used + sizeof(rec) > q->args[0])
				break;
			d->ino = 100 + i;
			d->reclen = sizeof(rec);
			d->type = DT_REG;
			d->name[0] = 'e';
			d->name[1] = (char)('0' + i);
			memcpy(out + used, rec, sizeof(rec));
			used += sizeof(rec);
		}
		*flags = (uint32_t)i;
		*out_len = used;
		return used;
	}
	case SCHEME_UNLINK:
		return strcmp(req->data, "/enoent") == 0 ? -ENOENT : 0;
	case SCHEME_RMDIR:
		return -ENOTEMPTY;
	case SCHEME_MKDIR:
	case SCHEME_FSYNC:
	case SCHEME_FTRUNCATE:
	case SCHEME_CLOSE:
		return 0;
	case SCHEME_CALL: {
		/* A result that depends on all six arguments and their order. */
		uint64_t r = 0;
		for (int i = 0; i < 6; i++)
			r = r * 1000003 + q->args[i];
		return (int64_t)(r >> 1);
	}
	default:
		return -ENOSYS;
	}
}

static void __attribute__((noreturn)) daemon_main(int ready)
{
	static struct scheme_request req;
	static struct report last_seen;
	static char out[4096];
	int nhandles = 0;
	int fd = scheme_create(NAME);
	if (fd < 0) {
		printf("schemetest: FAIL daemon: register: %s\n", strerror(errno));
		_exit(1);
	}
	write(ready, "r", 1);
	close(ready);
	while (scheme_next(fd, &req) == 0) {
		uint32_t len, flags = 0;
		if (req.sqe.flags != 0 || req.sqe.caller_pid == 0)
			printf("schemetest: FAIL daemon: bad sqe flags %u pid %lu\n",
			       req.sqe.flags, (unsigned long)req.sqe.caller_pid);
		int64_t r = answer(&req, &last_seen, &nhandles, out, &len, &flags);
		if (scheme_reply_flags(fd, req.sqe.user_data, r, flags, out,
				       r < 0 ? 0 : len) < 0)
			printf("schemetest: FAIL daemon: reply to op %u: %s\n",
			       req.sqe.opcode, strerror(errno));
	}
	printf("schemetest: FAIL daemon: read: %s\n", strerror(errno));
	_exit(1);
}

/* ---- the client ---- */

static struct report report(int fd)
{
	struct report r;
	memset(&r, 0xee, sizeof(r));
	CHECK_EQ(read(fd, &r, 512), sizeof(r));
	return r;
}

static void check_open_and_read(int fd, uint64_t *id)
{
	struct report r = report(fd);
	*id = r.id;
	CHECK(r.id >= ID_BASE);
	CHECK_EQ(r.open_flags, O_RDWR | O_CREAT | O_EXCL);
	CHECK_EQ(r.open_mode, 0640);
	CHECK(strcmp(r.open_path, "/a/b") == 0);
	CHECK_EQ(r.args[0], 512);			/* read length */
	CHECK_EQ(r.args[1], 0);				/* offset */
	CHECK_EQ(r.caller_pid, getpid());
	CHECK_EQ(r.last.opcode, SCHEME_OPEN);
	CHECK_EQ(r.last.payload_len, 4);
	CHECK(strcmp(r.last.payload, "/a/b") == 0);
	r = report(fd);
	CHECK_EQ(r.args[1], sizeof(r));			/* the offset moved */
	printf("schemetest: open and read ok\n");
}

static void check_seek(int fd)
{
	const int64_t rs = sizeof(struct report);
	CHECK_EQ(lseek(fd, 1000, SEEK_SET), 1000);
	struct report r = report(fd);
	CHECK_EQ(r.args[1], 1000);
	CHECK_EQ(r.last.opcode, SCHEME_SEEK);
	CHECK_EQ(r.last.args[0], 1000);
	CHECK_EQ(r.last.args[1], SEEK_SET);
	CHECK_EQ(r.last.args[2], 2 * rs);		/* where we were */
	CHECK_EQ(lseek(fd, 77, SEEK_CUR), 1000 + rs + 77);
	r = report(fd);
	CHECK_EQ(r.last.args[0], 77);
	CHECK_EQ(r.last.args[1], SEEK_CUR);
	CHECK_EQ(r.last.args[2], 1000 + rs);
	CHECK_EQ(lseek(fd, -5, SEEK_END), FAKE_SIZE - 5);
	r = report(fd);
	CHECK_EQ(r.last.args[0], (uint64_t)-5);
	CHECK_EQ(r.last.args[1], SEEK_END);
	CHECK_EQ(r.args[1], FAKE_SIZE - 5);
	CHECK_ERR(lseek(fd, -5, SEEK_SET), EINVAL);	/* the daemon says no */
	r = report(fd);
	CHECK_EQ(r.args[1], FAKE_SIZE - 5 + rs);	/* offset unchanged */
	printf("schemetest: seek ok\n");
}

static void check_write(int fd)
{
	static char data[70000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	data[0] = 'W';
	off_t at = lseek(fd, 4096, SEEK_SET);
	CHECK_EQ(at, 4096);
	CHECK_EQ(write(fd, data, 5000), 5000);
	struct report r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_WRITE);
	CHECK_EQ(r.last.payload_len, 5000);
	CHECK_EQ(r.last.args[0], 4096);			/* offset */
	CHECK_EQ(r.last.sum, checksum(data, 5000));
	CHECK(strncmp(r.last.payload, "Wbcdef", 6) == 0);
	CHECK_EQ(r.args[1], 4096 + 5000);		/* offset moved */
	/* A short write is passed on as it is; a big one is cut. */
	CHECK_EQ(write(fd, "short write", 11), 2);
	r = report(fd);
	CHECK_EQ(r.last.args[0], 4096 + 5000 + sizeof(r));
	ssize_t n = write(fd, data, sizeof(data));
	CHECK(n > 0 && n <= SCHEME_MAX_PAYLOAD);
	r = report(fd);
	CHECK_EQ(r.last.payload_len, n);
	CHECK_EQ(r.last.sum, checksum(data, (size_t)n));
	CHECK_EQ(write(fd, data, 0), 0);
	printf("schemetest: write ok (%zd of %zu bytes in one request)\n", n,
	       sizeof(data));
}

static void check_stat_and_dirents(int fd, uint64_t id)
{
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, id);
	CHECK_EQ(st.st_ino, getpid());
	CHECK_EQ(st.st_mode, S_IFREG | 0444);
	CHECK_EQ(st.st_nlink, 7);
	char path[64];
	CHECK_EQ(fpath(fd, path, sizeof(path)), 10);
	CHECK(strcmp(path, NAME ":/a/b") == 0);

	/* getdents: the index comes back to us through cqe.flags. */
	int dfd = open(NAME ":/dir", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	static char buf[1024] __attribute__((aligned(8)));
	int next = 0, calls = 0;
	ssize_t n;
	while ((n = getdents(dfd, buf, sizeof(buf))) > 0) {
		calls++;
		for (ssize_t off = 0; off < n;) {
			struct ochre_dirent *d = (struct ochre_dirent *)(buf + off);
			CHECK_EQ(d->ino, 100 + next);
			CHECK_EQ(d->name[0], 'e');
			CHECK_EQ(d->name[1], '0' + next);
			next++;
			off += d->reclen;
		}
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(next, NDENTS);
	CHECK_EQ(calls, NDENTS / 2);
	struct report r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_GETDENTS);
	CHECK_EQ(r.last.args[0], sizeof(buf));
	CHECK_EQ(r.last.args[1], NDENTS);		/* the index we were at */
	CHECK_EQ(close(dfd), 0);
	printf("schemetest: fstat, fpath, getdents ok\n");
}

static void check_other_calls(int fd, uint64_t id)
{
	struct report r;
	CHECK_EQ(fsync(fd), 0);
	r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_FSYNC);
	CHECK_EQ(r.last.id, id);
	CHECK_EQ(ftruncate(fd, 123456789), 0);
	r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_FTRUNCATE);
	CHECK_EQ(r.last.args[0], 123456789);
	CHECK_EQ(unlink(NAME ":/u/v"), 0);
	r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_UNLINK);
	CHECK(strcmp(r.last.payload, "/u/v") == 0);
	CHECK_ERR(unlink(NAME ":/enoent"), ENOENT);	/* errors pass through */
	CHECK_EQ(mkdir(NAME ":/m", 0751), 0);
	r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_MKDIR);
	CHECK_EQ(r.last.args[0], 0751);
	CHECK(strcmp(r.last.payload, "/m") == 0);
	CHECK_ERR(rmdir(NAME ":/r"), ENOTEMPTY);
	r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_RMDIR);
	CHECK(strcmp(r.last.payload, "/r") == 0);
	CHECK_ERR(open(NAME ":/denied", O_RDONLY), EACCES);

	/* Relative paths reach the daemon in canonical form. */
	CHECK_EQ(chdir(NAME ":/x/y"), 0);
	int rel = open("../rel/./z", O_RDONLY);
	CHECK(rel >= 0);
	r = report(rel);
	CHECK(strcmp(r.open_path, "/x/rel/z") == 0);
	CHECK_EQ(chdir("initfs:/"), 0);

	/* CLOSE is sent when the last fd of an open file goes. */
	int d = dup(rel);
	CHECK_EQ(close(rel), 0);
	r = report(fd);
	CHECK(r.last.opcode != SCHEME_CLOSE);
	uint64_t rel_id = report(d).id;
	CHECK_EQ(close(d), 0);
	r = report(fd);
	CHECK_EQ(r.last.opcode, SCHEME_CLOSE);
	CHECK_EQ(r.last.id, rel_id);
	printf("schemetest: path calls, fsync, ftruncate, close ok\n");
}

/* Several clients at once: every request is answered, to its sender. */
static void check_concurrent(int fd)
{
	pid_t kids[4];
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			for (int i = 0; i < 50; i++) {
				struct report r;
				if (read(fd, &r, sizeof(r)) != sizeof(r) ||
				    r.caller_pid != (uint64_t)getpid())
					_exit(1);
			}
			_exit(0);
		}
		CHECK(kids[k] > 0);
	}
	for (int k = 0; k < 4; k++) {
		int status;
		CHECK_EQ(waitpid(kids[k], &status, 0), kids[k]);
		CHECK_EQ(status, 0);
	}
	printf("schemetest: 4 concurrent clients ok\n");
}

static void check_names(void)
{
	CHECK_ERR(scheme_create(NAME), EEXIST);
	static const char *bad[] = {
		":", ":a/b", ":a:b", ":UPPER", ":a b",
		":name-much-longer-than-thirty-one-chars",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_ERR(open(bad[i], O_CREAT | O_RDWR, 0), EINVAL);
	CHECK_ERR(open(":fine", O_RDWR), EINVAL);		/* no O_CREAT */
	CHECK_ERR(open(":fine", O_CREAT | O_RDONLY, 0), EINVAL); /* not RDWR */
	int fd = scheme_create("ok-name_1.x");
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	printf("schemetest: scheme names ok\n");
}

/* call(fd, args[6]): all six arguments reach the daemon. */
static void check_call(int fd)
{
	static const uint64_t args[][6] = {
		{ 1, 2, 3, 4, 5, 6 },
		{ 6, 5, 4, 3, 2, 1 },
		{ ~0ULL, 0, 0x8000000000000000ULL, 42, 1ULL << 40, 7 },
	};
	for (unsigned k = 0; k < 3; k++) {
		uint64_t r = 0;
		for (int i = 0; i < 6; i++)
			r = r * 1000003 + args[k][i];
		CHECK_EQ(ochre_call(fd, args[k]), (long)(r >> 1));
	}
	CHECK_ERR(ochre_call(fd, (const uint64_t *)0xffffffff80000000UL), EFAULT);
	CHECK_ERR(ochre_call(99, args[0]), EBADF);
	int nfd = open("null:", O_RDONLY);
	CHECK_ERR(ochre_call(nfd, args[0]), EINVAL);	/* null: has no calls */
	close(nfd);
	printf("schemetest: six-argument calls ok\n");
}

int main(void)
{
	utest_begin("schemetest");
	pid_t daemon = utest_start_daemon(daemon_main);

	int fd = open(NAME ":/a/b", O_RDWR | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0);
	uint64_t id;
	check_open_and_read(fd, &id);
	check_seek(fd);
	check_write(fd);
	check_stat_and_dirents(fd, id);
	check_other_calls(fd, id);
	check_call(fd);
	check_concurrent(fd);
	check_names();
	CHECK_EQ(close(fd), 0);

	CHECK_EQ(kill(daemon, SIGKILL), 0);
	CHECK_EQ(waitpid(daemon, NULL, 0), daemon);
	CHECK_ERR(open(NAME ":/a", O_RDONLY), ENOENT);	/* the name is free */
	utest_ok();
}

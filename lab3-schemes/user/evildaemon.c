/*
 * A scheme daemon that replies garbage. The kernel must check every reply
 * against the request it answers: a bad one is refused (the daemon's
 * write fails with EINVAL) and, when it names a real request, that call
 * fails with EIO; a reply for no known request changes nothing. The client
 * always gets the right answer or EIO, and the kernel stays up.
 *
 * The daemon (a child) and the client (us) walk through the same table of
 * steps: for step i the client makes one call, the daemon misbehaves as
 * told and checks what its own writes return.
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME	"evil"

enum call { C_READ, C_WRITE, C_FSTAT, C_OPEN, C_UNLINK, C_GETDENTS };

enum misdeed {
	M_NONE,			/* a proper reply */
	M_WRONG_ID,		/* a reply for a user_data nobody sent, then proper */
	M_ZERO_ID,		/* user_data 0 (never used), then proper */
	M_HALF_CQE,		/* 12 bytes, then proper */
	M_GARBAGE,		/* 100 KiB of zeros, then proper */
	M_SMALL_BUFFER,		/* read the request into 40 bytes first */
	M_TWICE,		/* proper, then the same reply again */
	M_ERRNO,		/* -ENOENT: a legitimate error */
	M_RESULT_TOO_BIG,	/* read: result and payload len+1 */
	M_PAYLOAD_MISMATCH,	/* read: result 5, payload 10 */
	M_SHORT_WRITE,		/* says 50 bytes of payload, sends 10 */
	M_BAD_ERRNO,		/* result -99999 */
	M_ERROR_PAYLOAD,	/* -ENOENT with 8 bytes of payload */
	M_WROTE_TOO_MUCH,	/* write: result payload_len + 1 */
	M_STAT_SIZE,		/* fstat: 100 bytes of payload */
	M_STAT_RESULT,		/* fstat: result 1 */
	M_OPEN_PAYLOAD,		/* open: 8 bytes of payload */
	M_POSITIVE,		/* unlink: result 5 */
	M_DIRENT_RECLEN0,	/* getdents: a record with reclen 0 */
	M_DIRENT_NO_NUL,	/* getdents: a name without its NUL */
	M_DIRENT_OVERRUN,	/* getdents: reclen past the payload */
};

static const struct step {
	enum call call;
	enum misdeed misdeed;
	int client_errno;	/* 0: the call succeeds with the right answer */
} steps[] = {
	{ C_READ, M_NONE, 0 },
	{ C_READ, M_WRONG_ID, 0 },
	{ C_READ, M_ZERO_ID, 0 },
	{ C_READ, M_HALF_CQE, 0 },
	{ C_READ, M_GARBAGE, 0 },
	{ C_READ, M_SMALL_BUFFER, 0 },
	{ C_READ, M_TWICE, 0 },
	{ C_READ, M_ERRNO, ENOENT },
	{ C_READ, M_RESULT_TOO_BIG, EIO },
	{ C_READ, M_PAYLOAD_MISMATCH, EIO },
	{ C_READ, M_SHORT_WRITE, EIO },
	{ C_READ, M_BAD_ERRNO, EIO },
	{ C_READ, M_ERROR_PAYLOAD, EIO },
	{ C_WRITE, M_NONE, 0 },
	{ C_WRITE, M_WROTE_TOO_MUCH, EIO },
	{ C_FSTAT, M_NONE, 0 },
	{ C_FSTAT, M_STAT_SIZE, EIO },
	{ C_FSTAT, M_STAT_RESULT, EIO },
	{ C_OPEN, M_NONE, 0 },
	{ C_OPEN, M_OPEN_PAYLOAD, EIO },
	{ C_UNLINK, M_NONE, 0 },
	{ C_UNLINK, M_POSITIVE, EIO },
	{ C_GETDENTS, M_NONE, 0 },
	{ C_GETDENTS, M_DIRENT_RECLEN0, EIO },
	{ C_GETDENTS, M_DIRENT_NO_NUL, EIO },
	{ C_GETDENTS, M_DIRENT_OVERRUN, EIO },
	{ C_READ, M_NONE, 0 },		/* and the fd still works */
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static const uint16_t opcode_of[] = {
	[C_READ] = SCHEME_READ, [C_WRITE] = SCHEME_WRITE,
	[C_FSTAT] = SCHEME_FSTAT, [C_OPEN] = SCHEME_OPEN,
	[C_UNLINK] = SCHEME_UNLINK, [C_GETDENTS] = SCHEME_GETDENTS,
};

/* ---- the daemon ---- */

static int step_no;

static void __attribute__((noreturn)) dfail(const char *what, long got)
{
	int e = errno;
	printf("evildaemon: FAIL daemon, step %d: %s (got %ld, errno %d %s)\n",
	       step_no, what, got, e, utest_errname(e));
	_exit(1);
}

/* Writes raw bytes as a reply; the kernel must refuse them. */
static void refused(int fd, const void *buf, size_t len)
{
	errno = 0;
	ssize_t r = write(fd, buf, len);
	if (r != -1 || errno != EINVAL)
		dfail("a bad reply was not refused with EINVAL", r);
}

static void reply(int fd, uint64_t ud, int64_t result, uint32_t flags,
		  const void *payload, uint32_t len, int ok)
{
	struct scheme_cqe c = { ud, result, flags, len };
	static char buf[256];
	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), payload, len);
	if (ok) {
		ssize_t r = write(fd, buf, sizeof(c) + len);
		if (r != (ssize_t)(sizeof(c) + len))
			dfail("a good reply was refused", r);
	} else {
		refused(fd, buf, sizeof(c) + len);
	}
}

/* The right answer to each kind of request. */
static void proper(int fd, const struct scheme_sqe *q)
{
	static const struct ochre_stat st = { 42, 7, S_IFREG | 0600, 1 };
	switch (q->opcode) {
	case SCHEME_READ:
		reply(fd, q->user_data, 5, 0, "hello", 5, 1);
		break;
	case SCHEME_WRITE:
		reply(fd, q->user_data, q->payload_len, 0, NULL, 0, 1);
		break;
	case SCHEME_FSTAT:
		reply(fd, q->user_data, 0, 0, &st, sizeof(st), 1);
		break;
	case SCHEME_OPEN:
		reply(fd, q->user_data, 1, 0, NULL, 0, 1);
		break;
	default:	/* unlink, getdents (the end), close */
		reply(fd, q->user_data, 0, 0, NULL, 0, 1);
		break;
	}
}

static void misbehave(int fd, const struct scheme_sqe *q, enum misdeed m)
{
	static char junk[100 * 1024];
	char rec[24] = { 0 };
	struct ochre_dirent *d = (struct ochre_dirent *)rec;
	uint64_t ud = q->user_data;
	switch (m) {
	case M_NONE:
	case M_SMALL_BUFFER:
		proper(fd, q);
		break;
	case M_WRONG_ID:
		reply(fd, ud + 1000, 5, 0, "hello", 5, 0);
		proper(fd, q);
		break;
	case M_ZERO_ID:
		reply(fd, 0, 5, 0, "hello", 5, 0);
		proper(fd, q);
		break;
	case M_HALF_CQE: {
		struct scheme_cqe c = { ud, 5, 0, 0 };
		refused(fd, &c, sizeof(c) / 2);
		proper(fd, q);
		break;
	}
	case M_GARBAGE:
		refused(fd, junk, sizeof(junk));
		proper(fd, q);
		break;
	case M_TWICE:
		proper(fd, q);
		reply(fd, ud, 5, 0, "hello", 5, 0);
		break;
	case M_ERRNO:
		reply(fd, ud, -ENOENT, 0, NULL, 0, 1);
		break;
	case M_RESULT_TOO_BIG:
		reply(fd, ud, (int64_t)q->args[0] + 1, 0, junk,
		      (uint32_t)q->args[0] + 1, 0);
		break;
	case M_PAYLOAD_MISMATCH:
		reply(fd, ud, 5, 0, "hello, evil", 10, 0);
		break;
	case M_SHORT_WRITE: {
		struct scheme_cqe c = { ud, 50, 0, 50 };
		char buf[sizeof(c) + 10] = { 0 };
		memcpy(buf, &c, sizeof(c));
		refused(fd, buf, sizeof(buf));
		break;
	}
	case M_BAD_ERRNO:
		reply(fd, ud, -99999, 0, NULL, 0, 0);
		break;
	case M_ERROR_PAYLOAD:
		reply(fd, ud, -ENOENT, 0, "payload!", 8, 0);
		break;
	case M_WROTE_TOO_MUCH:
		reply(fd, ud, q->payload_len + 1, 0, NULL, 0, 0);
		break;
	case M_STAT_SIZE:
		reply(fd, ud, 0, 0, junk, 100, 0);
		break;
	case M_STAT_RESULT: {
		struct ochre_stat st = { 0 };
		reply(fd, ud, 1, 0, &st, sizeof(st), 0);
		break;
	}
	case M_OPEN_PAYLOAD:
		reply(fd, ud, 7, 0, "payload!", 8, 0);
		break;
	case M_POSITIVE:
		reply(fd, ud, 5, 0, NULL, 0, 0);
		break;
	case M_DIRENT_RECLEN0:
		d->ino = 1;
		d->name[0] = 'x';
		reply(fd, ud, sizeof(rec), 1, rec, sizeof(rec), 0);
		break;
	case M_DIRENT_NO_NUL:
		d->ino = 1;
		d->reclen = sizeof(rec);
		memset(d->name, 'x', sizeof(rec) - offsetof(struct ochre_dirent, name));
		reply(fd, ud, sizeof(rec), 1, rec, sizeof(rec), 0);
		break;
	case M_DIRENT_OVERRUN:
		d->ino = 1;
		d->reclen = 2 * sizeof(rec);
		d->name[0] = 'x';
		reply(fd, ud, sizeof(rec), 1, rec, sizeof(rec), 0);
		break;
	}
}

static void __attribute__((noreturn)) daemon_main(int ready)
{
	static struct scheme_request req;
	int fd = scheme_create(NAME);
	if (fd < 0)
		dfail("register", fd);
	/* A reply when nothing was asked. */
	struct scheme_cqe c = { 12345, 0, 0, 0 };
	refused(fd, &c, sizeof(c));
	write(ready, "r", 1);
	close(ready);
	/* The client's open of the fd it then uses. */
	if (scheme_next(fd, &req) < 0 || req.sqe.opcode != SCHEME_OPEN)
		dfail("the first request is not an open", req.sqe.opcode);
	proper(fd, &req.sqe);
	while (step_no < NSTEPS) {
		const struct step *s = &steps[step_no];
		if (s->misdeed == M_SMALL_BUFFER) {
			char small[40];
			errno = 0;
			ssize_t r = read(fd, small, sizeof(small));
			if (r != -1 || errno != EINVAL)
				dfail("a 40-byte read of a request did not fail "
				      "with EINVAL", r);
		}
		if (scheme_next(fd, &req) < 0)
			dfail("read", -1);
		if (req.sqe.opcode == SCHEME_CLOSE) {	/* not part of the plan */
			proper(fd, &req.sqe);
			continue;
		}
		if (req.sqe.opcode != opcode_of[s->call])
			dfail("unexpected opcode", req.sqe.opcode);
		misbehave(fd, &req.sqe, s->misdeed);
		step_no++;
	}
	/* Answer the last close, then go. */
	if (scheme_next(fd, &req) == 0)
		proper(fd, &req.sqe);
	_exit(0);
}

/* ---- the client ---- */

/* Makes the call of step i; returns its result, with errno. */
static long client_call(int fd, const struct step *s)
{
	static char buf[256] __attribute__((aligned(8)));
	struct stat st;
	long r;
	switch (s->call) {
	case C_READ:
		r = read(fd, buf, 100);
		if (r >= 0 && (r != 5 || memcmp(buf, "hello", 5) != 0))
			return -2;
		return r;
	case C_WRITE:
		return write(fd, "abcdefgh", 8);
	case C_FSTAT:
		r = fstat(fd, &st);
		if (r == 0 && (st.st_size != 42 || st.st_ino != 7))
			return -2;
		return r;
	case C_OPEN:
		r = open(NAME ":/o", O_RDONLY);
		if (r >= 0)
			close((int)r);
		return r;
	case C_UNLINK:
		return unlink(NAME ":/u");
	case C_GETDENTS:
		return getdents(fd, buf, sizeof(buf));
	}
	return -2;
}

int main(void)
{
	utest_begin("evildaemon");
	static const long good[] = {
		[C_READ] = 5, [C_WRITE] = 8, [C_FSTAT] = 0, [C_OPEN] = 4, /* fd */
		[C_UNLINK] = 0, [C_GETDENTS] = 0,
	};
	pid_t daemon = utest_start_daemon(daemon_main);

	int fd = open(NAME ":/f", O_RDWR);
	CHECK_EQ(fd, 3);
	for (int i = 0; i < NSTEPS; i++) {
		const struct step *s = &steps[i];
		errno = 0;
		long r = client_call(fd, s);
		int ok = s->client_errno ? r == -1 && errno == s->client_errno
					 : r == good[s->call];
		if (!ok) {
			int e = errno;
			printf("evildaemon: FAIL step %d (misdeed %d): got %ld "
			       "errno %d %s (%s), expected %s %s\n", i,
			       s->misdeed, r, e, utest_errname(e), strerror(e),
			       s->client_errno ? "errno" : "result",
			       s->client_errno ? utest_errname(s->client_errno)
					       : "good");
			exit(1);
		}
	}
	printf("evildaemon: %d steps: bad replies refused, client unharmed\n",
	       NSTEPS);
	CHECK_EQ(close(fd), 0);
	int status;
	CHECK_EQ(waitpid(daemon, &status, 0), daemon);
	CHECK_EQ(status, 0);
	utest_ok();
}

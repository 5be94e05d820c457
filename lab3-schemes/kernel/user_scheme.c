/*
 * User-space schemes (lab 3): the kernel as a message broker between a
 * client and a scheme daemon. HANDOUT.md §6; the protocol is in
 * <ochre/scheme.h>.
 *
 *   client                    kernel                        daemon
 *   read(fd, buf, 100) --> request{sqe, reply buffer}
 *                          queued on the scheme; client sleeps
 *                                                   <-- read(sfd): sqe
 *                                                   --> write(sfd): cqe + data
 *                          reply checked, data kept
 *   <-- 100 bytes          client wakes, copies data out
 *
 * Requests live on the client's kernel stack while it sleeps; so every way
 * out of call() (reply, daemon death, client killed) takes the request off
 * every list first.
 */
#include "kernel.h"
#include "context.h"
#include "file.h"
#include "heap.h"
#include "scheme.h"
#include "usercopy.h"
#include "path.h"

struct request {
	struct scheme_sqe sqe;
	const void *payload;		/* sqe.payload_len bytes, kernel memory */
	void *reply;			/* where the reply payload goes */
	uint32_t reply_max;
	bool done;
	int64_t result;
	uint32_t reply_len;
	uint32_t cqe_flags;
	struct waitq wait;		/* the client sleeps here */
	bool detached;			/* nobody waits: free it when done */
	struct request *next;
};

struct uscheme {
	struct request *pending;	/* not yet read by the daemon (FIFO) */
	struct request *inflight;	/* read, waiting for the reply */
	struct waitq daemon_wait;
	uint64_t next_user_data;
};

static void list_append(struct request **head, struct request *r)
{
	r->next = NULL;
	while (*head)
		head = &(*head)->next;
	*head = r;
}

static bool list_remove(struct request **head, struct request *r)
{
	for (; *head; head = &(*head)->next) {
		if (*head == r) {
			*head = r->next;
			return true;
		}
	}
	return false;
}

static void complete(struct request *r, int64_t result)
{
	if (r->detached) {	/* a close nobody waits for */
		kfree(r);
		return;
	}
	r->done = true;
	r->result = result;
	wakeup(&r->wait);
}

/*
 * Sends one request to the daemon of s and waits for its answer. The reply
 * payload (at most reply_max bytes) lands in reply. Returns the daemon's
 * result, -EIO if the daemon died or misbehaved, -EINTR if we were killed.
 */
static int64_t call(struct scheme *s, struct request *r)
{
	/* BEGIN LAB3 SOLUTION: §6.1 call */
	struct uscheme *us = s->priv;
	if (s->dead)
		return -EIO;
	r->sqe.user_data = ++us->next_user_data;
	r->sqe.caller_pid = (uint64_t)cur->pid;
	r->done = false;
	r->wait = (struct waitq)WAITQ_INIT;
	list_append(&us->pending, r);
	wakeup(&us->daemon_wait);
	while (!r->done) {
		if (sleep_on(&r->wait) != 0 && !r->done) {
			/* Killed: withdraw the request; a late reply is ignored. */
			if (!list_remove(&us->pending, r))
				list_remove(&us->inflight, r);
			return -EINTR;
		}
	}
	return r->result;
	/* END LAB3 SOLUTION */
	/* STARTER: return -EIO; */
}

static int64_t simple_call(struct file *f, uint16_t op, uint64_t a0, uint64_t a1)
{
	struct request r = { .sqe = { .opcode = op, .id = f->id,
				      .args = { a0, a1 } } };
	return call(f->scheme, &r);
}

/* ---- the client side: scheme_ops of every user scheme ---- */

static int us_open(struct scheme *s, const char *path, int flags, int mode,
		   struct file *f)
{
	struct request r = {
		.sqe = { .opcode = SCHEME_OPEN,
			 .payload_len = (uint32_t)strlen(path),
			 .args = { (uint64_t)flags, (uint64_t)mode } },
		.payload = path,
	};
	int64_t id = call(s, &r);
	if (id < 0)
		return (int)id;
	f->id = (uint64_t)id;
	return 0;
}

static int64_t us_read(struct file *f, struct iobuf *b, uint64_t off)
{
	size_t len = MIN(b->len, (size_t)SCHEME_MAX_PAYLOAD);
	void *buf = len ? kmalloc(len) : NULL;
	if (len && !buf)
		return -ENOMEM;
	struct request r = {
		.sqe = { .opcode = SCHEME_READ, .id = f->id,
			 .args = { len, off } },
		.reply = buf, .reply_max = (uint32_t)len,
	};
	int64_t n = call(f->scheme, &r);
	if (n > 0 && iobuf_put(b, 0, buf, (size_t)n) != 0)
		n = -EFAULT;
	kfree(buf);
	return n;
}

static int64_t us_write(struct file *f, struct iobuf *b, uint64_t off)
{
	size_t len = MIN(b->len, (size_t)SCHEME_MAX_PAYLOAD);
	void *buf = len ? kmalloc(len) : NULL;
	if (len && !buf)
		return -ENOMEM;
	if (len && iobuf_get(b, 0, buf, len) != 0) {
		kfree(buf);
		return -EFAULT;
	}
	struct request r = {
		.sqe = { .opcode = SCHEME_WRITE, .id = f->id,
			 .payload_len = (uint32_t)len,
			 .args = { off, (uint64_t)f->flags } },
		.payload = buf,
	};
	int64_t n = call(f->scheme, &r);
	kfree(buf);
	return n;
}

static int64_t us_seek(struct file *f, int64_t off, int whence)
{
	struct request r = {
		.sqe = { .opcode = SCHEME_SEEK, .id = f->id,
			 .args = { (uint64_t)off, (uint64_t)whence, f->offset } },
	};
	return call(f->scheme, &r);
}

static int us_fstat(struct file *f, struct ochre_stat *st)
{
	struct request r = {
		.sqe = { .opcode = SCHEME_FSTAT, .id = f->id },
		.reply = st, .reply_max = sizeof(*st),
	};
	return (int)call(f->scheme, &r);
}

static int64_t us_getdents(struct file *f, struct iobuf *b, uint64_t *index)
{
	size_t len = MIN(b->len, (size_t)SCHEME_MAX_PAYLOAD);
	void *buf = len ? kmalloc(len) : NULL;
	if (len && !buf)
		return -ENOMEM;
	struct request r = {
		.sqe = { .opcode = SCHEME_GETDENTS, .id = f->id,
			 .args = { len, *index } },
		.reply = buf, .reply_max = (uint32_t)len,
	};
	int64_t n = call(f->scheme, &r);
	if (n > 0 && iobuf_put(b, 0, buf, (size_t)n) != 0)
		n = -EFAULT;
	if (n >= 0)
		*index = r.cqe_flags;
	kfree(buf);
	return n;
}

static int path_call(struct scheme *s, uint16_t op, const char *path, int mode)
{
	struct request r = {
		.sqe = { .opcode = op, .payload_len = (uint32_t)strlen(path),
			 .args = { (uint64_t)mode } },
		.payload = path,
	};
	return (int)call(s, &r);
}

static int us_unlink(struct scheme *s, const char *path)
{
	return path_call(s, SCHEME_UNLINK, path, 0);
}

static int us_mkdir(struct scheme *s, const char *path, int mode)
{
	return path_call(s, SCHEME_MKDIR, path, mode);
}

static int us_rmdir(struct scheme *s, const char *path)
{
	return path_call(s, SCHEME_RMDIR, path, 0);
}

static int us_fsync(struct file *f)
{
	return (int)simple_call(f, SCHEME_FSYNC, 0, 0);
}

static int us_ftruncate(struct file *f, uint64_t len)
{
	return (int)simple_call(f, SCHEME_FTRUNCATE, len, 0);
}

static int64_t us_call(struct file *f, const uint64_t args[6])
{
	struct request r = { .sqe = { .opcode = SCHEME_CALL, .id = f->id } };
	memcpy(r.sqe.args, args, sizeof(r.sqe.args));
	return call(f->scheme, &r);
}

/*
 * The daemon must hear about every close, even from a process that is
 * being killed (whose sleeps end at once), so the request is sent without
 * waiting: it lives on the heap and is freed when answered.
 */
static void us_close(struct file *f)
{
	struct uscheme *us = f->scheme->priv;
	struct request *r = kzalloc(sizeof(*r));
	if (f->scheme->dead || !r) {
		kfree(r);
		return;
	}
	r->sqe.opcode = SCHEME_CLOSE;
	r->sqe.id = f->id;
	r->sqe.user_data = ++us->next_user_data;
	r->sqe.caller_pid = (uint64_t)cur->pid;
	r->detached = true;
	list_append(&us->pending, r);
	wakeup(&us->daemon_wait);
}

static const struct scheme_ops user_scheme_ops = {
	.open = us_open, .read = us_read, .write = us_write, .seek = us_seek,
	.fstat = us_fstat, .getdents = us_getdents, .unlink = us_unlink,
	.mkdir = us_mkdir, .rmdir = us_rmdir, .fsync = us_fsync,
	.ftruncate = us_ftruncate, .call = us_call, .close = us_close,
};

/* ---- the daemon side: the file returned by open(":name") ---- */

/* The daemon reads the next request: its sqe, then its payload. */
static int64_t ctl_read(struct file *f, struct iobuf *b, uint64_t off)
{
	/* BEGIN LAB3 SOLUTION: §6.2 ctl_read */
	struct scheme *s = f->priv;
	struct uscheme *us = s->priv;
	while (!us->pending) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = sleep_on(&us->daemon_wait);
		if (err)
			return err;
	}
	struct request *r = us->pending;
	size_t total = sizeof(r->sqe) + r->sqe.payload_len;
	if (b->len < total)
		return -EINVAL;		/* the request stays queued */
	if (iobuf_put(b, 0, &r->sqe, sizeof(r->sqe)) != 0 ||
	    iobuf_put(b, sizeof(r->sqe), r->payload, r->sqe.payload_len) != 0)
		return -EFAULT;
	list_remove(&us->pending, r);
	list_append(&us->inflight, r);
	return (int64_t)total;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static bool memchr_nul(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0)
			return true;
	return false;
}

/* Are the dirents a daemon sent well formed? Clients trust what we pass. */
static bool dirents_ok(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		struct ochre_dirent d;
		if (len - off < sizeof(d))
			return false;
		memcpy(&d, buf + off, sizeof(d));
		if (d.reclen < sizeof(d) + 1 || d.reclen > len - off ||
		    d.reclen % 8 != 0)
			return false;
		size_t name_at = offsetof(struct ochre_dirent, name);
		if (!memchr_nul(buf + off + name_at, d.reclen - name_at))
			return false;
		off += d.reclen;
	}
	return true;
}

/* Does the reply make sense for the request it answers? */
static bool reply_ok(const struct request *r, const struct scheme_cqe *c)
{
	/* BEGIN LAB3 SOLUTION: §6.3 reply_ok */
	int64_t res = c->result;
	if (res < 0)
		return res >= -4095 && c->payload_len == 0;
	switch (r->sqe.opcode) {
	case SCHEME_OPEN:
	case SCHEME_SEEK:
	case SCHEME_CALL:
		return c->payload_len == 0;
	case SCHEME_READ:
	case SCHEME_GETDENTS:
		return (uint64_t)res <= r->sqe.args[0] &&
		       c->payload_len == (uint64_t)res;
	case SCHEME_WRITE:
		return (uint64_t)res <= r->sqe.payload_len && c->payload_len == 0;
	case SCHEME_FSTAT:
		return res == 0 && c->payload_len == sizeof(struct ochre_stat);
	default:
		return res == 0 && c->payload_len == 0;
	}
	/* END LAB3 SOLUTION */
	/* STARTER: return false; */
}

/* The daemon answers a request: a cqe, then its payload. */
static int64_t ctl_write(struct file *f, struct iobuf *b, uint64_t off)
{
	/* BEGIN LAB3 SOLUTION: §6.3 ctl_write */
	struct scheme *s = f->priv;
	struct uscheme *us = s->priv;
	struct scheme_cqe c;
	if (b->len < sizeof(c) || iobuf_get(b, 0, &c, sizeof(c)) != 0)
		return b->len < sizeof(c) ? -EINVAL : -EFAULT;
	struct request *r = us->inflight;
	while (r && r->sqe.user_data != c.user_data)
		r = r->next;
	if (!r)
		return -EINVAL;		/* not a request we are waiting for */
	list_remove(&us->inflight, r);
	if (b->len != sizeof(c) + c.payload_len || !reply_ok(r, &c) ||
	    c.payload_len > r->reply_max) {
		complete(r, -EIO);	/* the client learns the daemon is broken */
		return -EINVAL;
	}
	if (c.payload_len &&
	    iobuf_get(b, sizeof(c), r->reply, c.payload_len) != 0) {
		complete(r, -EIO);
		return -EFAULT;
	}
	if (r->sqe.opcode == SCHEME_GETDENTS && !dirents_ok(r->reply, c.payload_len)) {
		complete(r, -EIO);
		return -EINVAL;
	}
	r->reply_len = c.payload_len;
	r->cqe_flags = c.flags;
	complete(r, c.result);
	return (int64_t)b->len;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* The daemon closed its scheme fd (or died): the scheme is gone. */
static void ctl_close(struct file *f)
{
	struct scheme *s = f->priv;
	/* BEGIN LAB3 SOLUTION: §6.4 daemon death */
	struct uscheme *us = s->priv;
	s->dead = true;
	scheme_unregister(s);
	while (us->pending) {
		struct request *r = us->pending;
		us->pending = r->next;
		complete(r, -EIO);
	}
	while (us->inflight) {
		struct request *r = us->inflight;
		us->inflight = r->next;
		complete(r, -EIO);
	}
	/* END LAB3 SOLUTION */
	scheme_put(s);		/* the registration's reference */
}

static const struct scheme_ops ctl_ops = {
	.read = ctl_read, .write = ctl_write, .close = ctl_close,
};
/* Not registered under a name: it only owns the daemons' fds. */
static struct scheme ctl_scheme = { .name = "", .ops = &ctl_ops, .refs = 1 };

/* open(":name", O_CREAT | O_RDWR): become the daemon of scheme name. */
int user_scheme_create(const char *name, int flags, struct file **out)
{
	size_t len = strlen(name);
	if (!path_scheme_name_ok(name, len) || !(flags & O_CREAT) ||
	    (flags & O_ACCMODE) != O_RDWR)
		return -EINVAL;
	struct scheme *s = kzalloc(sizeof(*s));
	struct uscheme *us = kzalloc(sizeof(*us));
	struct file *f = file_alloc();
	if (!s || !us || !f) {
		kfree(s);
		kfree(us);
		if (f)
			file_put(f);
		return -ENOMEM;
	}
	strlcpy(s->name, name, sizeof(s->name));
	s->ops = &user_scheme_ops;
	s->priv = us;
	s->refs = 1;
	int err = scheme_register(s);
	if (err) {
		kfree(us);
		kfree(s);
		file_put(f);
		return err;
	}
	scheme_get(&ctl_scheme);
	f->scheme = &ctl_scheme;
	f->priv = s;
	f->flags = flags & (O_ACCMODE | O_NONBLOCK);
	snprintf(f->path, sizeof(f->path), ":%s", name);
	*out = f;
	return 0;
}

/*
 * Pipes (lab 3): a 4 KiB ring buffer with a read end and a write end.
 * HANDOUT.md §5.
 *
 * A reader blocks while the pipe is empty and a writer exists; with no
 * writer left it gets end of file (0). A writer blocks while the pipe is
 * full; with no reader left it gets EPIPE (Ochre has no SIGPIPE). Both ends
 * are files of the pipe: scheme, so dup, fork and close just work.
 */
#include "kernel.h"
#include "context.h"
#include "file.h"
#include "heap.h"
#include "scheme.h"
#include "syscall_table.h"
#include "usercopy.h"

#define PIPE_SIZE	4096

struct pipe {
	uint8_t buf[PIPE_SIZE];
	uint64_t rpos, wpos;		/* bytes read and written, ever */
	int readers, writers;		/* open ends */
	struct waitq can_read, can_write;
};

/* The two ends share one struct pipe; priv points at it, and the open
 * mode of the file tells which end it is. */
static bool is_writer(struct file *f)
{
	return (f->flags & O_ACCMODE) == O_WRONLY;
}

static int64_t pipe_read(struct file *f, struct iobuf *b, uint64_t off)
{
	/* BEGIN LAB3 SOLUTION: §5 pipe_read */
	struct pipe *p = f->priv;
	while (p->rpos == p->wpos) {
		if (p->writers == 0 || b->len == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = sleep_on(&p->can_read);
		if (err)
			return err;
	}
	size_t n = 0;
	while (n < b->len && p->rpos != p->wpos) {
		/* Copy up to the end of the ring or of the data, whichever first. */
		size_t at = p->rpos % PIPE_SIZE;
		size_t chunk = MIN(MIN(b->len - n, PIPE_SIZE - at),
				   (size_t)(p->wpos - p->rpos));
		if (iobuf_put(b, n, p->buf + at, chunk) != 0)
			return n ? (int64_t)n : -EFAULT;
		p->rpos += chunk;
		n += chunk;
	}
	wakeup(&p->can_write);
	return (int64_t)n;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static int64_t pipe_write(struct file *f, struct iobuf *b, uint64_t off)
{
	/* BEGIN LAB3 SOLUTION: §5 pipe_write */
	struct pipe *p = f->priv;
	size_t n = 0;
	while (n < b->len) {
		if (p->readers == 0)
			return n ? (int64_t)n : -EPIPE;
		if (p->wpos - p->rpos == PIPE_SIZE) {
			wakeup(&p->can_read);
			if (f->flags & O_NONBLOCK)
				return n ? (int64_t)n : -EAGAIN;
			int err = sleep_on(&p->can_write);
			if (err)
				return n ? (int64_t)n : err;
			continue;
		}
		size_t at = p->wpos % PIPE_SIZE;
		size_t space = PIPE_SIZE - (size_t)(p->wpos - p->rpos);
		size_t chunk = MIN(MIN(b->len - n, PIPE_SIZE - at), space);
		if (iobuf_get(b, n, p->buf + at, chunk) != 0)
			return n ? (int64_t)n : -EFAULT;
		p->wpos += chunk;
		n += chunk;
	}
	wakeup(&p->can_read);
	return (int64_t)n;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static void pipe_close(struct file *f)
{
	/* BEGIN LAB3 SOLUTION: §5 pipe_close */
	struct pipe *p = f->priv;
	if (is_writer(f))
		p->writers--;
	else
		p->readers--;
	wakeup(&p->can_read);	/* readers see EOF, writers EPIPE */
	wakeup(&p->can_write);
	if (p->readers == 0 && p->writers == 0)
		kfree(p);
	/* END LAB3 SOLUTION */
}

static int pipe_fstat(struct file *f, struct ochre_stat *st)
{
	struct pipe *p = f->priv;
	st->mode = S_IFIFO | 0600;
	st->size = p->wpos - p->rpos;
	st->nlink = 1;
	return 0;
}

static const struct scheme_ops pipe_ops = {
	.read = pipe_read, .write = pipe_write, .close = pipe_close,
	.fstat = pipe_fstat,
};
static struct scheme pipe_scheme = { .name = "pipe", .ops = &pipe_ops };
KERNEL_SCHEME(pipe_scheme);

/* One end of p as an open file (refs on p are the open ends). */
static struct file *pipe_end(struct pipe *p, int mode)
{
	struct file *f = file_alloc();
	if (!f)
		return NULL;
	scheme_get(&pipe_scheme);
	f->scheme = &pipe_scheme;
	f->priv = p;
	f->flags = mode;
	strlcpy(f->path, "pipe:/", sizeof(f->path));
	if (mode == O_WRONLY)
		p->writers++;
	else
		p->readers++;
	return f;
}

/* pipe2(fds, flags): flags may hold O_CLOEXEC and O_CLOFORK, which mark
 * both ends; the whole 64-bit register is checked, so a stray high bit is
 * EINVAL rather than silently ignored. libc's pipe(fds) passes 0. */
static int64_t sys_pipe(uint64_t ufds, uint64_t flags)
{
	if (flags & ~(uint64_t)(O_CLOEXEC | O_CLOFORK))
		return -EINVAL;
	int fdflags = (flags & O_CLOEXEC ? FD_CLOEXEC : 0) |
		      (flags & O_CLOFORK ? FD_CLOFORK : 0);
	struct pipe *p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	struct file *r = pipe_end(p, O_RDONLY);
	struct file *w = r ? pipe_end(p, O_WRONLY) : NULL;
	if (!w) {
		if (r)
			file_put(r);	/* frees p with the last end */
		else
			kfree(p);
		return -ENOMEM;
	}
	int fds[2] = { fd_install(r, fdflags), -1 };
	if (fds[0] >= 0)
		fds[1] = fd_install(w, fdflags);
	int err = fds[1] < 0 ? -EMFILE : copyout(ufds, fds, sizeof(fds));
	if (err) {
		if (fds[0] >= 0)
			fd_close(fds[0]);
		else
			file_put(r);
		if (fds[1] >= 0)
			fd_close(fds[1]);
		else
			file_put(w);
		return err;
	}
	return 0;
}
SYSCALL(SYS_PIPE, sys_pipe);

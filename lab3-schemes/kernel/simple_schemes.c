/*
 * null: (reads end at once, writes vanish) and zero: (reads give zeros).
 * Small enough to show what a scheme is before the bigger ones.
 */
#include "kernel.h"
#include "context.h"
#include "memlayout.h"
#include "scheme.h"


static int simple_open(struct scheme *s, const char *path, int flags,
		       int mode, struct file *f)
{
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	return 0;
}

static int64_t null_read(struct file *f, struct iobuf *b, uint64_t off)
{
	return 0;
}

static int64_t sink_write(struct file *f, struct iobuf *b, uint64_t off)
{
	return (int64_t)b->len;
}

/* A read of any length: zeros a page at a time, and a chance for others
 * to run every PREEMPT_CHUNK bytes. */
static int64_t zero_read(struct file *f, struct iobuf *b, uint64_t off)
{
	static const uint8_t zeros[PAGE_SIZE];
	for (size_t done = 0; done < b->len;) {
		if (done && done % PREEMPT_CHUNK == 0)
			preempt_point();
		size_t n = MIN(b->len - done, sizeof(zeros));
		int err = iobuf_put(b, done, zeros, n);
		if (err)
			return done ? (int64_t)done : err;
		done += n;
	}
	return (int64_t)b->len;
}

static int64_t simple_seek(struct file *f, int64_t off, int whence)
{
	return seek_in(f, off, whence, 0);
}

static int simple_fstat(struct file *f, struct ochre_stat *st)
{
	st->mode = S_IFCHR | 0666;
	st->nlink = 1;
	return 0;
}

static const struct scheme_ops null_ops = {
	.open = simple_open, .read = null_read, .write = sink_write,
	.seek = simple_seek, .fstat = simple_fstat,
};
static const struct scheme_ops zero_ops = {
	.open = simple_open, .read = zero_read, .write = sink_write,
	.seek = simple_seek, .fstat = simple_fstat,
};

static struct scheme null_scheme = { .name = "null", .ops = &null_ops };
static struct scheme zero_scheme = { .name = "zero", .ops = &zero_ops };
KERNEL_SCHEME(null_scheme);
KERNEL_SCHEME(zero_scheme);

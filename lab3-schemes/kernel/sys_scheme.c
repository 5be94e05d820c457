/*
 * sys: the kernel's own information as small text files, like Linux's
 * /proc and /sys. Each file's text is made when it is opened, so a reader
 * sees one consistent snapshot.
 *
 *   sys:/uname     system name and lab
 *   sys:/frames    free and total physical frames, heap statistics
 *   sys:/contexts  one line per context: pid, parent, state, name
 *   sys:/prof      (kernels built with -DOCHRE_PROF only: `make profile`)
 *                  the system-call profiler's trace since the last read
 */
#include "kernel.h"
#include "context.h"
#include "frame.h"
#include "heap.h"
#include "prof.h"
#include "scheme.h"
#include "timer.h"

#define TEXT_MAX	8192


struct text {
	size_t len;
	char buf[TEXT_MAX];
};

static void add(struct text *t, const char *fmt, ...) __printf(2, 3);
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, TEXT_MAX - t->len, fmt, ap);
	va_end(ap);
	t->len = MIN(TEXT_MAX - 1, t->len + (size_t)MAX(n, 0));
}

static void make_uname(struct text *t)
{
	add(t, "Ochre %s x86_64\n", OCHRE_LAB_NAME);
}

static void make_frames(struct text *t)
{
	struct heap_stats hs;
	heap_get_stats(&hs);
	add(t, "free %zu\ntotal %zu\nheap_allocs %zu\nheap_bytes %zu\n"
	    "heap_pages %zu\nuptime_ms %lu\n", frame_free_count(),
	    frame_usable_count(), hs.live_allocs, hs.live_bytes,
	    hs.pages_mapped, timer_ns() / 1000000);
}

static void make_contexts(struct text *t)
{
	static const char *states[] = { "unused", "runnable", "running",
					"blocked", "zombie" };
	add(t, "PID PPID STATE NAME\n");
	for (int i = 0; i < NCONTEXT; i++) {
		struct context *c = context_at(i);
		if (c)
			add(t, "%d %d %s %s\n", c->pid,
			    c->parent ? c->parent->pid : 0, states[c->state],
			    c->name);
	}
}

#ifdef OCHRE_PROF
static void make_prof(struct text *t)
{
	t->len = prof_take(t->buf, TEXT_MAX);
}
#endif

static const struct {
	const char *name;
	void (*make)(struct text *t);
} files[] = {
	{ "uname", make_uname },
	{ "frames", make_frames },
	{ "contexts", make_contexts },
#ifdef OCHRE_PROF
	{ "prof", make_prof },
#endif
};

static int sys_open(struct scheme *s, const char *path, int flags, int mode,
		    struct file *f)
{
	if (strcmp(path, "/") == 0) {
		f->priv = NULL;		/* the directory */
		return 0;
	}
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))
		return -EROFS;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (strcmp(path + 1, files[i].name) != 0)
			continue;
		if (flags & O_DIRECTORY)
			return -ENOTDIR;
		struct text *t = kzalloc(sizeof(*t));
		if (!t)
			return -ENOMEM;
		files[i].make(t);
		f->priv = t;
		return 0;
	}
	return -ENOENT;
}

static int64_t sys_read(struct file *f, struct iobuf *b, uint64_t off)
{
	struct text *t = f->priv;
	if (!t)
		return -EISDIR;
	if (off >= t->len)
		return 0;
	size_t n = MIN(b->len, t->len - off);
	int err = iobuf_put(b, 0, t->buf + off, n);
	return err ? err : (int64_t)n;
}

static int64_t sys_seek(struct file *f, int64_t off, int whence)
{
	struct text *t = f->priv;
	return seek_in(f, off, whence, t ? t->len : 0);
}

static int sys_fstat(struct file *f, struct ochre_stat *st)
{
	struct text *t = f->priv;
	st->mode = t ? S_IFREG | 0444 : S_IFDIR | 0555;
	st->size = t ? t->len : ARRAY_SIZE(files);
	st->nlink = 1;
	return 0;
}

static int64_t sys_getdents(struct file *f, struct iobuf *b, uint64_t *index)
{
	if (f->priv)
		return -ENOTDIR;
	size_t off = 0;
	for (; *index < ARRAY_SIZE(files); (*index)++) {
		const char *name = files[*index].name;
		int64_t n = dirent_put(b, off, *index + 1, DT_REG, name,
				       strlen(name));
		if (n < 0)
			return n;
		if (n == 0 && off == 0)
			return -EINVAL;	/* not even one entry fits */
		if (n == 0)
			break;		/* buffer full */
		off += (size_t)n;
	}
	return (int64_t)off;
}

static void sys_close(struct file *f)
{
	kfree(f->priv);
}

static const struct scheme_ops sys_ops = {
	.open = sys_open, .read = sys_read, .seek = sys_seek,
	.fstat = sys_fstat, .getdents = sys_getdents, .close = sys_close,
};
static struct scheme sys_scheme = { .name = "sys", .ops = &sys_ops };
KERNEL_SCHEME(sys_scheme);

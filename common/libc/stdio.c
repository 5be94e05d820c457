/* printf and friends: format into a buffer, then one write(2). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct outbuf {
	int fd;
	int len;
	int total;
	char buf[256];
};

static void flush(struct outbuf *o)
{
	if (o->len > 0)
		write(o->fd, o->buf, (size_t)o->len);
	o->len = 0;
}

static void out(void *ctx, char c)
{
	struct outbuf *o = ctx;
	if (o->len == (int)sizeof(o->buf))
		flush(o);
	o->buf[o->len++] = c;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
	struct outbuf o = { .fd = fd };
	int n = vformat(out, &o, fmt, ap);
	flush(&o);
	return n;
}

int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(1, fmt, ap);
	va_end(ap);
	return n;
}

int puts(const char *s)
{
	return dprintf(1, "%s\n", s);
}

void perror(const char *what)
{
	int e = errno;
	if (what && *what)
		dprintf(2, "%s: %s\n", what, strerror(e));
	else
		dprintf(2, "%s\n", strerror(e));
}

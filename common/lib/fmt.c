/* printf-style formatting; see fmt.h. */
#include "fmt.h"
#include <stdint.h>
#include <stdbool.h>

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec;		/* -1: none */
	int length;		/* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

/* Everything printed goes through here so that the count stays right. */
struct sink {
	fmt_out_t out;
	void *ctx;
	int count;
};

static void put(struct sink *s, char c)
{
	s->out(s->ctx, c);
	s->count++;
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

static void emit_string(struct sink *s, const struct spec *sp, const char *str)
{
	int len = 0;
	if (!str)
		str = "(null)";
	while (str[len] && (sp->prec < 0 || len < sp->prec))
		len++;
	if (!sp->left)
		pad(s, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(s, str[i]);
	if (sp->left)
		pad(s, ' ', sp->width - len);
}

static void emit_number(struct sink *s, const struct spec *sp, uint64_t v,
			bool negative, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;

	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	/* An explicit precision gives a minimum digit count. */
	int ndigits = n;
	if (sp->prec > ndigits)
		ndigits = sp->prec;

	const char *prefix = "";
	if (negative)
		prefix = "-";
	else if (sp->plus)
		prefix = "+";
	else if (sp->space)
		prefix = " ";
	else if (sp->alt && base == 16)
		prefix = upper ? "0X" : "0x";
	else if (sp->alt && base == 8)
		prefix = "0";
	int plen = 0;
	while (prefix[plen])
		plen++;

	int total = plen + ndigits;
	bool zero_pad = sp->zero && !sp->left && sp->prec < 0;
	if (!sp->left && !zero_pad)
		pad(s, ' ', sp->width - total);
	for (int i = 0; i < plen; i++)
		put(s, prefix[i]);
	if (zero_pad)
		pad(s, '0', sp->width - total);
	pad(s, '0', ndigits - n);
	while (n > 0)
		put(s, buf[--n]);
	if (sp->left)
		pad(s, ' ', sp->width - total);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9')
			sp->width = sp->width * 10 + (*f++ - '0');
	}
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				sp->prec = sp->prec * 10 + (*f++ - '0');
		}
	}
	for (;; f++) {
		if (*f == 'l')
			sp->length++;
		else if (*f == 'h')
			sp->length--;
		else if (*f == 'z' || *f == 't' || *f == 'j')
			sp->length = 2;
		else
			break;
	}
	return f;
}

static int64_t signed_arg(const struct spec *sp, va_list *ap)
{
	if (sp->length >= 1)
		return sp->length == 1 ? va_arg(*ap, long) : va_arg(*ap, long long);
	int v = va_arg(*ap, int);
	if (sp->length == -1)
		return (short)v;
	if (sp->length <= -2)
		return (signed char)v;
	return v;
}

static uint64_t unsigned_arg(const struct spec *sp, va_list *ap)
{
	if (sp->length >= 1)
		return sp->length == 1 ? va_arg(*ap, unsigned long)
				       : va_arg(*ap, unsigned long long);
	unsigned v = va_arg(*ap, unsigned);
	if (sp->length == -1)
		return (unsigned short)v;
	if (sp->length <= -2)
		return (unsigned char)v;
	return v;
}

int vformat(fmt_out_t out, void *ctx, const char *fmt, va_list ap_in)
{
	struct sink s = { out, ctx, 0 };
	struct spec sp;
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&s, *f);
			continue;
		}
		f = parse_spec(f + 1, &sp, &ap);
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = signed_arg(&sp, &ap);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			emit_number(&s, &sp, mag, v < 0, 10, false);
			break;
		}
		case 'u':
			emit_number(&s, &sp, unsigned_arg(&sp, &ap), false, 10, false);
			break;
		case 'x':
		case 'X':
			emit_number(&s, &sp, unsigned_arg(&sp, &ap), false, 16,
				    *f == 'X');
			break;
		case 'o':
			emit_number(&s, &sp, unsigned_arg(&sp, &ap), false, 8, false);
			break;
		case 'p':
			sp.alt = true;
			emit_number(&s, &sp, (uintptr_t)va_arg(ap, void *), false,
				    16, false);
			break;
		case 's':
			emit_string(&s, &sp, va_arg(ap, const char *));
			break;
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), 0 };
			sp.prec = 1;
			emit_string(&s, &sp, c);
			break;
		}
		case '%':
			put(&s, '%');
			break;
		case '\0':
			f--;	/* lone '%' at the end: stop cleanly */
			break;
		default:	/* unknown conversion: show it as written */
			put(&s, '%');
			put(&s, *f);
			break;
		}
	}
	va_end(ap);
	return s.count;
}

struct bufctx {
	char *buf;
	size_t size;
	size_t pos;
};

static void buf_out(void *ctx, char c)
{
	struct bufctx *b = ctx;
	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

/* Like C's vsnprintf: always terminates, returns the untruncated length. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufctx b = { buf, size, 0 };
	int n = vformat(buf_out, &b, fmt, ap);
	if (size > 0)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * printf-style formatting, shared by the kernel (printk), libc (printf) and
 * host tools. Supports %d %i %u %x %X %o %p %s %c %%, the length modifiers
 * hh h l ll z t j, flags - 0 + space #, and field width/precision (also *).
 * No floating point: the kernel is built without SSE.
 */
#ifndef OCHRE_FMT_H
#define OCHRE_FMT_H

#include <stddef.h>
#include <stdarg.h>

typedef void (*fmt_out_t)(void *ctx, char c);

/* Formats to out(ctx, c), one character at a time; returns the count. */
int vformat(fmt_out_t out, void *ctx, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

#ifndef _STDIO_H
#define _STDIO_H

#include <stddef.h>
#include <stdarg.h>
#include "../../lib/fmt.h"

/* Ochre's stdio is unbuffered: every printf is one write(2) per call, so
 * output from several processes does not interleave within a line. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap);
int puts(const char *s);
void perror(const char *what);

#endif

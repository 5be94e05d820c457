#ifndef _STDLIB_H
#define _STDLIB_H

#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
void exit(int code) __attribute__((noreturn));
void _exit(int code) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
int atoi(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
char *getenv(const char *name);
/* lab 5: the canonical path of an existing file, links followed; into
 * resolved (PATH_MAX bytes) or, if NULL, a malloc'ed string. */
char *realpath(const char *path, char *resolved);
unsigned long getauxval(unsigned long key);	/* 0 if absent */
extern char **environ;

#endif

#ifndef _STRING_H
#define _STRING_H
#include "../../lib/string.h"
char *strcpy(char *dst, const char *src);
char *strcat(char *dst, const char *src);
char *strdup(const char *s);
#endif

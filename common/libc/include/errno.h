#ifndef _ERRNO_H
#define _ERRNO_H

#include <ochre/errno.h>

extern int errno;
const char *strerror(int err);
const char *errno_name(int err);	/* "ENOMEM"; "E?" if unknown (common/lib) */

#endif

#ifndef _FCNTL_H
#define _FCNTL_H
#include <ochre/fcntl.h>
/* mode (permission bits) is read only with O_CREAT. ":name" with
 * O_CREAT | O_RDWR registers a scheme (see <ochre_scheme.h>). */
int open(const char *path, int flags, ...);
#endif

/* Directories: opendir/readdir over the getdents system call. */
#ifndef _DIRENT_H
#define _DIRENT_H
#include <stdint.h>
#include <ochre/stat.h>		/* DT_* */
#include <unistd.h>

struct dirent {
	uint64_t d_ino;
	uint8_t d_type;		/* DT_DIR, DT_REG, ... or DT_UNKNOWN */
	char d_name[256];
};

typedef struct dir DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);	/* NULL at the end (errno 0) or on error */
int closedir(DIR *d);
int dirfd(DIR *d);

/* The raw call: fills buf with struct ochre_dirent records; returns the
 * bytes used, 0 at the end of the directory. */
ssize_t getdents(int fd, void *buf, size_t len);
#endif

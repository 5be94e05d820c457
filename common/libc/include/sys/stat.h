#ifndef _SYS_STAT_H
#define _SYS_STAT_H
#include <stdint.h>
#include <ochre/stat.h>
#include <unistd.h>

typedef unsigned int mode_t;

/* The familiar names for the fields of struct ochre_stat. */
struct stat {
	off_t st_size;		/* bytes (directories: entries) */
	uint64_t st_ino;	/* unique within its scheme */
	mode_t st_mode;		/* S_IF* | permission bits */
	uint32_t st_nlink;
};

int fstat(int fd, struct stat *st);
int stat(const char *path, struct stat *st);
int mkdir(const char *path, mode_t mode);
#endif

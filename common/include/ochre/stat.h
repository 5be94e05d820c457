/* File status (lab 3): what fstat() returns and what getdents() lists. */
#ifndef OCHRE_STAT_H
#define OCHRE_STAT_H

#include <stdint.h>

#define S_IFMT		0170000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFREG		0100000
#define S_IFIFO		0010000
#define S_IFLNK		0120000
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)

struct ochre_stat {
	uint64_t size;		/* bytes (directories: entries) */
	uint64_t ino;		/* unique within its scheme */
	uint32_t mode;		/* S_IF* | permission bits */
	uint32_t nlink;
};

/*
 * getdents() fills a buffer with records of this shape, each padded so the
 * next starts 8-byte aligned; reclen is the distance to the next one.
 */
#define DT_UNKNOWN	0
#define DT_DIR		4
#define DT_REG		8
#define DT_LNK		10

struct ochre_dirent {
	uint64_t ino;
	uint16_t reclen;
	uint8_t type;		/* DT_* */
	char name[];		/* NUL-terminated */
};

#endif

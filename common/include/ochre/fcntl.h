/* open() flags, seek origins and fd flags (lab 3). Values follow Linux. */
#ifndef OCHRE_FCNTL_H
#define OCHRE_FCNTL_H

#define O_RDONLY	0x0
#define O_WRONLY	0x1
#define O_RDWR		0x2
#define O_ACCMODE	0x3
#define O_CREAT		0x40
#define O_EXCL		0x80
#define O_TRUNC		0x200
#define O_APPEND	0x400
#define O_NONBLOCK	0x800
#define O_DIRECTORY	0x10000
#define O_CLOEXEC	0x80000
#define O_NOFOLLOW	0x20000		/* lab 5: a final symlink is ELOOP */
#define O_CLOFORK	0x4000000	/* lab 4: not inherited by FT_INHERIT */
#define O_SYMLINK	0x8000000	/* lab 5: open the link itself (read gives
					   its target), as Redox's O_SYMLINK */

#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2

#define FD_CLOEXEC	1
#define FD_CLOFORK	2

#define OCHRE_OPEN_MAX	64	/* file descriptors per process */
#define OCHRE_PATH_MAX	256	/* bytes in a path, with the NUL */

#endif

/* opendir/readdir/closedir: getdents fills a buffer with records, readdir
 * hands them out one at a time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>

struct dir {
	int fd;
	size_t pos, len;	/* records in buf[pos, len) not yet returned */
	struct dirent ent;
	char buf[2048] __attribute__((aligned(8)));
};

ssize_t getdents(int fd, void *buf, size_t len)
{
	return __syscall_ret(syscall3(SYS_GETDENTS, fd, buf, len));
}

DIR *opendir(const char *path)
{
	DIR *d = malloc(sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		int e = errno;
		free(d);
		errno = e;
		return NULL;
	}
	d->pos = d->len = 0;
	return d;
}

struct dirent *readdir(DIR *d)
{
	if (d->pos >= d->len) {
		ssize_t n = getdents(d->fd, d->buf, sizeof(d->buf));
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return NULL;
		}
		d->pos = 0;
		d->len = (size_t)n;
	}
	/* The kernel checked the records, but a bad reclen must never make
	 * us loop or read past the buffer. */
	struct ochre_dirent *r = (struct ochre_dirent *)(d->buf + d->pos);
	size_t room = d->len - d->pos;
	size_t name_off = offsetof(struct ochre_dirent, name);
	if (room < sizeof(*r) || r->reclen < sizeof(*r) || r->reclen > room) {
		d->pos = d->len;
		errno = EIO;
		return NULL;
	}
	d->ent.d_ino = r->ino;
	d->ent.d_type = r->type;
	size_t max = r->reclen - name_off;
	size_t n = strnlen(r->name, max < 255 ? max : 255);
	memcpy(d->ent.d_name, r->name, n);
	d->ent.d_name[n] = '\0';
	d->pos += r->reclen;
	return &d->ent;
}

int closedir(DIR *d)
{
	int r = close(d->fd);
	free(d);
	return r;
}

int dirfd(DIR *d)
{
	return d->fd;
}

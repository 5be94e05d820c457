/* Helpers for scheme daemons and their starters; see <ochre_scheme.h>. */
#include <errno.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int scheme_create(const char *name)
{
	char path[SCHEME_NAME_MAX + 2];
	size_t n = strlen(name);
	if (n + 2 > sizeof(path)) {
		errno = EINVAL;
		return -1;
	}
	path[0] = ':';
	memcpy(path + 1, name, n + 1);
	/* O_CLOEXEC: a program the daemon runs must not keep the scheme
	 * alive after the daemon is gone. */
	return open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0);
}

int scheme_next(int fd, struct scheme_request *req)
{
	ssize_t n = read(fd, req->buf, sizeof(req->buf) - 1);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(req->sqe)) {
		errno = EIO;
		return -1;
	}
	memcpy(&req->sqe, req->buf, sizeof(req->sqe));
	if (req->sqe.payload_len != (size_t)n - sizeof(req->sqe)) {
		errno = EIO;
		return -1;
	}
	req->len = req->sqe.payload_len;
	req->data = req->buf + sizeof(req->sqe);
	req->data[req->len] = '\0';
	return 0;
}

/* The reply is one write of cqe + payload; the buffer grows to the
 * largest reply once and is reused, so a busy daemon does not mmap and
 * munmap for every read it answers. */
static char *reply_buf;
static size_t reply_cap;

int scheme_reply_flags(int fd, uint64_t user_data, int64_t result,
		       uint32_t flags, const void *payload, uint32_t len)
{
	struct scheme_cqe c = { .user_data = user_data, .result = result,
				.flags = flags, .payload_len = len };
	size_t total = sizeof(c) + len;
	if (total > reply_cap) {
		char *p = realloc(reply_buf, total);
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		reply_buf = p;
		reply_cap = total;
	}
	memcpy(reply_buf, &c, sizeof(c));
	if (len)
		memcpy(reply_buf + sizeof(c), payload, len);
	ssize_t w = write(fd, reply_buf, total);
	if (w < 0)
		return -1;
	if ((size_t)w != total) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int scheme_reply(int fd, uint64_t user_data, int64_t result,
		 const void *payload, uint32_t len)
{
	return scheme_reply_flags(fd, user_data, result, 0, payload, len);
}

int scheme_exists(const char *name)
{
	char path[SCHEME_NAME_MAX + 4];
	snprintf(path, sizeof(path), "%s:/", name);
	int e = errno;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int exists = fd >= 0 || errno != ENOENT;
	if (fd >= 0)
		close(fd);
	errno = e;
	return exists;
}

pid_t scheme_spawn(const char *path, char *const argv[], const char *name)
{
	if (scheme_exists(name)) {
		errno = EEXIST;
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve(path, argv, environ);
		dprintf(2, "scheme_spawn: cannot run %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {	/* 500 x 10 ms */
		if (scheme_exists(name))
			return pid;
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			errno = ECHILD;
			return -1;
		}
		usleep(10000);
	}
	errno = EAGAIN;
	return -1;
}

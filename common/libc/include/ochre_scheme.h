/*
 * Helpers for scheme daemons (lab 3). The protocol is in <ochre/scheme.h>;
 * a daemon's main loop is
 *
 *	int fd = scheme_create("ramfs");
 *	static struct scheme_request req;
 *	while (scheme_next(fd, &req) == 0) {
 *		int64_t r = handle(&req);	   (a result or -errno)
 *		scheme_reply(fd, req.sqe.user_data, r, NULL, 0);
 *	}
 */
#ifndef _OCHRE_SCHEME_H
#define _OCHRE_SCHEME_H
#include <stdint.h>
#include <ochre/scheme.h>
#include <unistd.h>

struct scheme_request {
	struct scheme_sqe sqe;
	uint32_t len;		/* payload bytes (= sqe.payload_len) */
	char *data;		/* the payload, NUL-terminated for paths */
	char buf[sizeof(struct scheme_sqe) + SCHEME_MAX_PAYLOAD + 1];
};

/* Registers scheme `name` (open(":name", O_CREAT | O_RDWR)); the fd. */
int scheme_create(const char *name);

/* Waits for the next request; 0, or -1 and errno. */
int scheme_next(int fd, struct scheme_request *req);

/* Answers request user_data: result (>= 0 or -errno), then len bytes of
 * payload. 0, or -1 and errno (EINVAL: the kernel refused the reply). */
int scheme_reply(int fd, uint64_t user_data, int64_t result,
		 const void *payload, uint32_t len);
int scheme_reply_flags(int fd, uint64_t user_data, int64_t result,
		       uint32_t flags, const void *payload, uint32_t len);

/*
 * Starts the daemon program `path` (fork + execve with argv) and waits
 * until scheme `name` answers (open("name:/") no longer fails with
 * ENOENT), up to about 5 seconds. Returns the daemon's pid, or -1 and errno
 * (ETIMEDOUT is not in Ochre: EAGAIN; ECHILD if the daemon exited).
 */
pid_t scheme_spawn(const char *path, char *const argv[], const char *name);

/* Is scheme `name` registered and answering? */
int scheme_exists(const char *name);
#endif

/*
 * The current directory, kept by libc (lab 5, HANDOUT.md "the cwd"). It
 * replaces lab 3's chdir/getcwd system calls (lab3-schemes/libc/cwd.c):
 * the kernel no longer knows any process's cwd, because libc turns every
 * path into "scheme:/path" before the kernel sees it.
 *
 * The cwd is one global, always canonical. fork copies it with the rest
 * of memory; exec passes it to the new program in auxv (AT_OCHRE_CWD,
 * exec_auxv.c), and cwd_init (LIBC_INIT) picks it up before main.
 *
 * Redox blocks every signal around each access, because a signal handler
 * could chdir halfway through a copy. Ochre has no user signal handlers
 * (signals only kill), so there is nothing to block; a lab that adds
 * handlers must revisit this (see HANDOUT-libc.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <ochre_libc_init.h>
#include <ochre_path.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ochre/auxv.h>

#define DEFAULT_CWD	"initfs:/"

static char cwd[PATH_MAX] = DEFAULT_CWD;
static size_t cwd_len = sizeof(DEFAULT_CWD) - 1;

const char *__cwd(void)
{
	return cwd;
}

/* Given: makes canon (canonical, shorter than PATH_MAX) the cwd. */
static void set_cwd(const char *canon)
{
	cwd_len = strlen(canon);
	memcpy(cwd, canon, cwd_len + 1);
}

/*
 * Run by common/libc/start.c (LIBC_INIT) before main, before anything
 * can open a file: the cwd the exec'ing program passed in auxv, if it is
 * there and canonical; otherwise the default, "initfs:/".
 */
static void cwd_init(void)
{
	/* BEGIN LAB5 SOLUTION: §6 crt0 hook */
	const char *c = (const char *)getauxval(AT_OCHRE_CWD);
	if (c && path_is_canonical(c))
		set_cwd(c);
	else
		set_cwd(DEFAULT_CWD);
	/* END LAB5 SOLUTION */
}
LIBC_INIT(cwd_init);

int chdir(const char *path)
{
	/* BEGIN LAB5 SOLUTION: §6 chdir */
	/* Open it the way open() does (links followed, O_DIRECTORY), then
	 * ask where we really are: through a link into another scheme, the
	 * cwd is the target, so relative paths never cross the link again. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char where[PATH_MAX];
	ssize_t n = fpath(fd, where, sizeof(where));
	int err = errno;
	close(fd);			/* on every path: no fd leaks */
	if (n < 0) {
		errno = err;
		return -1;
	}
	if ((size_t)n >= sizeof(where) || !path_is_canonical(where)) {
		errno = ENAMETOOLONG;	/* the scheme's name for it won't do */
		return -1;
	}
	set_cwd(where);
	return 0;
	/* END LAB5 SOLUTION */
	/* STARTER: (void)path; errno = ENOSYS; return -1; */
}

int fchdir(int fd)
{
	/* BEGIN LAB5 SOLUTION: §6 fchdir */
	char where[PATH_MAX];
	ssize_t n = fpath(fd, where, sizeof(where));
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(where)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return chdir(where);	/* checks that it is (still) a directory */
	/* END LAB5 SOLUTION */
	/* STARTER: (void)fd; errno = ENOSYS; return -1; */
}

char *getcwd(char *buf, size_t size)
{
	/* BEGIN LAB5 SOLUTION: §6 getcwd */
	if (!buf) {
		/* POSIX leaves it open; like glibc: size 0 means "as needed". */
		size_t need = size ? size : cwd_len + 1;
		if (need < cwd_len + 1) {
			errno = ERANGE;
			return NULL;
		}
		buf = malloc(need);
		if (!buf) {
			errno = ENOMEM;
			return NULL;
		}
		memcpy(buf, cwd, cwd_len + 1);
		return buf;
	}
	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (size < cwd_len + 1) {	/* the NUL needs room too */
		errno = ERANGE;
		return NULL;
	}
	memcpy(buf, cwd, cwd_len + 1);
	return buf;
	/* END LAB5 SOLUTION */
	/* STARTER: (void)buf; (void)size; errno = ENOSYS; return NULL; */
}

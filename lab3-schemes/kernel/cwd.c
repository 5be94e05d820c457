/*
 * The current directory, kept by the kernel (lab 3). Lab 5 retires this
 * file: the cwd moves to libc, which hands the kernel only canonical paths
 * (the seed's "userspace cwd").
 */
#include "kernel.h"
#include "context.h"
#include "file.h"
#include "heap.h"
#include "scheme.h"
#include "syscall.h"
#include "usercopy.h"
#include "path.h"

#define DEFAULT_CWD	"initfs:/"

static const char *cwd_of(struct context *c)
{
	return c && c->cwd ? c->cwd : DEFAULT_CWD;
}

int path_resolve(const char *in, char *out, size_t size)
{
	return path_canon(cwd_of(cur), in, out, size);
}

static int set_cwd(struct context *c, const char *canon)
{
	size_t n = strlen(canon) + 1;
	char *copy = kmalloc(n);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, canon, n);
	kfree(c->cwd);
	c->cwd = copy;
	return 0;
}


static int64_t sys_chdir(uint64_t upath)
{
	char raw[OCHRE_PATH_MAX], canon[OCHRE_PATH_MAX];
	int n = copyinstr(raw, upath, sizeof(raw));
	if (n < 0)
		return n;
	n = path_resolve(raw, canon, sizeof(canon));
	if (n < 0)
		return n;
	/* It must be a directory we can open. */
	struct file *f;
	int err = kernel_open_path(canon, O_RDONLY | O_DIRECTORY, 0, &f);
	if (err)
		return err;
	file_put(f);
	return set_cwd(cur, canon);
}
SYSCALL(SYS_CHDIR, sys_chdir);

static int64_t sys_getcwd(uint64_t ubuf, uint64_t len)
{
	const char *cwd = cwd_of(cur);
	size_t n = strlen(cwd) + 1;
	if (len < n)
		return -ERANGE;
	if (copyout(ubuf, cwd, n) != 0)
		return -EFAULT;
	return (int64_t)(n - 1);
}
SYSCALL(SYS_GETCWD, sys_getcwd);

static int cwd_fork(struct context *parent, struct context *child)
{
	return parent->cwd ? set_cwd(child, parent->cwd) : 0;
}

static void cwd_exit(struct context *c)
{
	kfree(c->cwd);
	c->cwd = NULL;
}
CONTEXT_HOOKS(cwd, .fork = cwd_fork, .exit = cwd_exit);

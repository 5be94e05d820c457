/*
 * The current directory, kept by the kernel (lab 3). Lab 5 retires this
 * file: the cwd moves to libc, which hands the kernel only canonical paths
 * (Redox's 2022 design: "userspace cwd").
 */
#include "kernel.h"
#include "context.h"
#include "file.h"
#include "heap.h"
#include "scheme.h"
#include "syscall_table.h"
#include "usercopy.h"
#include "path.h"

#define DEFAULT_CWD	"initfs:/"

/* Each context's cwd by context slot; NULL means DEFAULT_CWD. */
static char *cwds[NCONTEXT];

static const char *cwd_of(struct context *c)
{
	return c && cwds[context_slot(c)] ? cwds[context_slot(c)] : DEFAULT_CWD;
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
	kfree(cwds[context_slot(c)]);
	cwds[context_slot(c)] = copy;
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

/* Every new context starts in its creator's directory (kernel fork and
 * lab 4's embryos alike); out of memory fails the creation. */
static int cwd_create(struct context *creator, struct context *c)
{
	cwds[context_slot(c)] = NULL;
	if (!creator || !cwds[context_slot(creator)])
		return 0;
	return set_cwd(c, cwds[context_slot(creator)]);
}

static void cwd_exit(struct context *c)
{
	kfree(cwds[context_slot(c)]);
	cwds[context_slot(c)] = NULL;
}
CONTEXT_HOOKS(cwd, .create = cwd_create, .exit = cwd_exit);

/*
 * fork in user space (lab 4, HANDOUT.md §5): the kernel only offers the
 * primitives of <ochre/proc.h>; libc builds the child out of them. The
 * assembly half (fork.asm) saves the callee-saved registers in a frame on
 * the stack and calls __fork_build with its address.
 *
 * Every handle fork opens is O_CLOEXEC | O_CLOFORK: the child must not
 * inherit them (FT_INHERIT skips O_CLOFORK fds), and an exec must not
 * leak them either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <ochre/proc.h>

#define HANDLE_FLAGS	(O_CLOEXEC | O_CLOFORK)
/* Everything a process can have mapped: page 0 stays unmapped, the last
 * canonical page too. AS_COPY skips the holes. */
#define COPY_START	0x1000UL
#define COPY_END	0x00007ffffffff000UL

void __fork_child(void);		/* fork.asm: where the child starts */
long __fork_build(void *frame);

/* Given: opens proc:/<pid>/<file>. */
static int proc_open(long pid, const char *file, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "proc:/%ld/%s", pid, file);
	return open(path, flags | HANDLE_FLAGS);
}

/* Given: writes exactly n bytes in one write, or fails (errno set). */
static int write_exact(int fd, const void *buf, size_t n)
{
	ssize_t r = write(fd, buf, n);
	if (r < 0)
		return -1;
	if ((size_t)r != n) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * Builds and starts a copy of the caller whose first instruction is
 * __fork_child with rsp = frame. Returns the child's pid, or -1 and errno
 * with no child left behind. Never waits for the child.
 */
long __fork_build(void *frame)
{
	/* BEGIN LAB4 SOLUTION: §5.3 __fork_build */
	int ctl = -1, as = -1, ft = -1, regs = -1, start = -1;
	long pid = -1;
	int64_t newpid = 0;
	int err = 0;

	ctl = open("thisproc:new", O_RDWR | HANDLE_FLAGS);
	if (ctl < 0)
		goto fail;
	ssize_t n = read(ctl, &newpid, sizeof(newpid));
	if (n < 0)
		goto fail;
	if (n != sizeof(newpid) || newpid <= 0) {
		errno = EIO;
		goto fail;
	}

	/* Memory: the frame is already on the stack, so the copy has it. */
	as = proc_open(newpid, "addrspace", O_WRONLY);
	if (as < 0)
		goto fail;
	struct as_op op = {
		.op = AS_COPY,
		.va = COPY_START,
		.len = COPY_END - COPY_START,
	};
	if (write_exact(as, &op, sizeof(op)) < 0)
		goto fail;

	/* Files: every fd of ours except the O_CLOFORK ones. */
	ft = proc_open(newpid, "filetable", O_WRONLY);
	if (ft < 0)
		goto fail;
	struct ft_op fop = { .op = FT_INHERIT };
	if (write_exact(ft, &fop, sizeof(fop)) < 0)
		goto fail;

	/* Registers: the kernel's defaults, plus where to start. */
	regs = proc_open(newpid, "regs", O_RDWR);
	if (regs < 0)
		goto fail;
	struct proc_regs r;
	n = read(regs, &r, sizeof(r));
	if (n < 0)
		goto fail;
	if (n != sizeof(r)) {
		errno = EIO;
		goto fail;
	}
	r.rip = (uint64_t)__fork_child;
	r.rsp = (uint64_t)frame;
	if (write_exact(regs, &r, sizeof(r)) < 0)
		goto fail;

	start = proc_open(newpid, "start", O_WRONLY);
	if (start < 0)
		goto fail;
	if (write_exact(start, "", 1) < 0)
		goto fail;
	pid = newpid;
	goto out;

fail:
	err = errno;
out:
	if (start >= 0)
		close(start);
	if (regs >= 0)
		close(regs);
	if (ft >= 0)
		close(ft);
	if (as >= 0)
		close(as);
	if (ctl >= 0)
		close(ctl);	/* last: before start, this destroys the embryo */
	if (pid < 0)
		errno = err ? err : EIO;
	return pid;
	/* END LAB4 SOLUTION */
	/* STARTER: errno = ENOSYS; return -1; */
}

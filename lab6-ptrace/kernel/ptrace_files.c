/*
 * Lab 6: a tracee's registers and memory as files. HANDOUT.md §5.
 *
 *   proc:<pid>/regs/int    struct ptrace_regs, while the tracee is parked
 *   proc:<pid>/regs/float  struct ptrace_fpregs (FXSAVE), while parked
 *   proc:<pid>/mem         file offset = tracee virtual address
 *
 * Opening needs the same permission as trace (a strict descendant). The
 * registers are the tracee's saved user frame, so they are only stable
 * while it is parked (EBUSY otherwise; on one CPU that is the only time
 * they are worth reading). mem works at any time: the tracee is never
 * running while the tracer is in the kernel.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "file.h"
#include "frame.h"
#include "mapper.h"
#include "memlayout.h"
#include "procfile.h"
#include "ptrace.h"
#include "scheme.h"

#define RFLAGS_TF	(1UL << 8)
#define MXCSR_VALID	0xffffU		/* QEMU's and most CPUs' MXCSR_MASK */

static int files_open(struct scheme *s, const char *path, int flags,
		      int mode, struct file *f)
{
	struct context *c;
	int pid = ptrace_parse_pid(path);
	if (pid < 0)
		return pid;
	int err = ptrace_target(pid, &c);
	if (err)
		return err;
	f->priv = (void *)(intptr_t)pid;
	return 0;
}

/* The live tracee behind f, or -ESRCH. */
static int tracee_of(struct file *f, struct context **out)
{
	struct context *c = context_find((int)(intptr_t)f->priv);
	if (!c || c->state == CTX_ZOMBIE || !c->as)
		return -ESRCH;
	*out = c;
	return 0;
}

/* ... and it must be parked at a stop. */
static int parked_tracee_of(struct file *f, struct context **out)
{
	int err = tracee_of(f, out);
	if (err)
		return err;
	struct ptrace_session *s = pt((*out))->session;
	return s && s->parked && s->fpu_valid ? 0 : -EBUSY;
}

/* ---- regs/int ---- */

static int64_t regs_read(struct file *f, struct iobuf *b, uint64_t off)
{
	struct context *c;
	struct ptrace_regs r;
	if (b->len != sizeof(r))
		return -EINVAL;
	int err = parked_tracee_of(f, &c);
	if (err)
		return err;
	tf_to_regs(c->tf, (struct proc_regs *)&r);
	return iobuf_put(b, 0, &r, sizeof(r)) ?: (int64_t)sizeof(r);
}

static int64_t regs_write(struct file *f, struct iobuf *b, uint64_t off)
{
	struct context *c;
	struct ptrace_regs r;
	if (b->len != sizeof(r))
		return -EINVAL;
	if (iobuf_get(b, 0, &r, sizeof(r)) != 0)
		return -EFAULT;
	int err = parked_tracee_of(f, &c);
	if (err)
		return err;
	/* BEGIN LAB6 SOLUTION: §5.1 register writes */
	struct trapframe tf = *c->tf;
	err = regs_to_tf((const struct proc_regs *)&r, &tf);
	if (err)
		return err;
	/* TF belongs to PTRACE_STOP_SINGLESTEP, not to the register file. */
	tf.rflags = (tf.rflags & ~RFLAGS_TF) | (c->tf->rflags & RFLAGS_TF);
	*c->tf = tf;
	return sizeof(r);
	/* END LAB6 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* ---- regs/float ---- */

static int64_t fpregs_read(struct file *f, struct iobuf *b, uint64_t off)
{
	struct context *c;
	if (b->len != sizeof(struct ptrace_fpregs))
		return -EINVAL;
	int err = parked_tracee_of(f, &c);
	if (err)
		return err;
	return iobuf_put(b, 0, &pt(c)->session->fpu, sizeof(pt(c)->session->fpu)) ?:
	       (int64_t)sizeof(struct ptrace_fpregs);
}

static int64_t fpregs_write(struct file *f, struct iobuf *b, uint64_t off)
{
	struct context *c;
	struct ptrace_fpregs img;
	if (b->len != sizeof(img))
		return -EINVAL;
	if (iobuf_get(b, 0, &img, sizeof(img)) != 0)
		return -EFAULT;
	int err = parked_tracee_of(f, &c);
	if (err)
		return err;
	/* fxrstor raises #GP in the kernel for a reserved MXCSR bit. */
	if (img.mxcsr & ~MXCSR_VALID)
		return -EINVAL;
	img.mxcsr_mask = pt(c)->session->fpu.mxcsr_mask;
	pt(c)->session->fpu = img;
	return sizeof(img);
}

/* ---- mem ---- */

static int64_t mem_seek(struct file *f, int64_t off, int whence)
{
	uint64_t base = whence == SEEK_SET ? 0 : f->offset;
	if (whence == SEEK_END)
		return -EINVAL;		/* an address space has no end */
	uint64_t pos = base + (uint64_t)off;
	/* The file position is an int64_t: the kernel half cannot be one. */
	return pos >> 63 ? -EFAULT : (int64_t)pos;
}

/*
 * The frame behind va, made private to as if it is borrowed (addrspace.h:
 * lab 5's initfs image is shared by every process that maps it): a poke
 * must reach this tracee only. Ochre has no copy-on-write, so allocator
 * frames belong to exactly one address space. Returns the frame's kernel
 * address, or NULL.
 */
static uint8_t *private_page(struct addrspace *as, uintptr_t page)
{
	physaddr_t pa;
	uint64_t flags;
	if (mapper_translate(as->root, page, &pa, &flags) != 0 ||
	    !(flags & PTE_U))
		return NULL;
	if (!frame_is_borrowed(pa & ~(PAGE_SIZE - 1)))
		return phys_to_virt(pa);
	physaddr_t copy = frame_alloc();
	if (!copy)
		return NULL;
	memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
	struct flush fl = FLUSH_INIT;
	physaddr_t old;
	mapper_unmap(as->root, page, &old, &fl);
	if (mapper_map(as->root, page, copy, flags | PTE_P, &fl) != 0) {
		mapper_map(as->root, page, old, flags | PTE_P, &fl);
		flush_commit(&fl);
		frame_free(copy);
		return NULL;
	}
	flush_commit(&fl);
	return phys_to_virt(copy);
}

/* Moves up to b->len bytes at tracee address va, page by page: a short
 * count where a page is missing, EFAULT if the first one is. */
static int64_t mem_io(struct file *f, struct iobuf *b, uint64_t va, bool write)
{
	struct context *c;
	int err = tracee_of(f, &c);
	if (err)
		return err;
	size_t done = 0;
	/* BEGIN LAB6 SOLUTION: §5.2 mem */
	while (done < b->len) {
		uintptr_t a = va + done, page = a & ~(PAGE_SIZE - 1);
		if (a < va || a >= USER_TOP)
			break;
		size_t n = MIN(b->len - done, PAGE_SIZE - (a - page));
		uint8_t *p;
		if (write) {
			p = private_page(c->as, page);
		} else {
			physaddr_t pa;
			uint64_t flags;
			p = mapper_translate(c->as->root, page, &pa, &flags) == 0 &&
			    (flags & PTE_U) ? phys_to_virt(pa) : NULL;
		}
		if (!p)
			break;
		p += a - page;
		if (write ? iobuf_get(b, done, p, n) : iobuf_put(b, done, p, n))
			return done ? (int64_t)done : -EFAULT;
		done += n;
	}
	/* END LAB6 SOLUTION */
	if (b->len == 0)
		return 0;
	return done ? (int64_t)done : -EFAULT;
}

static int64_t mem_read(struct file *f, struct iobuf *b, uint64_t off)
{
	return mem_io(f, b, off, false);
}

static int64_t mem_write(struct file *f, struct iobuf *b, uint64_t off)
{
	return mem_io(f, b, off, true);
}

static const struct scheme_ops regs_ops = {
	.open = files_open, .read = regs_read, .write = regs_write,
};
static const struct scheme_ops fpregs_ops = {
	.open = files_open, .read = fpregs_read, .write = fpregs_write,
};
static const struct scheme_ops mem_ops = {
	.open = files_open, .read = mem_read, .write = mem_write,
	.seek = mem_seek,
};
/* Named for the file under proc:/<pid>/ (lab 4's PROC_FILE table). */
static struct scheme regs_scheme = { .name = "regs/int", .ops = &regs_ops,
				     .refs = 1 };
static struct scheme fpregs_scheme = { .name = "regs/float",
				       .ops = &fpregs_ops, .refs = 1 };
static struct scheme mem_scheme = { .name = "mem", .ops = &mem_ops, .refs = 1 };
PROC_FILE(regs_scheme);
PROC_FILE(fpregs_scheme);
PROC_FILE(mem_scheme);

/*
 * Lab 4: the process primitives, as files of the thisproc: and proc:
 * schemes (the ABI is <ochre/proc.h>). With them libc builds fork and exec
 * itself, and the kernel forgets how: Redox's "userspace clone" and
 * "userspace fexec" of its 2022 design. HANDOUT.md §3-§4 (libc: §5-§6).
 *
 *   fork (libc)                           kernel
 *   open thisproc:new          --------> embryo: pid, kernel stack, empty space
 *   AS_COPY on proc:/pid/addrspace ----> copy the caller's pages
 *   FT_INHERIT on .../filetable  ------> share the caller's fds
 *   write .../regs               ------> where the child starts
 *   write .../start              ------> runnable
 *
 *   exec (libc)
 *   open thisproc:new-addrspace  ------> an empty space, filled with AS_MAP /
 *                                        AS_WRITE from the ELF file
 *   write thisproc:exec          ------> check, then switch: the point of no
 *                                        return is inside one system call
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "file.h"
#include "frame.h"
#include "gdt.h"
#include "heap.h"
#include "mapper.h"
#include "memlayout.h"
#include "procfile.h"
#include "scheme.h"
#include "usercopy.h"
#include "x86.h"
#include <ochre/mman.h>
#include <ochre/signal.h>
#include <ochre/proc.h>

enum procfile_kind {
	PROC_NEW, PROC_NEW_AS, PROC_EXEC, PROC_NAME,	/* thisproc: */
	PROC_AS, PROC_FT, PROC_REGS, PROC_START,	/* proc:/<pid>/ */
};

struct procfile {
	enum procfile_kind kind;
	int pid;			/* PROC_NEW and proc:/<pid>/... */
	uint64_t serial;		/* that context's serial: a pid reused
					   later is another context */
	struct addrspace *as;		/* PROC_NEW_AS, until exec takes it */
};

/* ---- embryos ---- */

/*
 * Who created each embryo, by context slot: the creator's serial, or 0
 * for a context that is not an embryo. The serial, unlike a pointer or a
 * slot, is never reused, so a process that later occupies the creator's
 * slot has no claim on the embryo. (Lab 2's struct context knows nothing
 * of embryos; this table and the hooks below are all there is.)
 */
static uint64_t creator_of[NCONTEXT];

static bool is_embryo(struct context *c)
{
	return creator_of[context_slot(c)] != 0;
}

static bool embryo_of(struct context *c, struct context *creator)
{
	return creator_of[context_slot(c)] == creator->serial;
}

/* A new embryo of cur; the error of context_new (EAGAIN, ENOMEM, or any
 * create hook's, such as lab 3's cwd) otherwise. */
static int embryo_create(struct context **out)
{
	int err = context_new(cur, cur->name, out);
	if (!err)
		creator_of[context_slot(*out)] = cur->serial;
	return err;
}

/* context_discard marks c dying before any hook runs: a second call is a
 * kernel panic, never a double free. */
static void embryo_destroy(struct context *c)
{
	creator_of[context_slot(c)] = 0;
	context_discard(c);
}

/*
 * An embryo belongs to the process that created it and dies with it,
 * whatever became of its handle. Embryos never run, so they create none:
 * this never goes deeper than one level.
 */
static void embryos_exit(struct context *c)
{
	for (int i = 0; i < NCONTEXT; i++) {
		struct context *e = context_at(i);
		if (e && e != c && e->state != CTX_ZOMBIE && embryo_of(e, c))
			embryo_destroy(e);
	}
	creator_of[context_slot(c)] = 0;
}

static int embryos_create(struct context *creator, struct context *c)
{
	creator_of[context_slot(c)] = 0;
	return 0;
}

/*
 * kill() on an embryo: only its creator may; SIGKILL destroys it at once
 * (its handles then find it gone: ESRCH); other signals are discarded,
 * since it has no code running to notice them.
 */
static int embryos_kill(struct context *c, int sig)
{
	if (!is_embryo(c))
		return KILL_DEFAULT;
	if (!embryo_of(c, cur))
		return -EPERM;
	if (sig == SIGKILL)
		embryo_destroy(c);
	return 0;
}
CONTEXT_HOOKS(embryos, .create = embryos_create, .exit = embryos_exit,
	      .kill = embryos_kill);

/* The embryo pid names (and serial, if not 0), if the caller may still
 * build it. */
static int embryo_lookup(int pid, uint64_t serial, struct context **out)
{
	struct context *c = context_find(pid);
	if (!c || c->state == CTX_ZOMBIE || (serial && c->serial != serial))
		return -ESRCH;
	if (c->parent == cur && !is_embryo(c))
		return -EBUSY;		/* ours, but already started */
	if (!embryo_of(c, cur))
		return -EPERM;
	*out = c;
	return 0;
}

/* ---- address-space operations ---- */

static int prot_flags(uint32_t prot, uint64_t *flags)
{
	if (prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EINVAL;		/* W^X */
	*flags = (prot & PROT_WRITE ? PTE_W : 0) | (prot & PROT_EXEC ? 0 : PTE_NX);
	return 0;
}

/* BEGIN LAB4 SOLUTION: §3.1 copying pages */

/* Copies every present page of src in [lo, hi) to dst, skipping empty
 * tables so that a copy of the whole user half is quick; others may run
 * every PREEMPT_PAGES pages. */
static int copy_level(struct addrspace *dst, physaddr_t table, int level,
		      uintptr_t base, uintptr_t lo, uintptr_t hi)
{
	static unsigned long copied;
	const pte_t *t = phys_to_virt(table);
	uintptr_t span = 1UL << (12 + 9 * (level - 1));
	int entries = level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES;	/* user half */
	int i, end = pt_range(level, base, lo, hi, entries, &i);
	int left = frame_info(table)->pt_used;	/* present entries unseen */
	for (i = pt_next_used(t, i, end); i < end && left > 0;
	     i = pt_next_used(t, i + 1, end), left--) {
		uintptr_t va = base + (uintptr_t)i * span;
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1) {
			int err = copy_level(dst, t[i] & PTE_ADDR_MASK, level - 1,
					     va, lo, hi);
			if (err)
				return err;
			continue;
		}
		if (frame_is_borrowed(t[i] & PTE_ADDR_MASK)) {
			/* not ours to copy (a boot module): share it */
			struct flush fl = FLUSH_INIT;	/* dst is not loaded */
			int err = mapper_map(dst->root, va, t[i] & PTE_ADDR_MASK,
					     t[i] & (PTE_U | PTE_NX), &fl);
			if (err)
				return err;
			dst->pages++;
			continue;
		}
		if (++copied % PREEMPT_PAGES == 0)
			preempt_point();
		int err = addrspace_map_copy(dst, va, t[i] & PTE_ADDR_MASK,
					     t[i] & (PTE_W | PTE_NX));
		if (err)
			return err;
	}
	return 0;
}

/* END LAB4 SOLUTION */

static int as_write_bytes(struct addrspace *as, uintptr_t va, uintptr_t ubuf,
			  size_t len)
{
	uint8_t chunk[512];
	for (size_t done = 0; done < len;) {
		if (done && done % PREEMPT_CHUNK == 0)
			preempt_point();
		size_t n = MIN(len - done, sizeof(chunk));
		if (copyin(chunk, ubuf + done, n) != 0)
			return -EFAULT;
		if (addrspace_write(as, va + done, chunk, n) != 0)
			return -EFAULT;
		done += n;
	}
	return 0;
}

static int64_t as_request(struct addrspace *as, struct iobuf *b)
{
	struct as_op op;
	uint64_t flags = 0;
	if (b->len != sizeof(op))
		return -EINVAL;
	if (iobuf_get(b, 0, &op, sizeof(op)) != 0)
		return -EFAULT;
	if (op.reserved[0] || op.reserved[1] || op.va < USER_MIN ||
	    !user_range_ok(op.va, op.len) || op.len == 0)
		return -EINVAL;
	if (op.op != AS_WRITE &&
	    (!IS_ALIGNED(op.va, PAGE_SIZE) || !IS_ALIGNED(op.len, PAGE_SIZE)))
		return -EINVAL;
	if ((op.op == AS_MAP || op.op == AS_PROTECT) && prot_flags(op.prot, &flags))
		return -EINVAL;
	int err;
	switch (op.op) {
	case AS_MAP:
		err = addrspace_map_anon(as, op.va, op.len, flags);
		break;
	case AS_UNMAP:
		err = addrspace_unmap(as, op.va, op.len);
		break;
	case AS_PROTECT:
		err = addrspace_protect(as, op.va, op.len, flags);
		break;
	case AS_COPY:
		/* BEGIN LAB4 SOLUTION: §3.1 AS_COPY */
		err = copy_level(as, cur->as->root, PT_LEVELS, 0, op.va,
				 op.va + op.len);
		/* The copy's future mmaps must not land on copied pages. */
		as->mmap_next = MAX(as->mmap_next, cur->as->mmap_next);
		/* END LAB4 SOLUTION */
		/* STARTER: err = -ENOSYS; */
		break;
	case AS_WRITE:
		err = as_write_bytes(as, op.va, op.buf, op.len);
		break;
	default:
		return -EINVAL;
	}
	return err ? err : (int64_t)sizeof(op);
}

/* ---- files, registers, start ---- */

static struct scheme thisproc_scheme, proc_scheme;

/*
 * A thisproc:/proc: handle never leaves the process that opened it,
 * whatever its FD_CLOFORK (dup clears that flag): embryos are owned by
 * their creator, not by whoever holds a handle, and an embryo holding
 * handles to embryos would make destroying one a chain.
 */
static bool stays_home(struct file *f)
{
	return f->scheme == &thisproc_scheme || f->scheme == &proc_scheme;
}

static int64_t ft_request(struct context *child, struct iobuf *b)
{
	struct ft_op op;
	if (b->len != sizeof(op))
		return -EINVAL;
	if (iobuf_get(b, 0, &op, sizeof(op)) != 0)
		return -EFAULT;
	if (op.op != FT_INHERIT || op.reserved)
		return -EINVAL;
	/* BEGIN LAB4 SOLUTION: §3.2 FT_INHERIT */
	struct filetable *mine = files_of(cur), *theirs;
	if (!mine)
		return sizeof(op);
	if (!(theirs = files_ensure(child)))
		return -ENOMEM;
	for (int fd = 0; fd < OCHRE_OPEN_MAX; fd++) {
		struct file *f = mine->files[fd];
		if (!f || (mine->fdflags[fd] & FD_CLOFORK) || stays_home(f))
			continue;
		if (theirs->files[fd])
			return -EEXIST;
		file_get(f);
		theirs->files[fd] = f;
		theirs->fdflags[fd] = mine->fdflags[fd];
	}
	return sizeof(op);
	/* END LAB4 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

void tf_to_regs(const struct trapframe *tf, struct proc_regs *r)
{
	*r = (struct proc_regs){
		tf->r15, tf->r14, tf->r13, tf->r12, tf->rbp, tf->rbx, tf->r11,
		tf->r10, tf->r9, tf->r8, tf->rax, tf->rcx, tf->rdx, tf->rsi,
		tf->rdi, tf->rip, tf->cs, tf->rflags, tf->rsp, tf->ss, 0,
	};
}

/* User mode may set the arithmetic flags, TF, DF and AC; IF stays on. */
#define USER_RFLAGS	0x40dd5UL

int regs_to_tf(const struct proc_regs *r, struct trapframe *tf)
{
	if (!va_is_canonical(r->rip) || r->rip >= USER_TOP ||
	    !va_is_canonical(r->rsp) || r->rsp > USER_TOP)
		return -EINVAL;
	tf->r15 = r->r15, tf->r14 = r->r14, tf->r13 = r->r13, tf->r12 = r->r12;
	tf->rbp = r->rbp, tf->rbx = r->rbx, tf->r11 = r->r11, tf->r10 = r->r10;
	tf->r9 = r->r9, tf->r8 = r->r8, tf->rax = r->rax, tf->rcx = r->rcx;
	tf->rdx = r->rdx, tf->rsi = r->rsi, tf->rdi = r->rdi;
	tf->rip = r->rip;
	tf->rsp = r->rsp;
	tf->rflags = (r->rflags & USER_RFLAGS) | RFLAGS_USER_INIT;
	tf->cs = SEL_UCODE;
	tf->ss = SEL_UDATA;
	return 0;
}

/* Is va in an executable user page of as? */
static bool executable(struct addrspace *as, uintptr_t va)
{
	uint64_t flags;
	return mapper_translate(as->root, va, NULL, &flags) == 0 &&
	       (flags & PTE_U) && !(flags & PTE_NX);
}

/* Can the program push onto a stack at rsp (the word below it)? */
static bool stack_ok(struct addrspace *as, uintptr_t rsp)
{
	uint64_t flags;
	return rsp > USER_MIN && rsp <= USER_TOP &&
	       mapper_translate(as->root, rsp - 8, NULL, &flags) == 0 &&
	       (flags & PTE_U) && (flags & PTE_W);
}

static int64_t start(struct context *c)
{
	/* BEGIN LAB4 SOLUTION: §3.3 start */
	if (!executable(c->as, c->tf->rip) || !stack_ok(c->as, c->tf->rsp))
		return -EINVAL;
	int err = context_start(cur, c);
	if (err)
		return err;		/* still an embryo */
	creator_of[context_slot(c)] = 0;	/* a child now, not an embryo */
	return 1;
	/* END LAB4 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* ---- exec ---- */

static int64_t exec_commit(struct iobuf *b)
{
	struct proc_exec px;
	if (b->len != sizeof(px))
		return -EINVAL;
	if (iobuf_get(b, 0, &px, sizeof(px)) != 0)	/* before the switch! */
		return -EFAULT;
	if (px.flags)
		return -EINVAL;
	px.name[sizeof(px.name) - 1] = '\0';
	struct file *asf = fd_get(px.as_fd);	/* all 64 bits */
	struct procfile *pf = asf ? asf->priv : NULL;
	if (!asf || asf->scheme != &thisproc_scheme || pf->kind != PROC_NEW_AS)
		return -EBADF;
	if (!pf->as)
		return -EINVAL;		/* already installed by an earlier exec */
	/* BEGIN LAB4 SOLUTION: §4 exec_commit */
	if (!va_is_canonical(px.rip) || px.rip >= USER_TOP ||
	    !executable(pf->as, px.rip))
		return -EINVAL;
	if (!IS_ALIGNED(px.rsp, 16) || !stack_ok(pf->as, px.rsp))
		return -EINVAL;

	/* The point of no return. */
	struct addrspace *as = pf->as;
	pf->as = NULL;
	context_exec(as, px.name, px.rip, px.rsp);
	return sizeof(px);
	/* END LAB4 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

/* ---- the two schemes ---- */

extern const struct kernel_scheme __procfiles_start[], __procfiles_end[];

/* A file a later lab adds under proc:/<pid>/: its own scheme serves it. */
static int ext_open(struct scheme *s, const char *path, const char *name,
		    int flags, int mode, struct file *f)
{
	for (const struct kernel_scheme *e = __procfiles_start;
	     e < __procfiles_end; e++) {
		if (strcmp(name, e->scheme->name) != 0)
			continue;
		int err = e->scheme->ops->open(e->scheme, path, flags, mode, f);
		if (err)
			return err;
		scheme_get(e->scheme);
		f->scheme = e->scheme;	/* the file holds its reference */
		scheme_put(s);
		return 0;
	}
	return -ENOENT;
}

static int parse_pid(const char *s, const char **rest)
{
	int pid = 0;
	if (*s < '0' || *s > '9')
		return -ENOENT;
	while (*s >= '0' && *s <= '9') {
		if (pid > 100000000)
			return -ENOENT;
		pid = pid * 10 + (*s++ - '0');
	}
	*rest = s;
	return pid;
}

static int pf_open(struct scheme *s, const char *path, int flags, int mode,
		   struct file *f)
{
	struct procfile *pf = kzalloc(sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	int err = 0;
	if (s == &thisproc_scheme) {
		if (strcmp(path, "/new") == 0) {
			struct context *c = NULL;
			err = embryo_create(&c);
			pf->kind = PROC_NEW;
			pf->pid = c ? c->pid : 0;
			pf->serial = c ? c->serial : 0;
		} else if (strcmp(path, "/new-addrspace") == 0) {
			pf->kind = PROC_NEW_AS;
			pf->as = addrspace_create();
			err = pf->as ? 0 : -ENOMEM;
		} else if (strcmp(path, "/exec") == 0) {
			pf->kind = PROC_EXEC;
		} else if (strcmp(path, "/name") == 0) {
			pf->kind = PROC_NAME;
		} else {
			err = -ENOENT;
		}
	} else {
		static const char *const names[] = { "addrspace", "filetable",
						     "regs", "start" };
		static const enum procfile_kind kinds[] = { PROC_AS, PROC_FT, PROC_REGS,
						      PROC_START };
		const char *rest = "";
		int pid = path[0] == '/' ? parse_pid(path + 1, &rest) : -ENOENT;
		err = pid < 0 ? pid : -ENOENT;
		for (size_t i = 0; pid > 0 && *rest == '/' && i < 4; i++) {
			if (strcmp(rest + 1, names[i]) != 0)
				continue;
			struct context *c = NULL;
			err = embryo_lookup(pid, 0, &c);
			pf->kind = kinds[i];
			pf->pid = pid;
			pf->serial = c ? c->serial : 0;
		}
		if (err == -ENOENT && pid >= 0 && *rest == '/') {
			kfree(pf);
			return ext_open(s, path, rest + 1, flags, mode, f);
		}
	}
	if (err) {
		kfree(pf);
		return err;
	}
	f->priv = pf;
	return 0;
}

static int64_t pf_read(struct file *f, struct iobuf *b, uint64_t off)
{
	struct procfile *pf = f->priv;
	struct context *c;
	if (pf->kind == PROC_NEW) {
		uint64_t pid = (uint64_t)pf->pid;
		if (b->len < sizeof(pid))
			return -EINVAL;
		return iobuf_put(b, 0, &pid, sizeof(pid)) ?: (int64_t)sizeof(pid);
	}
	if (pf->kind != PROC_REGS)
		return -EBADF;
	int err = embryo_lookup(pf->pid, pf->serial, &c);
	if (err)
		return err;
	struct proc_regs r;
	if (b->len < sizeof(r))
		return -EINVAL;
	tf_to_regs(c->tf, &r);
	return iobuf_put(b, 0, &r, sizeof(r)) ?: (int64_t)sizeof(r);
}

/* thisproc:/name: a process that never execs (a forked daemon) names
 * itself in sys:/contexts; control characters show as '?'. */
static int64_t name_write(struct iobuf *b)
{
	char name[CONTEXT_NAME];
	if (b->len == 0 || b->len >= sizeof(name))
		return -EINVAL;
	if (iobuf_get(b, 0, name, b->len) != 0)
		return -EFAULT;
	name[b->len] = '\0';
	context_set_name(cur, name);
	return (int64_t)b->len;
}

static int64_t pf_write(struct file *f, struct iobuf *b, uint64_t off)
{
	struct procfile *pf = f->priv;
	struct context *c = NULL;
	switch (pf->kind) {
	case PROC_NEW_AS:
		return pf->as ? as_request(pf->as, b) : -EINVAL;
	case PROC_EXEC:
		return exec_commit(b);
	case PROC_NAME:
		return name_write(b);
	case PROC_AS:
	case PROC_FT:
	case PROC_REGS:
	case PROC_START: {
		int err = embryo_lookup(pf->pid, pf->serial, &c);
		if (err)
			return err;
		break;
	}
	default:
		return -EBADF;
	}
	if (pf->kind == PROC_AS)
		return as_request(c->as, b);
	if (pf->kind == PROC_FT)
		return ft_request(c, b);
	if (pf->kind == PROC_START)
		return b->len ? start(c) : -EINVAL;
	struct proc_regs r;
	if (b->len != sizeof(r))
		return -EINVAL;
	if (iobuf_get(b, 0, &r, sizeof(r)) != 0)
		return -EFAULT;
	return regs_to_tf(&r, c->tf) ?: (int64_t)sizeof(r);
}

static void pf_close(struct file *f)
{
	struct procfile *pf = f->priv;
	if (pf->kind == PROC_NEW) {
		/* An embryo dies with the handle that made it (the handle
		 * never left its creator: stays_home). */
		struct context *c = context_find(pf->pid);
		if (c && c->serial == pf->serial && c->state != CTX_ZOMBIE &&
		    is_embryo(c))
			embryo_destroy(c);
	} else if (pf->kind == PROC_NEW_AS && pf->as) {
		addrspace_destroy(pf->as);
	}
	kfree(pf);
}

static const struct scheme_ops procfile_ops = {
	.open = pf_open, .read = pf_read, .write = pf_write, .close = pf_close,
};
static struct scheme thisproc_scheme = { .name = "thisproc", .ops = &procfile_ops };
static struct scheme proc_scheme = { .name = "proc", .ops = &procfile_ops };
KERNEL_SCHEME(thisproc_scheme);
KERNEL_SCHEME(proc_scheme);

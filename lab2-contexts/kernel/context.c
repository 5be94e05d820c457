/*
 * Context table, pids and kernel stacks (lab 2, given).
 *
 * Kernel stacks live in their own region with an unmapped guard page below
 * each, so a kernel stack overflow is a page fault (reported through the
 * double-fault IST stack) rather than silent corruption of a neighbour.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "frame.h"
#include "gdt.h"
#include "mapper.h"
#include "memlayout.h"
#include "prof.h"
#include "x86.h"

#define KSTACK_SLOT	((KSTACK_PAGES + 1) * PAGE_SIZE)	/* + guard */

static struct context table[NCONTEXT];
static int next_pid = 1;
static uint64_t next_serial = 1;
static int live;

extern const struct context_hooks __context_hooks_start[], __context_hooks_end[];

/* The stack's frames are not zeroed (the kernel writes before it reads
 * its own stack); only the trapframe at the top is, by context_alloc. */
static int kstack_map(struct context *c, int slot)
{
	struct flush fl = FLUSH_INIT;
	uintptr_t base = KSTACK_BASE + (uintptr_t)slot * KSTACK_SLOT + PAGE_SIZE;
	for (int i = 0; i < KSTACK_PAGES; i++) {
		physaddr_t pa = frame_alloc_dirty();
		if (!pa || mapper_map(kernel_root, base + i * PAGE_SIZE, pa,
				      PTE_W | PTE_NX, &fl) != 0) {
			if (pa)
				frame_free(pa);
			while (i-- > 0) {
				if (mapper_unmap(kernel_root, base + i * PAGE_SIZE,
						 &pa, &fl) == 0)
					frame_free(pa);
			}
			flush_commit(&fl);
			return -ENOMEM;
		}
	}
	c->kstack_base = base;
	c->kstack_top = base + KSTACK_PAGES * PAGE_SIZE;
	return 0;
}

static void kstack_unmap(struct context *c)
{
	struct flush fl = FLUSH_INIT;
	for (uintptr_t va = c->kstack_base; va < c->kstack_top; va += PAGE_SIZE) {
		physaddr_t pa;
		if (mapper_unmap(kernel_root, va, &pa, &fl) == 0)
			frame_free(pa);
	}
	flush_commit(&fl);
}

/* Pids count up and are not reused until they wrap, so a stale pid is
 * unlikely to name a new process. */
static int alloc_pid(void)
{
	for (;;) {
		int pid = next_pid;
		next_pid = next_pid == 0x7fffffff ? 2 : next_pid + 1;
		if (!context_find(pid))
			return pid;
	}
}

struct context *context_alloc(const char *name)
{
	for (int i = 0; i < NCONTEXT; i++) {
		struct context *c = &table[i];
		if (c->state != CTX_UNUSED)
			continue;
		memset(c, 0, sizeof(*c));
		if (kstack_map(c, i) != 0)
			return NULL;
		c->pid = alloc_pid();
		c->serial = next_serial++;
		c->state = CTX_BLOCKED;		/* not runnable until started */
		c->tf = (struct trapframe *)(c->kstack_top - sizeof(struct trapframe));
		memset(c->tf, 0, sizeof(*c->tf));	/* an embryo's registers */
		context_set_name(c, name);
		live++;
		return c;
	}
	return NULL;
}

void context_free(struct context *c)
{
	if (c->state == CTX_UNUSED)
		panic("context_free: slot %d freed twice (a kernel bug: "
		      "every context has one owner that frees it once)",
		      context_slot(c));
	kstack_unmap(c);
	c->state = CTX_UNUSED;
	c->pid = 0;
	live--;
}

struct context *context_find(int pid)
{
	if (pid <= 0)
		return NULL;
	for (int i = 0; i < NCONTEXT; i++)
		if (table[i].state != CTX_UNUSED && table[i].pid == pid)
			return &table[i];
	return NULL;
}

/* The i-th slot of the context table (for listings), or NULL if unused. */
struct context *context_at(int i)
{
	if (i < 0 || i >= NCONTEXT || table[i].state == CTX_UNUSED)
		return NULL;
	return &table[i];
}

int context_slot(const struct context *c)
{
	return (int)(c - table);
}

int context_count(void)
{
	return live;
}

/* Names reach text files (sys:/contexts) and reports: control characters
 * would forge lines there, so they become '?'. */
void context_set_name(struct context *c, const char *name)
{
	size_t i = 0;
	for (; name[i] && i < sizeof(c->name) - 1; i++) {
		unsigned char ch = (unsigned char)name[i];
		c->name[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	c->name[i] = '\0';
}

/*
 * A new context's kernel stack, top down: its user trapframe, then a frame
 * for switch_to() to pop (six callee-saved registers, zero) whose return
 * address is context_first_entry (switch.asm). The first switch to it thus
 * "returns" into context_first_return() and then to user mode with the
 * registers in the trapframe.
 */
extern char context_first_entry[];

/* A new context's first way to user mode (context_first_entry): the
 * user_return hooks, then the usual last stop, so that a context killed
 * before it ever ran dies before running user code. */
void context_first_return(struct trapframe *tf);
void context_first_return(struct trapframe *tf)
{
	prof_first_return();	/* -DOCHRE_PROF only (make profile) */
	context_run_user_return_hooks(cur);
	trap_return_to_user(tf);
}

void context_prepare_first_switch(struct context *c)
{
	uint64_t *sp = (uint64_t *)c->tf;
	*--sp = (uint64_t)context_first_entry;
	for (int i = 0; i < 6; i++)
		*--sp = 0;	/* rbp, rbx, r12-r15 */
	c->saved_rsp = (uint64_t)sp;
}

void trapframe_init_user(struct trapframe *tf, uint64_t rip, uint64_t rsp)
{
	*tf = (struct trapframe){
		.rip = rip,
		.cs = SEL_UCODE,
		.rflags = RFLAGS_USER_INIT,
		.rsp = rsp,
		.ss = SEL_UDATA,
	};
}

static int run_create_hooks(struct context *creator, struct context *c)
{
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++) {
		if (h->create) {
			int err = h->create(creator, c);
			if (err)
				return err;
		}
	}
	return 0;
}

int context_new(struct context *creator, const char *name,
		struct context **out)
{
	struct context *c = context_alloc(name);
	if (!c)
		return -EAGAIN;
	c->as = addrspace_create();
	int err = c->as ? run_create_hooks(creator, c) : -ENOMEM;
	if (err) {
		context_discard(c);
		return err;
	}
	*out = c;
	return 0;
}

/*
 * The state is set before the hooks run, so that nothing they do (closing
 * files, say) can discard c a second time: that would be a kernel bug, and
 * it is reported as one.
 */
void context_discard(struct context *c)
{
	if (c->state != CTX_BLOCKED || c->saved_rsp)
		panic("context_discard: pid %d has run or is dying (state %d)",
		      c->pid, c->state);
	c->state = CTX_ZOMBIE;
	context_run_exit_hooks(c);
	addrspace_destroy(c->as);
	c->as = NULL;
	context_free(c);
}

int context_start(struct context *parent, struct context *c)
{
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++) {
		if (h->start) {
			int err = h->start(parent, c);
			if (err)
				return err;
		}
	}
	if (parent) {
		c->parent = parent;
		c->sibling = parent->children;
		parent->children = c;
	}
	context_prepare_first_switch(c);
	sched_make_runnable(c);
	return 0;
}

void context_exec(struct addrspace *as, const char *name, uint64_t rip,
		  uint64_t rsp)
{
	struct addrspace *old = cur->as;
	cur->as = as;
	addrspace_switch(as);
	addrspace_destroy(old);
	if (name[0])
		context_set_name(cur, name);
	trapframe_init_user(cur->tf, rip, rsp);
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++)
		if (h->exec)
			h->exec(cur);
}

int context_run_kill_hooks(struct context *c, int sig)
{
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++) {
		if (h->kill) {
			int r = h->kill(c, sig);
			if (r != KILL_DEFAULT)
				return r;
		}
	}
	return KILL_DEFAULT;
}

bool context_run_signal_hooks(struct context *c, struct trapframe *tf, int sig)
{
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++)
		if (h->signal && h->signal(c, tf, sig))
			return true;
	return false;
}

void context_run_user_return_hooks(struct context *c)
{
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++)
		if (h->user_return)
			h->user_return(c);
}

int context_run_fork_hooks(struct context *parent, struct context *child)
{
	for (const struct context_hooks *h = __context_hooks_start;
	     h < __context_hooks_end; h++) {
		if (h->fork) {
			int err = h->fork(parent, child);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Last lab first, the reverse of create: a later lab's state may lean on
 * an earlier one's (lab 6's EXIT stop comes before lab 3 closes the
 * files), never the other way round. */
void context_run_exit_hooks(struct context *c)
{
	for (const struct context_hooks *h = __context_hooks_end;
	     h-- > __context_hooks_start;)
		if (h->exit)
			h->exit(c);
}

/*
 * execve in the kernel (lab 3). HANDOUT.md §7.
 *
 * Reads the program, validates it (common/lib/elf.c, shared with lab 4's
 * libc loader), builds a complete new address space - segments, stack,
 * arguments - and only then replaces the caller's. Any error before that
 * point returns to a caller whose process is untouched.
 *
 * Lab 4 retires this file: exec moves to user space (Redox's fexec).
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "file.h"
#include "gdt.h"
#include "heap.h"
#include "mapper.h"
#include "memlayout.h"
#include "scheme.h"
#include "syscall_table.h"
#include "usercopy.h"
#include "../../common/lib/elf.h"

#define EXEC_FILE_MAX	(8UL << 20)	/* biggest program we load */
#include <ochre/auxv.h>
#include <ochre/layout.h>	/* EXEC_MEM_MAX, ARG_BYTES_MAX, ARG_COUNT_MAX */

/* argv or envp, copied into one kernel buffer: n strings, back to back. */
struct strvec {
	int n;
	size_t bytes;
	char *buf;
};

static int copy_strings(uintptr_t uvec, struct strvec *v, size_t *budget)
{
	v->n = 0;
	v->bytes = 0;
	v->buf = NULL;
	if (!uvec)
		return 0;		/* NULL argv/envp: empty, like Linux */
	v->buf = kmalloc(*budget ? *budget : 1);
	if (!v->buf)
		return -ENOMEM;
	for (;;) {
		uint64_t ptr;
		if (copyin(&ptr, uvec + (uintptr_t)v->n * 8, 8) != 0)
			return -EFAULT;
		if (!ptr)
			return 0;
		if (v->n == ARG_COUNT_MAX || *budget == 0)
			return -E2BIG;
		int len = copyinstr(v->buf + v->bytes, ptr, *budget);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return len;
		v->bytes += (size_t)len + 1;
		*budget -= (size_t)len + 1;
		v->n++;
	}
}

/* Reads a whole file into a kernel buffer. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	struct file *f;
	int err = kernel_open(path, O_RDONLY, &f);
	if (err)
		return err;
	struct ochre_stat st = { 0 };
	if (f->scheme->ops->fstat)
		f->scheme->ops->fstat(f, &st);
	if (S_ISDIR(st.mode)) {
		file_put(f);
		return -EACCES;
	}
	size_t cap = st.size ? st.size : 65536;
	if (cap > EXEC_FILE_MAX) {
		file_put(f);
		return -ENOEXEC;
	}
	uint8_t *buf = kmalloc(cap);
	size_t len = 0;
	while (buf) {
		if (len == cap) {	/* fstat lied or had no size: grow */
			if (cap >= EXEC_FILE_MAX)
				break;
			uint8_t *bigger = kmalloc(cap * 2);
			if (bigger)
				memcpy(bigger, buf, len);
			kfree(buf);
			buf = bigger;
			cap *= 2;
			continue;
		}
		int64_t n = kernel_read(f, buf + len, cap - len);
		if (n < 0) {
			kfree(buf);
			file_put(f);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	file_put(f);
	if (!buf)
		return -ENOMEM;
	*data = buf;
	*size = len;
	return 0;
}

/* Given: page-table flags for an ELF segment's p_flags (W^X holds). */
static uint64_t segment_pte_flags(uint32_t pf)
{
	return (pf & ELF_PF_W ? PTE_W : 0) | (pf & ELF_PF_X ? 0 : PTE_NX);
}

/* Maps every segment of img into as, with its bytes from data. */
static int load_segments(struct addrspace *as, const uint8_t *data,
				  const struct elf_image *img)
{
	/* BEGIN LAB3 SOLUTION: §7.1 load_segments */
	for (int i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->seg[i];
		uintptr_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
		uintptr_t end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
		/* Writable while we fill it; the final protection comes after. */
		int err = addrspace_map_anon(as, start, end - start, PTE_W | PTE_NX);
		if (!err)
			err = addrspace_write(as, s->vaddr, data + s->offset,
					      s->filesz);
		if (!err)
			err = addrspace_protect(as, start, end - start,
						segment_pte_flags(s->flags));
		if (err)
			return err;	/* the bss is zero: fresh frames are */
	}
	return 0;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}


/*
 * The System V initial stack, from the top down:
 *
 *   argv and envp strings
 *   (padding to 16)
 *   auxv: AT_PAGESZ, AT_ENTRY, AT_NULL (pairs of words)
 *   envp[0..n-1], NULL
 *   argv[0..n-1], NULL
 *   argc                      <- rsp, 16-byte aligned
 */
static int build_stack(struct addrspace *as, const struct strvec *argv,
				const struct strvec *envp, uint64_t entry,
				uint64_t *rsp)
{
	/* BEGIN LAB3 SOLUTION: §7.2 build_stack */
	uintptr_t top = USER_STACK_TOP;
	int err = addrspace_map_anon(as, top - USER_STACK_PAGES * PAGE_SIZE,
				     USER_STACK_PAGES * PAGE_SIZE, PTE_W | PTE_NX);
	if (err)
		return err;
	uintptr_t strings = top - ALIGN_UP(argv->bytes + envp->bytes, 16);
	size_t words = 1 + (size_t)argv->n + 1 + (size_t)envp->n + 1 + 6;
	uintptr_t sp = ALIGN_DOWN(strings - words * 8, 16);
	if (top - sp > USER_STACK_PAGES * PAGE_SIZE / 2)
		return -E2BIG;		/* leave the program most of its stack */

	uint64_t *w = kmalloc(words * 8);
	if (!w)
		return -ENOMEM;
	size_t k = 0;
	w[k++] = (uint64_t)argv->n;
	uintptr_t s = strings;
	for (int i = 0; i < argv->n; i++) {
		w[k++] = s;
		s += strlen(argv->buf + (s - strings)) + 1;
	}
	w[k++] = 0;
	uintptr_t env_strings = s;
	for (int i = 0; i < envp->n; i++) {
		w[k++] = s;
		s += strlen(envp->buf + (s - env_strings)) + 1;
	}
	w[k++] = 0;
	w[k++] = AT_PAGESZ, w[k++] = PAGE_SIZE;
	w[k++] = AT_ENTRY, w[k++] = entry;
	w[k++] = AT_NULL, w[k++] = 0;
	err = addrspace_write(as, strings, argv->buf, argv->bytes);
	if (!err)
		err = addrspace_write(as, env_strings, envp->buf, envp->bytes);
	if (!err)
		err = addrspace_write(as, sp, w, words * 8);
	kfree(w);
	*rsp = sp;
	return err;
	/* END LAB3 SOLUTION */
	/* STARTER: return -ENOSYS; */
}

static void name_from_path(const char *path, char name[CONTEXT_NAME])
{
	const char *slash = strrchr(path, '/');
	const char *colon = strrchr(path, ':');
	const char *base = slash ? slash + 1 : colon ? colon + 1 : path;
	strlcpy(name, base, CONTEXT_NAME);
}

static int64_t sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
	char raw[OCHRE_PATH_MAX], path[OCHRE_PATH_MAX];
	struct strvec argv = { 0 }, envp = { 0 };
	size_t budget = ARG_BYTES_MAX;

	int err = copyinstr(raw, upath, sizeof(raw));
	if (err >= 0)
		err = path_resolve(raw, path, sizeof(path));
	if (err >= 0)
		err = copy_strings(uargv, &argv, &budget);
	if (err >= 0)
		err = copy_strings(uenvp, &envp, &budget);
	/* BEGIN LAB3 SOLUTION: §7.3 sys_execve */
	struct addrspace *as = NULL;
	uint8_t *data = NULL;
	size_t size = 0;
	struct elf_image img;
	uint64_t rsp = 0;
	const char *why = NULL;
	/* Programs live below the mmap area; page 0 stays unmapped. */
	const struct elf_limits limits = { USER_MIN, MMAP_BASE, EXEC_MEM_MAX };
	if (err >= 0)
		err = read_file(path, &data, &size);
	if (err >= 0)
		err = elf_parse(data, size, &limits, &img, &why);
	if (err >= 0 && !(as = addrspace_create()))
		err = -ENOMEM;
	if (err >= 0)
		err = load_segments(as, data, &img);
	if (err >= 0)
		err = build_stack(as, &argv, &envp, img.entry, &rsp);
	kfree(data);
	kfree(argv.buf);
	kfree(envp.buf);
	if (err < 0) {
		if (why)
			printk("ochre: execve %s: %s\n", path, why);
		addrspace_destroy(as);
		return err;
	}

	/* The point of no return: from here on the old program is gone. */
	char name[CONTEXT_NAME];
	name_from_path(path, name);
	context_exec(as, name, img.entry, rsp);
	return 0;
	/* END LAB3 SOLUTION */
	/* STARTER: kfree(argv.buf); kfree(envp.buf); return -ENOSYS; */
}
SYSCALL(SYS_EXECVE, sys_execve);

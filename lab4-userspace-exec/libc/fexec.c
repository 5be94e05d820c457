/*
 * exec in user space (lab 4, HANDOUT.md §6): Redox's fexec. libc reads and
 * checks the program through an fd, fills a fresh address space
 * (thisproc:new-addrspace) with its segments and an initial stack, and only
 * then asks the kernel to switch to it (thisproc:exec), in one step that
 * cannot fail halfway. Until that last write, nothing of the caller has
 * changed: any error returns -1 and errno to a caller that runs on intact.
 *
 * The new image sees exactly what lab 3's kernel execve gave it: segments
 * below MMAP_BASE, an 8-page stack below USER_STACK_TOP holding the
 * System V layout (strings, auxv, envp, argv, argc at a 16-aligned rsp).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ochre/auxv.h>
#include <ochre/layout.h>
#include <ochre/proc.h>
#include <ochre_exec.h>
#include "../../common/lib/elf.h"


#define HANDLE_FLAGS	(O_CLOEXEC | O_CLOFORK)
#define PAGE_SIZE	4096UL
#define CHUNK		65536			/* bytes per read + AS_WRITE */

#define ALIGN_DOWN(x, a)	((x) & ~((a) - 1))
#define ALIGN_UP(x, a)		ALIGN_DOWN((x) + (a) - 1, a)

/* ---- given helpers ---- */

/* Reads exactly len bytes at offset off, looping on short reads (scheme
 * daemons return what they have). End of file first: ENOEXEC. */
static int read_at(int fd, uint64_t off, void *buf, size_t len)
{
	if (lseek(fd, (off_t)off, SEEK_SET) < 0)
		return -1;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOEXEC;	/* the file is shorter than it says */
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* One operation on an address space fd: 0, or -1 and errno. */
static int as_do(int as, uint32_t op, uint32_t prot,
					 uint64_t va, uint64_t len, const void *buf)
{
	struct as_op o = {
		.op = op, .prot = prot, .va = va, .len = len,
		.buf = (uint64_t)(uintptr_t)buf,
	};
	ssize_t n = write(as, &o, sizeof(o));
	if (n < 0)
		return -1;
	return 0;
}

/*
 * The arguments, measured and checked. libc cannot let a bad pointer in
 * argv or envp crash the caller (exec must fail with EFAULT, as lab 3's
 * kernel execve did), so before reading a page of the caller's memory for
 * the first time it asks the kernel to copy a byte of it into a scratch
 * byte of the new address space (AS_WRITE reads the caller's memory with
 * copyin and says EFAULT). A few recently checked pages are remembered.
 */
struct strvec {
	char *const *vec;	/* argv or envp (NULL: empty) */
	int n;			/* strings */
	size_t bytes;		/* their bytes, NULs included */
};

struct prober {
	int as;
	uint64_t scratch;	/* a mapped byte of the new space */
	uintptr_t page[8];	/* readable pages (0: none) */
	unsigned next;
};

static int probe(struct prober *p, uintptr_t addr)
{
	uintptr_t page = ALIGN_DOWN(addr, PAGE_SIZE);
	for (unsigned i = 0; i < 8; i++)
		if (p->page[i] == page && page)
			return 0;
	if (as_do(p->as, AS_WRITE, 0, p->scratch, 1, (const void *)addr) < 0)
		return -1;
	p->page[p->next++ % 8] = page;
	return 0;
}

/* Checks that addr..addr+len-1 are readable (len small: at most 2 pages). */
static int probe_range(struct prober *p, uintptr_t addr, size_t len)
{
	if (addr + len < addr) {
		errno = EFAULT;
		return -1;
	}
	if (probe(p, addr) < 0)
		return -1;
	return probe(p, addr + len - 1);
}

/* Counts the strings of v and their bytes against *budget (E2BIG when
 * over, like lab 3's kernel), EFAULT for a pointer we cannot read. */
static int measure(struct prober *p, struct strvec *v,
					   size_t *budget)
{
	v->n = 0;
	v->bytes = 0;
	if (!v->vec)
		return 0;
	for (;;) {
		uintptr_t slot = (uintptr_t)(v->vec + v->n);
		if (probe_range(p, slot, sizeof(char *)) < 0)
			return -1;
		const char *s = v->vec[v->n];
		if (!s)
			return 0;
		if (v->n == ARG_COUNT_MAX || *budget == 0) {
			errno = E2BIG;
			return -1;
		}
		size_t len = 0;
		for (;;) {
			uintptr_t a = (uintptr_t)s + len;
			if ((len == 0 || (a & (PAGE_SIZE - 1)) == 0) && probe(p, a) < 0)
				return -1;
			if (s[len] == '\0')
				break;
			if (++len >= *budget) {
				errno = E2BIG;
				return -1;
			}
		}
		v->bytes += len + 1;
		*budget -= len + 1;
		v->n++;
	}
}

/* The name a process gets: the last component of its path. */
static void set_name(char name[32], const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *colon = strrchr(path, ':');
	const char *base = slash ? slash + 1 : colon ? colon + 1 : path;
	size_t n = strlen(base);
	if (n > 31)
		n = 31;
	memset(name, 0, 32);
	memcpy(name, base, n);
}

/* ---- student work ---- */

/* PROT_* for an ELF segment's p_flags (W^X already holds). */
static uint32_t segment_prot(uint32_t pf)
{
	return PROT_READ | (pf & ELF_PF_W ? PROT_WRITE : 0) |
	       (pf & ELF_PF_X ? PROT_EXEC : 0);
}

/* Maps every segment of img into the address space as, with its final
 * protection, and copies its file bytes from fd (the rest stays zero). */
static int load_segments(int as, int fd,
						 const struct elf_image *img)
{
	/* BEGIN LAB4 SOLUTION: §6.1 load_segments */
	char *buf = malloc(CHUNK);
	if (!buf)
		return -1;
	int r = 0;
	for (int i = 0; i < img->nsegments && r == 0; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint64_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
		uint64_t end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
		r = as_do(as, AS_MAP, segment_prot(s->flags), start, end - start, NULL);
		/* AS_WRITE ignores the protection: even text can be filled. */
		for (uint64_t off = 0; r == 0 && off < s->filesz; off += CHUNK) {
			size_t len = s->filesz - off < CHUNK ? s->filesz - off : CHUNK;
			r = read_at(fd, s->offset + off, buf, len);
			if (r == 0)
				r = as_do(as, AS_WRITE, 0, s->vaddr + off, len, buf);
		}
	}
	int e = errno;
	free(buf);
	errno = e;
	return r;
	/* END LAB4 SOLUTION */
	/* STARTER: errno = ENOSYS; return -1; */
}

/*
 * Writes the System V initial stack into the (already mapped) stack of as,
 * from the top down:
 *
 *   argv and envp strings
 *   the strings of auxv entries (exec_auxv(): none in lab 4)
 *   (padding to 16)
 *   auxv: the entries exec_auxv() gives (lab 4: AT_PAGESZ, AT_ENTRY),
 *         then AT_NULL (pairs of words)
 *   envp[0..n-1], NULL
 *   argv[0..n-1], NULL
 *   argc                      <- *rsp, 16-byte aligned
 *
 * Every pointer is an address in the new space. E2BIG if the whole
 * takes more than half the stack.
 */
static int build_stack(int as, const struct strvec *argv,
					       const struct strvec *envp,
					       uint64_t entry, uint64_t *rsp)
{
	/* BEGIN LAB4 SOLUTION: §6.2 build_stack */
	struct exec_aux aux;
	exec_auxv(&aux, entry);
	uint64_t top = USER_STACK_TOP;
	uint64_t strings = top - ALIGN_UP(argv->bytes + envp->bytes + aux.str_bytes, 16);
	size_t words = 1 + (size_t)argv->n + 1 + (size_t)envp->n + 1 +
		       2 * ((size_t)aux.n + 1);
	uint64_t sp = ALIGN_DOWN(strings - words * 8, 16);
	if (top - sp > USER_STACK_PAGES * PAGE_SIZE / 2) {
		errno = E2BIG;		/* leave the program most of its stack */
		return -1;
	}
	size_t size = top - sp;
	char *img = calloc(1, size);
	if (!img)
		return -1;
	uint64_t *w = (uint64_t *)img;	/* the image of [sp, top) */
	char *str = img + (strings - sp);
	size_t k = 0;
	uint64_t at = strings;		/* new-space address of the next string */
	w[k++] = (uint64_t)argv->n;
	for (const struct strvec *v = argv;; v = envp) {
		for (int i = 0; i < v->n; i++) {
			size_t len = strlen(v->vec[i]) + 1;
			memcpy(str + (at - strings), v->vec[i], len);
			w[k++] = at;
			at += len;
		}
		w[k++] = 0;
		if (v == envp)
			break;
	}
	for (int i = 0; i < aux.n; i++) {
		uint64_t val = aux.val[i];
		if (aux.str[i]) {
			size_t len = strlen(aux.str[i]) + 1;
			memcpy(str + (at - strings), aux.str[i], len);
			val = at;
			at += len;
		}
		w[k++] = aux.key[i], w[k++] = val;
	}
	w[k++] = AT_NULL, w[k++] = 0;
	int r = as_do(as, AS_WRITE, 0, sp, size, img);
	int e = errno;
	free(img);
	errno = e;
	*rsp = sp;
	return r;
	/* END LAB4 SOLUTION */
	/* STARTER: errno = ENOSYS; return -1; */
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	/* BEGIN LAB4 SOLUTION: §6.3 fexecve */
	const struct elf_limits limits = { USER_MIN, MMAP_BASE, EXEC_MEM_MAX };
	struct elf_image img;
	uint8_t hdr[ELF_MAX_PHNUM * ELF_PHDR_SIZE];
	struct stat st;
	const char *why = NULL;
	int as = -1, x = -1, err;

	/* 1. The headers: nothing is allocated until they pass. */
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (read_at(fd, 0, hdr, ELF_EHDR_SIZE) < 0)
		return -1;
	err = elf_check_ehdr(hdr, ELF_EHDR_SIZE, size, &img, &why);
	size_t phlen = (size_t)img.phnum * ELF_PHDR_SIZE;
	if (!err && read_at(fd, img.phoff, hdr, phlen) < 0)
		return -1;
	if (!err)
		err = elf_check_phdrs(hdr, phlen, size, &limits, &img, &why);
	if (err) {
		errno = -err;
		return -1;
	}

	/* 2. A new address space: its stack first, where the argument
	 * checks put their scratch byte (the stack's lowest byte). */
	as = open("thisproc:new-addrspace", O_RDWR | HANDLE_FLAGS);
	if (as < 0)
		return -1;
	uint64_t stack = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;
	struct prober pr = { .as = as, .scratch = stack };
	struct strvec av = { .vec = argv }, ev = { .vec = envp };
	size_t budget = ARG_BYTES_MAX;
	uint64_t rsp = 0;
	static const char zero;
	if (as_do(as, AS_MAP, PROT_READ | PROT_WRITE, stack,
		  USER_STACK_PAGES * PAGE_SIZE, NULL) < 0 ||
	    measure(&pr, &av, &budget) < 0 || measure(&pr, &ev, &budget) < 0 ||
	    as_do(as, AS_WRITE, 0, stack, 1, &zero) < 0 ||
	    load_segments(as, fd, &img) < 0 ||
	    build_stack(as, &av, &ev, img.entry, &rsp) < 0)
		goto fail;

	/* 3. The commit: on success, this write never returns. */
	struct proc_exec pe = { .as_fd = as, .rip = img.entry, .rsp = rsp };
	char path[256];
	ssize_t plen = fpath(fd, path, sizeof(path));
	set_name(pe.name, plen > 0 && (size_t)plen < sizeof(path) ? path : "?");
	x = open("thisproc:exec", O_WRONLY | HANDLE_FLAGS);
	if (x < 0)
		goto fail;
	if (write(x, &pe, sizeof(pe)) >= 0)
		errno = EIO;		/* "succeeded" and came back: impossible */
fail:
	err = errno;
	if (x >= 0)
		close(x);
	close(as);		/* frees the unfinished space */
	errno = err;
	return -1;
	/* END LAB4 SOLUTION */
	/* STARTER: errno = ENOSYS; return -1; */
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	int fd = open(path, O_RDONLY | HANDLE_FLAGS);
	if (fd < 0) {
		if (errno == EISDIR)
			errno = EACCES;
		return -1;
	}
	fexecve(fd, argv, envp);
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

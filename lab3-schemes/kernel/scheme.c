/*
 * The scheme registry (lab 3, given). Kernel schemes come from a linker
 * section; user schemes are added and removed while the system runs.
 */
#include "kernel.h"
#include "heap.h"
#include "scheme.h"

#define MAX_SCHEMES	32

extern const struct kernel_scheme __schemes_start[], __schemes_end[];

static struct scheme *registered[MAX_SCHEMES];

static void register_kernel_schemes(void)
{
	for (const struct kernel_scheme *k = __schemes_start; k < __schemes_end;
	     k++) {
		k->scheme->refs = 1;	/* never goes away */
		if (scheme_register(k->scheme))
			panic("two schemes named '%s'", k->scheme->name);
	}
}
INITCALL(register_kernel_schemes, 3);

struct scheme *scheme_find(const char *name, size_t len)
{
	for (int i = 0; i < MAX_SCHEMES; i++) {
		struct scheme *s = registered[i];
		if (s && strlen(s->name) == len && memcmp(s->name, name, len) == 0) {
			scheme_get(s);
			return s;
		}
	}
	return NULL;
}

int scheme_register(struct scheme *s)
{
	int free_slot = -1;
	for (int i = 0; i < MAX_SCHEMES; i++) {
		if (registered[i] && strcmp(registered[i]->name, s->name) == 0)
			return -EEXIST;
		if (!registered[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	registered[free_slot] = s;
	return 0;
}

void scheme_unregister(struct scheme *s)
{
	for (int i = 0; i < MAX_SCHEMES; i++)
		if (registered[i] == s)
			registered[i] = NULL;
}

void scheme_get(struct scheme *s)
{
	s->refs++;
}

/* User schemes are kmalloc'd; the last reference frees them. */
void scheme_put(struct scheme *s)
{
	if (--s->refs == 0) {
		scheme_unregister(s);
		kfree(s->priv);
		kfree(s);
	}
}

int64_t dirent_put(struct iobuf *b, size_t off, uint64_t ino, uint8_t type,
		   const char *name, size_t name_len)
{
	uint8_t rec[sizeof(struct ochre_dirent) + 256 + 8];
	size_t reclen = ALIGN_UP(sizeof(struct ochre_dirent) + name_len + 1, 8);
	if (name_len > 255)
		return -ENAMETOOLONG;
	if (off + reclen > b->len)
		return 0;		/* no room: the caller stops here */
	struct ochre_dirent d = { .ino = ino, .reclen = (uint16_t)reclen,
				  .type = type };
	memset(rec, 0, reclen);
	/* The header only: sizeof(d) also covers its tail padding, where the
	 * name starts, and would copy kernel stack bytes out after a short name. */
	memcpy(rec, &d, offsetof(struct ochre_dirent, name));
	memcpy(rec + offsetof(struct ochre_dirent, name), name, name_len);
	int err = iobuf_put(b, off, rec, reclen);
	return err ? err : (int64_t)reclen;
}

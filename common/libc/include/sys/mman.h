#ifndef _SYS_MMAN_H
#define _SYS_MMAN_H
#include <stddef.h>
#include <ochre/mman.h>
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
#endif

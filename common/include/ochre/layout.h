/*
 * The user address space and the limits of a new program (the ABI): the
 * kernel (lab 2's addrspace.h, lab 3's exec.c) and libc's exec (lab 4's
 * fexec.c) follow the same numbers.
 *
 *   0x0000000000000000  page 0: never mapped, so NULL faults
 *   0x0000000000001000  USER_MIN: programs live from here ...
 *   0x0000100000000000  MMAP_BASE: ... to here; mmap hands out addresses up
 *   0x00007fffff000000  USER_STACK_TOP: the stack, USER_STACK_PAGES below it
 *   0x00007ffffffff000  USER_TOP: the last page is never mapped
 */
#ifndef OCHRE_LAYOUT_H
#define OCHRE_LAYOUT_H

#define USER_MIN	0x1000UL
#define MMAP_BASE	0x0000100000000000UL
#define USER_STACK_TOP	0x00007fffff000000UL
#define USER_STACK_PAGES 8
/* Code ending at 2^47 would make the return address non-canonical (the
 * sysret problem Linux documents), so the last user page stays unmapped. */
#define USER_TOP	0x00007ffffffff000UL

/* A new program: its segments ask for at most EXEC_MEM_MAX bytes; argv and
 * envp hold at most ARG_COUNT_MAX strings each and ARG_BYTES_MAX bytes of
 * strings together. */
#define EXEC_MEM_MAX	(64UL << 20)
#define ARG_BYTES_MAX	65536
#define ARG_COUNT_MAX	1024

#endif

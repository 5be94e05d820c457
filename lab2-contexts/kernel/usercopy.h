/*
 * Moving data across the user/kernel boundary (lab 2). Every pointer a
 * user program hands the kernel goes through these: they check that the
 * whole range is user memory and survive a fault on an unmapped page,
 * returning -EFAULT instead of panicking.
 */
#ifndef OCHRE_USERCOPY_H
#define OCHRE_USERCOPY_H

#include "types.h"

int copyin(void *dst, uintptr_t user_src, size_t n);
int copyout(uintptr_t user_dst, const void *src, size_t n);
/* Copies a NUL-terminated string of at most max-1 characters; returns its
 * length, -EFAULT, or -ENAMETOOLONG. */
int copyinstr(char *dst, uintptr_t user_src, size_t max);

/* usercopy.asm: the raw copies; 0 or -EFAULT. */
int user_copy_raw(void *dst, const void *src, size_t n);
int64_t user_strncpy_raw(char *dst, const char *src, size_t max);

#endif

/*
 * Lab 2: copyin, copyout, copyinstr. HANDOUT.md §6.
 */
#include "kernel.h"
#include "addrspace.h"
#include "usercopy.h"

int copyin(void *dst, uintptr_t user_src, size_t n)
{
	/* BEGIN LAB2 SOLUTION: §6 copyin */
	if (!user_range_ok(user_src, n))
		return -EFAULT;
	return user_copy_raw(dst, (const void *)user_src, n);
	/* END LAB2 SOLUTION */
	/* STARTER: return -EFAULT; */
}

int copyout(uintptr_t user_dst, const void *src, size_t n)
{
	/* BEGIN LAB2 SOLUTION: §6 copyout */
	if (!user_range_ok(user_dst, n))
		return -EFAULT;
	return user_copy_raw((void *)user_dst, src, n);
	/* END LAB2 SOLUTION */
	/* STARTER: return -EFAULT; */
}

int copyinstr(char *dst, uintptr_t user_src, size_t max)
{
	/* BEGIN LAB2 SOLUTION: §6 copyinstr */
	if (max == 0 || user_src >= USER_TOP)
		return -EFAULT;
	/* Never read past USER_TOP, even if no NUL comes first. */
	size_t limit = MIN(max, USER_TOP - user_src);
	int64_t n = user_strncpy_raw(dst, (const char *)user_src, limit);
	if (n == -ENAMETOOLONG && limit < max)
		return -EFAULT;
	return (int)n;
	/* END LAB2 SOLUTION */
	/* STARTER: return -EFAULT; */
}

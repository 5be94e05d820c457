/*
 * Lab 2: copyin, copyout, copyinstr. HANDOUT.md §6.
 */
#include "kernel.h"
#include "addrspace.h"
#include "context.h"
#include "usercopy.h"

/* Given: user_copy_raw in chunks, with a preemption point between them,
 * so that one huge read or write cannot hold the CPU for its whole length.
 * A copy of at most PREEMPT_CHUNK bytes never gives up the CPU. */
static int user_copy(void *dst, const void *src, size_t n)
{
	for (size_t done = 0; done < n; done += PREEMPT_CHUNK) {
		if (done)
			preempt_point();
		size_t k = MIN(n - done, (size_t)PREEMPT_CHUNK);
		int err = user_copy_raw((char *)dst + done,
					(const char *)src + done, k);
		if (err)
			return err;
	}
	return 0;
}

int copyin(void *dst, uintptr_t user_src, size_t n)
{
	/* BEGIN LAB2 SOLUTION: §6 copyin */
	if (!user_range_ok(user_src, n))
		return -EFAULT;
	return user_copy(dst, (const void *)user_src, n);
	/* END LAB2 SOLUTION */
	/* STARTER: return -EFAULT; */
}

int copyout(uintptr_t user_dst, const void *src, size_t n)
{
	/* BEGIN LAB2 SOLUTION: §6 copyout */
	if (!user_range_ok(user_dst, n))
		return -EFAULT;
	return user_copy((void *)user_dst, src, n);
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

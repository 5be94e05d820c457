/* Raw system calls: return the kernel's value (negative errno on error). */
#ifndef _SYSCALL_H
#define _SYSCALL_H

#include <ochre/syscall.h>

long __syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

#define syscall0(n)		__syscall6(n, 0, 0, 0, 0, 0, 0)
#define syscall1(n, a)		__syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b)	__syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c)	__syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall6(n, a, b, c, d, e, f)                                     \
	__syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
		   (long)(f))

/* Turns a raw result into the C convention: -1 and errno. */
long __syscall_ret(long r);

#endif

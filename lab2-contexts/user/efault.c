/*
 * Bad pointers, lengths and numbers given to system calls come back as
 * errors; nothing a program passes can crash the kernel.
 */
#include "utest.h"
#include <signal.h>
#include <syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	utest_begin("efault");
	const char *kernel = (const char *)0xffffffff80100000UL;
	const char *unmapped = (const char *)0x0000200000000000UL;
	const char *noncanonical = (const char *)0x0000900000000000UL;

	CHECK_ERR(write(1, kernel, 16), EFAULT);
	CHECK_ERR(write(1, unmapped, 16), EFAULT);
	CHECK_ERR(write(1, noncanonical, 16), EFAULT);
	CHECK_ERR(write(1, NULL, 1), EFAULT);
	CHECK_ERR(write(1, "x", (size_t)-1), EINVAL);	/* absurd length */
	CHECK_ERR(write(1, (void *)0x00007ffffffffff0UL, 0x100), EFAULT);
	CHECK_ERR(write(7, "x", 1), EBADF);
	CHECK_EQ(write(1, "", 0), 0);

	/* A buffer that starts mapped and runs into unmapped memory. */
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 'z', 4096);
	CHECK_ERR(write(1, p + 4000, 200), EFAULT);

	CHECK_ERR(nanosleep((const struct timespec *)kernel, NULL), EFAULT);
	CHECK_ERR(meminfo((struct ochre_meminfo *)kernel), EFAULT);
	CHECK_EQ(meminfo((struct ochre_meminfo *)(void *)p), 0);	/* fine */

	/* Read-only memory cannot be a kernel output buffer either. */
	CHECK_EQ(mprotect(p, 4096, PROT_READ), 0);
	CHECK_ERR(meminfo((struct ochre_meminfo *)(void *)p), EFAULT);

	/* Unknown syscall numbers. */
	CHECK_EQ(syscall0(63), -ENOSYS);
	CHECK_EQ(syscall0(SYS_MAX + 1000), -ENOSYS);
	CHECK_EQ(syscall0(-1L), -ENOSYS);

	/* Bad pids and signals. */
	CHECK_ERR(kill(99999, SIGKILL), ESRCH);
	CHECK_ERR(kill(1, 77), EINVAL);
	CHECK_ERR(kill(-1, SIGKILL), EINVAL);
	CHECK_ERR(waitpid(-7, NULL, 0), EINVAL);
	printf("efault: the kernel is still here\n");
	utest_ok();
}

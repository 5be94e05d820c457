/* The current directory is kept by the kernel in lab 3; lab 5 retires this
 * file and keeps it in libc instead. */
#include <errno.h>
#include <syscall.h>
#include <unistd.h>

int chdir(const char *path)
{
	return (int)__syscall_ret(syscall1(SYS_CHDIR, path));
}

char *getcwd(char *buf, size_t size)
{
	long r = __syscall_ret(syscall2(SYS_GETCWD, buf, size));
	return r < 0 ? NULL : buf;
}

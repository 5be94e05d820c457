/* execve(2) as a system call: the kernel loads the ELF program. Lab 4
 * retires this file (exec moves into libc). */
#include <stdlib.h>
#include <syscall.h>
#include <unistd.h>

int execve(const char *path, char *const argv[], char *const envp[])
{
	return (int)__syscall_ret(syscall3(SYS_EXECVE, path, argv, envp));
}

int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

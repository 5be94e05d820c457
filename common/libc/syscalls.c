/* Thin wrappers over the system calls of lab 2 (fork is in its own file:
 * lab 4 replaces it). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int errno;

long __syscall_ret(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return __syscall_ret(syscall3(SYS_WRITE, fd, buf, n));
}

void _exit(int code)
{
	syscall1(SYS_EXIT, code);
	__builtin_unreachable();
}

void exit(int code)
{
	_exit(code);
}

void abort(void)
{
	kill(getpid(), SIGKILL);
	_exit(127);
}

pid_t getpid(void)
{
	return (pid_t)syscall0(SYS_GETPID);
}

pid_t getppid(void)
{
	return (pid_t)syscall0(SYS_GETPPID);
}

int sched_yield(void)
{
	return (int)__syscall_ret(syscall0(SYS_YIELD));
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	(void)rem;
	return (int)__syscall_ret(syscall1(SYS_NANOSLEEP, req));
}

unsigned sleep(unsigned seconds)
{
	struct timespec ts = { (long)seconds, 0 };
	nanosleep(&ts, NULL);
	return 0;
}

int usleep(unsigned long usec)
{
	struct timespec ts = { (long)(usec / 1000000), (long)(usec % 1000000) * 1000 };
	return nanosleep(&ts, NULL);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	return (pid_t)__syscall_ret(syscall3(SYS_WAITPID, pid, status, options));
}

pid_t wait(int *status)
{
	return waitpid(-1, status, 0);
}

int kill(pid_t pid, int sig)
{
	return (int)__syscall_ret(syscall2(SYS_KILL, pid, sig));
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	long r = syscall6(SYS_MMAP, addr, len, prot, flags, fd, off);
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return MAP_FAILED;
	}
	return (void *)r;
}

int munmap(void *addr, size_t len)
{
	return (int)__syscall_ret(syscall2(SYS_MUNMAP, addr, len));
}

int mprotect(void *addr, size_t len, int prot)
{
	return (int)__syscall_ret(syscall3(SYS_MPROTECT, addr, len, prot));
}

uint64_t clock_ns(void)
{
	return (uint64_t)syscall0(SYS_CLOCK);
}

int meminfo(struct ochre_meminfo *mi)
{
	return (int)__syscall_ret(syscall1(SYS_MEMINFO, mi));
}

#ifndef _UNISTD_H
#define _UNISTD_H

#include <stddef.h>
#include <stdint.h>

typedef int pid_t;
typedef long ssize_t;

ssize_t write(int fd, const void *buf, size_t n);
void _exit(int code) __attribute__((noreturn));
pid_t getpid(void);
pid_t getppid(void);
pid_t fork(void);
int sched_yield(void);
unsigned sleep(unsigned seconds);
int usleep(unsigned long usec);
/* Ochre extras */
uint64_t clock_ns(void);	/* nanoseconds since boot */
#include <ochre/syscall.h>	/* struct ochre_meminfo */
int meminfo(struct ochre_meminfo *mi);

/* A six-argument request defined by fd's scheme (lab 3, SCHEME_CALL). */
long ochre_call(int fd, const uint64_t args[6]);


/* lab 3: files and schemes (lab3-schemes/libc/files.c) */
typedef long off_t;
#define STDIN_FILENO	0
#define STDOUT_FILENO	1
#define STDERR_FILENO	2
ssize_t read(int fd, void *buf, size_t n);
int close(int fd);
off_t lseek(int fd, off_t off, int whence);
int dup(int fd);
int dup2(int oldfd, int newfd);
int pipe(int fds[2]);
int pipe2(int fds[2], int flags);	/* O_CLOEXEC, O_CLOFORK */
int unlink(const char *path);
int rmdir(const char *path);
int chdir(const char *path);
char *getcwd(char *buf, size_t size);	/* NULL and errno ERANGE if small */
int fchdir(int fd);					/* lab 5 */
ssize_t readlink(const char *path, char *buf, size_t size);	/* lab 5 */
int execve(const char *path, char *const argv[], char *const envp[]);
int execv(const char *path, char *const argv[]);	/* with environ */
int fexecve(int fd, char *const argv[], char *const envp[]);	/* lab 4 */
int fsync(int fd);
int ftruncate(int fd, off_t len);
/* Ochre: the canonical "scheme:/path" of fd; returns its full length
 * (copies at most len bytes, NUL-terminated if there is room). */
ssize_t fpath(int fd, char *buf, size_t len);
int isatty(int fd);			/* is fd the console (debug:)? */
/* Reads one line (with its '\n') into buf, NUL-terminated; returns its
 * length, 0 at end of file, -1 on error. On the console it echoes and
 * does line editing (backspace, Ctrl-U, Ctrl-C, Ctrl-D). */
ssize_t readline(int fd, char *buf, size_t n);
/* Writes all n bytes (retrying short writes); -1 on error. */
ssize_t write_all(int fd, const void *buf, size_t n);

#endif

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

#endif

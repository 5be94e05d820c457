/*
 * System call numbers (the ABI). A syscall is made with the `syscall`
 * instruction: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9; the
 * result comes back in rax, a negative errno on failure (libc turns it into
 * -1 and errno). The kernel implements each one in the file of the lab that
 * introduces it (see SYSCALL() in the kernel), so a later lab can retire a
 * syscall by dropping a file: its number then answers -ENOSYS.
 */
#ifndef OCHRE_SYSCALL_H
#define OCHRE_SYSCALL_H

/* lab 2: processes */
#define SYS_EXIT	1
#define SYS_WRITE	2	/* lab 2: debug console only; lab 3: any fd */
#define SYS_GETPID	3
#define SYS_GETPPID	4
#define SYS_YIELD	5
#define SYS_NANOSLEEP	6
#define SYS_WAITPID	7
#define SYS_KILL	8
#define SYS_FORK	9	/* in-kernel fork: retired in lab 4 */
#define SYS_MMAP	10
#define SYS_MUNMAP	11
#define SYS_MPROTECT	12
#define SYS_CLOCK	13	/* nanoseconds since boot */
#define SYS_MEMINFO	14	/* struct ochre_meminfo, for tests and tools */

/* lab 3: files and schemes (numbers reserved) */
#define SYS_OPEN	20
#define SYS_CLOSE	21
#define SYS_READ	22
#define SYS_LSEEK	23
#define SYS_FSTAT	24
#define SYS_FPATH	25
#define SYS_DUP		26
#define SYS_DUP2	27
#define SYS_PIPE	28
#define SYS_GETDENTS	29
#define SYS_UNLINK	30
#define SYS_MKDIR	31
#define SYS_RMDIR	32
#define SYS_FSYNC	33
#define SYS_FTRUNCATE	34
#define SYS_CHDIR	35	/* retired in lab 5 (cwd moves to libc) */
#define SYS_GETCWD	36	/* retired in lab 5 */
#define SYS_EXECVE	37	/* in-kernel exec: retired in lab 4 */
#define SYS_CALL	38	/* call(fd, uint64_t args[6]): a scheme-defined
				   request with six arguments (SCHEME_CALL) */

#define SYS_MAX		64

struct ochre_meminfo {
	unsigned long free_frames;	/* physical frames free */
	unsigned long total_frames;	/* frames the allocator manages */
	unsigned long heap_live;	/* kernel heap: live allocations */
	unsigned long contexts;		/* contexts in use (any state) */
	unsigned long heap_pages;	/* kernel heap: pages mapped (cached) */
};

#endif

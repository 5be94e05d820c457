/*
 * libc's exec fails cleanly: every kind of failure returns -1 with the
 * right errno to a caller whose memory (globals, heap, stack), open files
 * and name are untouched. Then a successful exec: argv and envp arrive,
 * O_CLOEXEC fds are closed, the others stay open at their offset, and the
 * process has the new name.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre/elf.h>
#include <ochre/layout.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF	"initfs:/bin/execerr"


static int global_canary = 0x600d;
static char *heap;
static int keep, cloexec;
static char *image;		/* initfs:/bin/true */
static size_t image_size;

/* Our name in sys:/contexts ("" if not found). */
static void my_name(char *name, size_t len)
{
	static char buf[4096];
	name[0] = 0;
	int fd = open("sys:/contexts", O_RDONLY);
	CHECK(fd >= 0);
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	for (char *p = strchr(buf, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		if (atoi(p + 1) != getpid())
			continue;
		/* pid ppid state name */
		char *f = p + 1;
		for (int i = 0; i < 3 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			return;
		size_t k = 0;
		while (f[k] && f[k] != '\n' && k + 1 < len) {
			name[k] = f[k];
			k++;
		}
		name[k] = 0;
		return;
	}
}

static void intact(int line)
{
	volatile int stack_canary = 0x5eed;
	if (global_canary != 0x600d || stack_canary != 0x5eed) {
		printf("execerr: FAIL line %d: canary changed\n", line);
		exit(1);
	}
	for (int i = 0; i < 20000; i++)
		if (heap[i] != (char)0xa5) {
			printf("execerr: FAIL line %d: heap changed\n", line);
			exit(1);
		}
	struct stat st;
	CHECK_EQ(fstat(keep, &st), 0);
	CHECK_EQ(fstat(cloexec, &st), 0);
	CHECK_EQ(lseek(keep, 0, SEEK_CUR), 3);
	char name[64];
	my_name(name, sizeof(name));
	if (strcmp(name, "execerr") != 0) {
		printf("execerr: FAIL line %d: name is now '%s'\n", line, name);
		exit(1);
	}
}

#define FAILS(call, e)				\
	do {					\
		volatile int _sc = 0x77;	\
		CHECK_ERR(call, e);		\
		CHECK_EQ(_sc, 0x77);		\
		intact(__LINE__);		\
	} while (0)

static void load_image(void)
{
	image = utest_read_file("initfs:/bin/true", &image_size);
}

static void put(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CHECK(fd >= 0);
	CHECK_EQ(write_all(fd, data, len), (ssize_t)len);
	CHECK_EQ(close(fd), 0);
}

/* A pointer exec put on the new stack must point into the new stack
 * (HANDOUT.md §6.2): an address of the old image names memory that is gone
 * (or, by luck, a copy of it in the new image). */
static void check_on_stack(const char *vec, int i, const void *p)
{
	uintptr_t a = (uintptr_t)p, lo = USER_STACK_TOP - USER_STACK_PAGES * 4096UL;
	if (a < lo || a >= USER_STACK_TOP) {
		printf("%s: FAIL %s:%d: %s[%d] = %#lx, not on the new stack "
		       "[%#lx, %#lx): an address of the old image?\n", utest_name,
		       __FILE__, __LINE__, vec, i, (unsigned long)a,
		       (unsigned long)lo, (unsigned long)USER_STACK_TOP);
		exit(1);
	}
}

/* The exec'd side: argv = execerr child <keep> <cloexec> a "" "b c" */
static int child(int argc, char **argv, char **envp)
{
	utest_name = "execerr (exec'd child)";
	CHECK_EQ(argc, 7);
	for (int i = 0; i < argc; i++)
		check_on_stack("argv", i, argv[i]);
	for (int i = 0; envp[i]; i++)
		check_on_stack("envp", i, envp[i]);
	CHECK(strcmp(argv[4], "a") == 0 && strcmp(argv[5], "") == 0 &&
	      strcmp(argv[6], "b c") == 0 && argv[7] == NULL);
	CHECK(envp[0] && strcmp(envp[0], "K=v") == 0 && envp[1] == NULL);
	CHECK_EQ(global_canary, 0x600d);	/* a fresh image */
	CHECK(heap == NULL);
	int k = atoi(argv[2]), c = atoi(argv[3]);
	struct stat st;
	CHECK_EQ(fstat(k, &st), 0);		/* kept, at its offset */
	CHECK_EQ(lseek(k, 0, SEEK_CUR), 3);
	CHECK_ERR(fstat(c, &st), EBADF);	/* O_CLOEXEC: closed */
	char name[64];
	my_name(name, sizeof(name));
	CHECK(strcmp(name, "execerr") == 0);
	CHECK_EQ((uintptr_t)__builtin_frame_address(0) % 8, 0);
	printf("execerr: exec'd child ok\n");
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child(argc, argv, envp);
	utest_begin("execerr");
	heap = malloc(20000);
	CHECK(heap);
	memset(heap, 0xa5, 20000);
	keep = open("initfs:/bin/true", O_RDONLY);
	CHECK(keep >= 0);
	char magic[3];
	CHECK_EQ(read(keep, magic, 3), 3);
	cloexec = open("initfs:/bin/true", O_RDONLY | O_CLOEXEC);
	CHECK(cloexec >= 0);
	intact(__LINE__);

	char *args[] = { "true", NULL };
	FAILS(execve("initfs:/bin/nosuch", args, NULL), ENOENT);
	FAILS(execv("nosuch:/x", args), ENOENT);
	FAILS(execve("initfs:/bin", args, NULL), EACCES);
	FAILS(execve("null:", args, NULL), ENOEXEC);
	char *bad_argv[] = { "true", (char *)0x1, NULL };
	FAILS(execve("initfs:/bin/true", bad_argv, NULL), EFAULT);
	char **volatile one = (char **)0x1, **volatile kern = (char **)0xffff800000000000UL;
	FAILS(execve("initfs:/bin/true", one, NULL), EFAULT);
	FAILS(execve("initfs:/bin/true", args, kern), EFAULT);
	char *bad_env[] = { "A=b", (char *)0x00007ffffffff000UL, NULL };
	FAILS(execve("initfs:/bin/true", args, bad_env), EFAULT);
	static char big[40000];
	memset(big, 'x', sizeof(big) - 1);
	char *big_argv[] = { "true", big, big, NULL };
	FAILS(execve("initfs:/bin/true", big_argv, NULL), E2BIG);
	char *one_big[] = { "true", big, NULL };	/* fits 64 KiB, not the stack */
	FAILS(execve("initfs:/bin/true", one_big, NULL), E2BIG);
	static char *many[1100];
	for (int i = 0; i < 1099; i++)
		many[i] = "m";
	FAILS(execve("initfs:/bin/true", many, NULL), E2BIG);
	FAILS(fexecve(63, args, NULL), EBADF);
	printf("execerr: bad paths and arguments refused\n");

	/* Bad files, in ramfs. */
	static char *ramfs_argv[] = { "ramfs", NULL };
	pid_t ramfs = scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs");
	CHECK(ramfs > 0 || errno == EEXIST);
	load_image();
	put("ramfs:/text", "#!/bin/sh\necho hi\n", 18);
	FAILS(execve("ramfs:/text", args, NULL), ENOEXEC);
	put("ramfs:/empty", "", 0);
	FAILS(execve("ramfs:/empty", args, NULL), ENOEXEC);
	put("ramfs:/short", image, 40);
	FAILS(execve("ramfs:/short", args, NULL), ENOEXEC);
	struct elf64_ehdr *eh = (struct elf64_ehdr *)image;
	struct elf64_phdr *ph = (struct elf64_phdr *)(image + eh->e_phoff);
	int data = -1, text = -1;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == ELF_PT_LOAD && (ph[i].p_flags & ELF_PF_W))
			data = i;
		if (ph[i].p_type == ELF_PT_LOAD && (ph[i].p_flags & ELF_PF_X))
			text = i;
	}
	CHECK(data >= 0 && text >= 0 && ph[text].p_filesz > 1);
	/* Cut inside the text segment's bytes (the symbols after the
	 * segments may be most of the file: its first half could hold them
	 * all). */
	put("ramfs:/half", image, ph[text].p_offset + ph[text].p_filesz / 2);
	FAILS(execve("ramfs:/half", args, NULL), ENOEXEC);
	uint64_t memsz = ph[data].p_memsz;
	ph[data].p_memsz = 1ULL << 36;		/* 64 GiB of bss */
	put("ramfs:/hugebss", image, image_size);
	FAILS(execve("ramfs:/hugebss", args, NULL), ENOMEM);
	ph[data].p_memsz = memsz;
	eh->e_machine = 3;
	put("ramfs:/i386", image, image_size);
	FAILS(execve("ramfs:/i386", args, NULL), ENOEXEC);
	eh->e_machine = ELF_EM_X86_64;
	put("ramfs:/true", image, image_size);	/* the pristine copy runs */
	pid_t pid = fork();
	if (pid == 0) {
		execve("ramfs:/true", args, NULL);
		_exit(99);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	printf("execerr: bad files refused\n");

	/* Fail 50 times in a row: nothing accumulates. */
	struct ochre_meminfo m0, m1;
	CHECK_EQ(utest_meminfo(&m0), 0);
	for (int i = 0; i < 50; i++) {
		CHECK_ERR(execve("ramfs:/hugebss", args, NULL), ENOMEM);
		CHECK_ERR(execve("initfs:/bin/true", one_big, NULL), E2BIG);
	}
	CHECK_EQ(utest_meminfo(&m1), 0);
	CHECK_EQ(m1.free_frames + (m1.heap_pages - m0.heap_pages), m0.free_frames);
	intact(__LINE__);

	/* Success. */
	pid = fork();
	if (pid == 0) {
		char k[16], c[16];
		snprintf(k, sizeof(k), "%d", keep);
		snprintf(c, sizeof(c), "%d", cloexec);
		char *cargv[] = { "execerr", "child", k, c, "a", "", "b c", NULL };
		char *cenv[] = { "K=v", NULL };
		execve(SELF, cargv, cenv);
		printf("execerr: FAIL execve: %s\n", strerror(errno));
		_exit(99);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	intact(__LINE__);
	if (ramfs > 0) {
		CHECK_EQ(kill(ramfs, SIGKILL), 0);
		CHECK_EQ(waitpid(ramfs, NULL, 0), ramfs);
	}
	utest_ok();
}

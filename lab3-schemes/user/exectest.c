/*
 * execve: arguments and environment arrive intact in a fresh image of the
 * program, and every kind of bad program file makes execve fail with an
 * error while the caller runs on untouched. The bad files are mutated
 * copies of initfs:/bin/echo written to ramfs; should one of them run
 * after all, echo prints a FAIL line for the grader.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre/auxv.h>
#include <ochre/elf.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF	"initfs:/bin/exectest"

extern char _start[];		/* crt0: the entry point */
static int data_marker = 42;	/* an exec'd image starts from the file */
static int bss_marker;

/* ---- the exec'd side ---- */

/* argv: exectest child <my pid> <parent pid> a "" "b c" */
static int child(int argc, char **argv, char **envp)
{
	utest_name = "exectest (exec'd child)";
	CHECK_EQ(argc, 7);
	CHECK(strcmp(argv[0], "exectest") == 0);
	CHECK_EQ(getpid(), atoi(argv[2]));	/* exec keeps the process */
	CHECK_EQ(getppid(), atoi(argv[3]));
	CHECK(strcmp(argv[4], "a") == 0);
	CHECK(strcmp(argv[5], "") == 0);
	CHECK(strcmp(argv[6], "b c") == 0);
	CHECK(argv[7] == NULL);
	int n = 0;
	while (envp[n])
		n++;
	CHECK_EQ(n, 3);
	CHECK(strcmp(envp[0], "X=1") == 0);
	CHECK(strcmp(envp[1], "EMPTY=") == 0);
	CHECK(strncmp(envp[2], "LONG=", 5) == 0);
	CHECK_EQ(strlen(envp[2]), 5 + 300);
	CHECK(getenv("X") && strcmp(getenv("X"), "1") == 0);
	CHECK(getenv("EMPTY") && getenv("EMPTY")[0] == '\0');
	CHECK(getenv("NOPE") == NULL);
	/* The auxiliary vector follows envp. */
	unsigned long *aux = (unsigned long *)(envp + n + 1);
	unsigned long pagesz = 0, entry = 0;
	for (; aux[0] != AT_NULL; aux += 2) {
		if (aux[0] == AT_PAGESZ)
			pagesz = aux[1];
		if (aux[0] == AT_ENTRY)
			entry = aux[1];
	}
	CHECK_EQ(pagesz, 4096);
	CHECK_EQ(entry, (unsigned long)_start);
	CHECK_EQ(data_marker, 42);
	CHECK_EQ(bss_marker, 0);
	printf("exectest: child %s got argc %d, %d env strings, auxv ok\n",
	       argv[2], argc, n);
	return 0;
}

/* Runs argv in a child; returns its wait status. */
static int run(char *const argv[], char *const envp[], int via_null_env)
{
	pid_t pid = fork();
	if (pid == 0) {
		execve(SELF, argv, via_null_env ? NULL : envp);
		printf("exectest: FAIL execve %s: %s\n", SELF, strerror(errno));
		_exit(99);
	}
	CHECK(pid > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

static void round_trip(void)
{
	static char long_env[5 + 300 + 1] = "LONG=";
	memset(long_env + 5, 'v', 300);
	char me[16], parent[16];
	char *envp[] = { "X=1", "EMPTY=", long_env, NULL };
	data_marker = 7;
	bss_marker = 99;
	pid_t pid = fork();
	if (pid == 0) {
		snprintf(me, sizeof(me), "%d", getpid());
		snprintf(parent, sizeof(parent), "%d", getppid());
		char *argv[] = { "exectest", "child", me, parent, "a", "", "b c",
				 NULL };
		execve(SELF, argv, envp);
		printf("exectest: FAIL execve %s: %s\n", SELF, strerror(errno));
		_exit(99);
	}
	CHECK(pid > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);

	/* NULL envp: an empty environment. */
	char *noenv[] = { "exectest", "noenv", NULL };
	CHECK_EQ(run(noenv, NULL, 1), 0);
	printf("exectest: argv/envp round trip ok\n");
}

/* ---- bad programs ---- */

static char *echo_image;	/* initfs:/bin/echo */
static size_t echo_size;
static char *img;		/* the copy being mutated */

static void load_echo(void)
{
	echo_image = utest_read_file("initfs:/bin/echo", &echo_size);
	img = malloc(echo_size + 4096);
	CHECK(img);
	CHECK(memcmp(echo_image, ELF_MAGIC, 4) == 0);
}

static struct elf64_ehdr *ehdr(void)
{
	return (struct elf64_ehdr *)img;
}

static struct elf64_phdr *phdr(int i)
{
	return (struct elf64_phdr *)(img + ehdr()->e_phoff) + i;
}

/* Writes img[0..len) to ramfs:/bad and checks that execve of it fails
 * with errno e, leaving us running with everything in place. */
static void refuse(const char *what, size_t len, int e)
{
	static int count;
	char path[32], fail[128];
	snprintf(path, sizeof(path), "ramfs:/bad%d", count++);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CHECK(fd >= 0);
	CHECK_EQ(write_all(fd, img, len), (ssize_t)len);
	CHECK_EQ(close(fd), 0);
	snprintf(fail, sizeof(fail), "exectest: FAIL execve of %s succeeded", what);
	char *argv[] = { "echo", fail, NULL };
	volatile int canary = 0x5a5a;
	errno = 0;
	int r = execve(path, argv, environ);
	if (r != -1 || errno != e) {
		int got = errno;
		printf("exectest: FAIL execve of %s: got %d errno %d %s (%s), "
		       "expected errno %d %s (%s)\n", what, r, got,
		       utest_errname(got), strerror(got), e, utest_errname(e),
		       strerror(e));
		exit(1);
	}
	CHECK_EQ(canary, 0x5a5a);
	CHECK_EQ(unlink(path), 0);
}

/* A fresh copy of echo to mutate. */
static void pristine(void)
{
	memcpy(img, echo_image, echo_size);
}

static void bad_programs(void)
{
	load_echo();
	pristine();
	/* The copy itself is fine: prove that with a child. */
	int fd = open("ramfs:/good", O_WRONLY | O_CREAT, 0755);
	CHECK(fd >= 0);
	CHECK_EQ(write_all(fd, img, echo_size), (ssize_t)echo_size);
	CHECK_EQ(close(fd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "echo", "exectest: echo from ramfs runs", NULL };
		execv("ramfs:/good", argv);
		_exit(99);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);

	CHECK(ehdr()->e_phnum == 2);	/* text, data: see user.ld */
	uint64_t text = phdr(0)->p_vaddr, data = phdr(1)->p_vaddr;
	uint64_t data_off = phdr(1)->p_offset, data_end = data_off + phdr(1)->p_filesz;

	/* Truncated files. */
	refuse("an empty file", 0, ENOEXEC);
	refuse("3 bytes", 3, ENOEXEC);
	refuse("63 bytes", 63, ENOEXEC);
	refuse("the ELF header alone", 64, ENOEXEC);
	refuse("half the program headers", 64 + 56 + 20, ENOEXEC);
	refuse("text cut in the middle", phdr(0)->p_filesz / 2, ENOEXEC);
	refuse("data one byte short", data_end - 1, ENOEXEC);

	/* Not for us. */
	img[0] = 'X';
	refuse("bad magic", echo_size, ENOEXEC);
	pristine();
	img[ELF_EI_CLASS] = 1;
	refuse("a 32-bit file", echo_size, ENOEXEC);
	pristine();
	img[ELF_EI_DATA] = 2;
	refuse("a big-endian file", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_machine = 3;
	refuse("an i386 file", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_type = ELF_ET_DYN;
	refuse("ET_DYN", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_type = ELF_ET_REL;
	refuse("ET_REL", echo_size, ENOEXEC);

	/* Bad program header tables. */
	pristine();
	ehdr()->e_phentsize = 32;
	refuse("e_phentsize 32", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_phnum = 0;
	refuse("no program headers", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_phnum = 60000;
	refuse("60000 program headers", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_phoff = 0xffffffffffffff00ULL;
	refuse("e_phoff wrapping around", echo_size, ENOEXEC);
	pristine();
	phdr(0)->p_type = phdr(1)->p_type = ELF_PT_NULL;
	refuse("no PT_LOAD", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_phnum = 3;		/* the third header covers some text */
	memset(phdr(2), 0, sizeof(struct elf64_phdr));
	phdr(2)->p_type = ELF_PT_INTERP;
	phdr(2)->p_filesz = 1;
	refuse("PT_INTERP (dynamic)", echo_size, ENOEXEC);

	/* Bad segments. */
	pristine();
	/* On text's last page, however small echo's text is. */
	phdr(1)->p_vaddr = phdr(1)->p_paddr = text + ((phdr(0)->p_memsz - 1) & ~0xfffULL);
	refuse("data overlapping text", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_vaddr = 0xffffffff80000000ULL;
	refuse("a segment at a kernel address", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_vaddr = 0x00007ffffffff000ULL;
	phdr(1)->p_memsz = 0x10000;
	refuse("a segment past the top of user space", echo_size, ENOEXEC);
	pristine();
	phdr(0)->p_vaddr = 0;
	ehdr()->e_entry -= text;
	refuse("a segment at address 0", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_memsz = 0xffffffffffff0000ULL;
	refuse("p_memsz wrapping around", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_memsz = 1ULL << 40;
	refuse("a 1 TiB bss", echo_size, ENOMEM);
	pristine();
	phdr(1)->p_filesz = phdr(1)->p_memsz + 0x1000;
	refuse("p_filesz > p_memsz", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_offset = data_off + 0x100000;
	refuse("segment bytes past the end of the file", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_offset = 0xfffffffffffff000ULL;
	refuse("p_offset wrapping around", echo_size, ENOEXEC);
	pristine();
	phdr(1)->p_vaddr = data + 0x10;
	refuse("vaddr and offset not congruent", echo_size, ENOEXEC);
	pristine();
	phdr(0)->p_flags = ELF_PF_R | ELF_PF_W | ELF_PF_X;
	refuse("a writable and executable segment", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_entry = 0x100;
	refuse("the entry outside every segment", echo_size, ENOEXEC);
	pristine();
	ehdr()->e_entry = data;
	refuse("the entry in the data segment", echo_size, ENOEXEC);

	/* Not an ELF file at all. */
	uint32_t x = 12345;
	for (size_t i = 0; i < 4096; i++) {
		x = x * 1103515245 + 12345;
		img[i] = (char)(x >> 16);
	}
	refuse("4 KiB of garbage", 4096, ENOEXEC);
	strcpy(img, "#!/bin/sh\necho hi\n");
	refuse("a shell script", strlen(img), ENOEXEC);
	printf("exectest: bad ELF files refused\n");
}

/* Bad paths and arguments. */
static void bad_calls(void)
{
	char *argv[] = { "echo", "exectest: FAIL a bad execve ran", NULL };
	CHECK_ERR(execve("initfs:/bin/nosuch", argv, NULL), ENOENT);
	CHECK_ERR(execve("nosuch:/bin/echo", argv, NULL), ENOENT);
	CHECK_ERR(execve("initfs:/bin", argv, NULL), EACCES);
	CHECK_ERR(execve("", argv, NULL), ENOENT);
	CHECK_ERR(execve("null:", argv, NULL), ENOEXEC);
	CHECK_ERR(execve((char *)0xffffffff80000000UL, argv, NULL), EFAULT);
	CHECK_ERR(execve("initfs:/bin/echo", (char **)0xffffffff80000000UL,
			 NULL), EFAULT);
	char *bad_arg[] = { "echo", (char *)0x10, NULL };
	CHECK_ERR(execve("initfs:/bin/echo", bad_arg, NULL), EFAULT);
	CHECK_ERR(execve("initfs:/bin/echo", argv,
			 (char **)0x0000700000000000UL), EFAULT);
	/* More than 64 KiB of arguments, or 2000 of them. */
	static char big[4000];
	memset(big, 'b', sizeof(big) - 1);
	char *many_big[21];
	for (int i = 0; i < 20; i++)
		many_big[i] = big;
	many_big[20] = NULL;
	CHECK_ERR(execve("initfs:/bin/echo", many_big, NULL), E2BIG);
	static char *lots[2001];
	for (int i = 0; i < 2000; i++)
		lots[i] = "x";
	CHECK_ERR(execve("initfs:/bin/echo", lots, NULL), E2BIG);
	printf("exectest: bad paths and arguments refused\n");
}

int main(int argc, char **argv, char **envp)
{
	static char *ramfs_argv[] = { "ramfs", NULL };
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child(argc, argv, envp);
	if (argc > 1 && strcmp(argv[1], "noenv") == 0)
		return envp[0] == NULL ? 0 : 1;
	utest_begin("exectest");

	/* Memory and files that a failed execve must leave alone. */
	char *heap = malloc(10000);
	CHECK(heap);
	memset(heap, 0x3c, 10000);
	int keep = open("initfs:/bin/echo", O_RDONLY);
	CHECK(keep >= 0);

	round_trip();
	pid_t ramfs = scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs");
	CHECK(ramfs > 0 || errno == EEXIST);	/* EEXIST: init's, from sh */
	bad_programs();
	bad_calls();

	for (int i = 0; i < 10000; i++)
		CHECK_EQ(heap[i], 0x3c);
	char magic[4];
	CHECK_EQ(read(keep, magic, 4), 4);
	CHECK(memcmp(magic, ELF_MAGIC, 4) == 0);
	if (ramfs > 0) {
		CHECK_EQ(kill(ramfs, SIGKILL), 0);
		CHECK_EQ(waitpid(ramfs, NULL, 0), ramfs);
	}
	utest_ok();
}

/*
 * A small program for strace to show (grader/test_lab6_strace.py): a
 * write with a string, failing calls, a pipe2 with flags and an exit
 * status, so the trace has decoded names, arguments, flags, errors and an
 * exit line:
 *
 *	$ strace straceme
 */
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	write(STDOUT_FILENO, "hello from straceme\n", 20);
	open("initfs:/nosuch", O_RDONLY);	/* -1 ENOENT */
	close(42);				/* -1 EBADF */
	int p[2];
	pipe2(p, O_CLOEXEC);			/* flags shown by name */
	pipe2(p, O_CLOFORK | O_NONBLOCK);	/* -1 EINVAL, 0x800 in hex */
	getpid();
	return 3;
}

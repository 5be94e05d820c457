/*
 * A small program for strace to show (grader/test_lab6_strace.py): a
 * write with a string, two failing calls and an exit status, so the
 * trace has decoded names, arguments, errors and an exit line:
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
	getpid();
	return 3;
}

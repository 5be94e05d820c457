/* Where crt0 hands over: find argc/argv/envp, run main, exit. */
#include <stdlib.h>

int main(int argc, char **argv, char **envp);
void __libc_start(long *sp) __attribute__((noreturn));

char **environ;

void __libc_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	environ = argv + argc + 1;
	exit(main(argc, argv, environ));
}

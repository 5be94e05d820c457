/* Where crt0 hands over: find argc/argv/envp and the auxv, run main, exit. */
#include <stdlib.h>

int main(int argc, char **argv, char **envp);
void __libc_start(long *sp) __attribute__((noreturn));

/* A seam for labs that keep state from the auxv: lab 5's libc sets its
 * cwd here (AT_OCHRE_CWD), before main or anything else opens a file.
 * Weak: before lab 5 nothing defines it. */
void __libc_cwd_init(void) __attribute__((weak));

char **environ;
static unsigned long *auxv;	/* (key, value) pairs, AT_NULL last */

void __libc_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	environ = argv + argc + 1;
	char **e = environ;
	while (*e)
		e++;
	auxv = (unsigned long *)(e + 1);
	if (__libc_cwd_init)
		__libc_cwd_init();
	exit(main(argc, argv, environ));
}

unsigned long getauxval(unsigned long key)
{
	for (unsigned long *a = auxv; a && a[0] != 0; a += 2)
		if (a[0] == key)
			return a[1];
	return 0;
}

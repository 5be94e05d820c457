/* Where crt0 hands over: find argc/argv/envp and the auxv, run main, exit. */
#include <ochre_libc_init.h>
#include <stdlib.h>

int main(int argc, char **argv, char **envp);
void __libc_start(long *sp) __attribute__((noreturn));

/* The LIBC_INIT table (user.ld, bootstrap.ld): labs' start-up steps. */
extern const libc_init_fn __libc_init_start[], __libc_init_end[];

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
	for (const libc_init_fn *f = __libc_init_start; f < __libc_init_end; f++)
		(*f)();
	exit(main(argc, argv, environ));
}

unsigned long getauxval(unsigned long key)
{
	for (unsigned long *a = auxv; a && a[0] != 0; a += 2)
		if (a[0] == key)
			return a[1];
	return 0;
}

/*
 * Start-up steps that later labs add to libc. A lab's libc file says
 * LIBC_INIT(fn); crt0's __libc_start runs every registered fn, in link
 * order, after it has found the auxv and before main or anything else can
 * open a file (lab 5 sets the cwd from AT_OCHRE_CWD this way). A linker
 * section instead of a weak symbol: adding or retiring the file is the
 * whole change, and there is no "default" to fall back on silently.
 */
#ifndef OCHRE_LIBC_INIT_H
#define OCHRE_LIBC_INIT_H

typedef void (*libc_init_fn)(void);

#define LIBC_INIT(fn) \
	static const libc_init_fn libc_init_##fn \
	__attribute__((section(".libc_init"), used)) = fn

#endif

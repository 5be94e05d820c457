/*
 * Seams: the few "what happens next" decisions that a later lab takes over
 * from common code, with no symbol overriding another and no edit to
 * common/:
 *
 *   seam            declared in        provider (lab)           without one
 *   main_loop       kmain.c            bootstrap.c (2)          the monitor
 *   user_exception  idt.c              usertrap.c (2)           kernel panic
 *   user_return     idt.c              usertrap.c (2)           nothing
 *
 * The consumer declares a seam with SEAM(name, from_lab, pointer): from
 * lab from_lab on, a kernel must link exactly one provider, before it at
 * most one. A provider registers with SEAM_PROVIDER(name, function). At
 * boot, seam_init() checks every seam, panics naming it if a provider is
 * missing or doubled (a RETIRES that dropped one, or two labs claiming the
 * same decision), stores the provider in the pointer, and prints
 * "seam NAME: FILE" for each (the grader reads these lines).
 */
#ifndef OCHRE_SEAM_H
#define OCHRE_SEAM_H

#include "types.h"

struct seam {
	const char *name;
	int from_lab;		/* labs >= from_lab need exactly one provider */
	void **fn;		/* where the provider's function is stored */
};

struct seam_provider {
	const char *seam;
	void *fn;
	const char *file;
};

#define SEAM(id, from_lab, ptr)                                          \
	static const struct seam __seam_##id __used                      \
		__section(".seams") __aligned(8) = { #id, from_lab, (void **)&(ptr) }
#define SEAM_PROVIDER(id, function)                                      \
	static const struct seam_provider __seam_provider_##id __used    \
		__section(".seam_providers") __aligned(8) =              \
		{ #id, (void *)(function), __FILE__ }

void seam_init(void);

#endif

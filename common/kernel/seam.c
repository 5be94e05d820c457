/* Checks and connects the seams at boot (see seam.h). */
#include "kernel.h"
#include "cmdline.h"
#include "seam.h"

extern const struct seam __seams_start[], __seams_end[];
extern const struct seam_provider __seam_providers_start[],
	__seam_providers_end[];

static const struct seam *find_seam(const char *name)
{
	for (const struct seam *s = __seams_start; s < __seams_end; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

void seam_init(void)
{
	for (const struct seam_provider *p = __seam_providers_start;
	     p < __seam_providers_end; p++)
		if (!find_seam(p->seam))
			panic("seam '%s' (provided by %s) is declared nowhere",
			      p->seam, p->file);
	for (const struct seam *s = __seams_start; s < __seams_end; s++) {
		const struct seam_provider *found = NULL;
		for (const struct seam_provider *p = __seam_providers_start;
		     p < __seam_providers_end; p++) {
			if (strcmp(p->seam, s->name) != 0)
				continue;
			if (found)
				panic("seam '%s' has two providers: %s and %s",
				      s->name, found->file, p->file);
			found = p;
		}
		if (!found && OCHRE_LAB >= s->from_lab)
			panic("seam '%s' has no provider: lab %d needs exactly "
			      "one (from lab %d on); was its file retired "
			      "without a replacement?", s->name, OCHRE_LAB,
			      s->from_lab);
		if (found)
			*s->fn = found->fn;
		if (!cmdline_flag("quiet"))
			printk("seam %s: %s\n", s->name,
			       found ? found->file : "none (default)");
	}
}

/* Command-line parsing; see cmdline.h. */
#include "kernel.h"
#include "cmdline.h"
#include "boot.h"

#define MAX_ARGS	32

static char text[512];		/* the command line as given */
static char storage[512];	/* the same, cut into NUL-terminated words */
static struct {
	const char *key;
	const char *value;
} args[MAX_ARGS];
static int nargs;

extern const struct cmdline_option __cmdline_opts_start[], __cmdline_opts_end[];

CMDLINE_OPTION(quiet, "quiet", "print less at boot");

static bool known_option(const char *key)
{
	for (const struct cmdline_option *o = __cmdline_opts_start;
	     o < __cmdline_opts_end; o++)
		if (strcmp(o->name, key) == 0)
			return true;
	return false;
}

static void warn_unknown(const char *key)
{
	printk("WARNING: unknown command-line option '%s' (ignored); known:",
	       key);
	for (const struct cmdline_option *o = __cmdline_opts_start;
	     o < __cmdline_opts_end; o++)
		printk(" %s", o->name);
	printk("\n");
}

static void split(void)
{
	char *p = storage;
	strlcpy(storage, text, sizeof(storage));
	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		char *word = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		if (nargs == MAX_ARGS) {
			printk("WARNING: command line has more than %d words; "
			       "ignoring '%s' and the rest\n", MAX_ARGS, word);
			return;
		}
		char *eq = strchr(word, '=');
		if (eq)
			*eq = '\0';
		args[nargs].key = word;
		args[nargs].value = eq ? eq + 1 : "";
		nargs++;
	}
}

void cmdline_init(void)
{
	char fw[sizeof(text)];
	int n = fwcfg_read_file("opt/ochre/cmdline", fw, sizeof(fw) - 1);
	if (n >= 0) {
		fw[MIN((size_t)n, sizeof(fw) - 1)] = '\0';
		strlcpy(text, fw, sizeof(text));
	} else {
		strlcpy(text, boot_info.cmdline, sizeof(text));
	}
	split();
	for (int i = 0; i < nargs; i++)
		if (!known_option(args[i].key))
			warn_unknown(args[i].key);
}

const char *cmdline_text(void)
{
	return text;
}

const char *cmdline_get(const char *key)
{
	for (int i = 0; i < nargs; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].value;
	return NULL;
}

uint64_t cmdline_get_u64(const char *key, uint64_t dflt)
{
	const char *v = cmdline_get(key);
	if (!v || !*v)
		return dflt;
	char *end;
	uint64_t n = strtoul(v, &end, 0);
	if (*end) {
		printk("WARNING: option %s=%s is not a number; using %lu\n",
		       key, v, dflt);
		return dflt;
	}
	return n;
}

bool cmdline_flag(const char *key)
{
	return cmdline_get(key) != NULL;
}

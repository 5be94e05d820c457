/* The interactive kernel monitor on serial (lab 1's "shell"). Files add
 * commands with MONITOR_COMMAND. */
#ifndef OCHRE_MONITOR_H
#define OCHRE_MONITOR_H

#include "types.h"

struct monitor_cmd {
	const char *name;
	const char *help;
	void (*fn)(int argc, char **argv);
};

#define MONITOR_COMMAND(id, name, help, fn)                              \
	static const struct monitor_cmd __monitor_cmd_##id __used        \
		__section(".monitor_cmds") __aligned(8) = { name, help, fn }

void monitor(void) __noreturn;

#endif

/* rm file...: removes files (directories: rmdir). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status = 0;
	if (argc < 2) {
		dprintf(2, "usage: rm file...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (unlink(argv[i]) < 0) {
			dprintf(2, "rm: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		}
	return status;
}

/* echo [-n] [word...]: prints the words, separated by spaces. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int newline = 1, i = 1;
	if (i < argc && strcmp(argv[i], "-n") == 0) {
		newline = 0;
		i++;
	}
	/* One write, so that the line arrives whole even on a shared console. */
	size_t len = 0;
	for (int j = i; j < argc; j++)
		len += strlen(argv[j]) + 1;
	char *buf = malloc(len + 1);
	if (!buf)
		return 1;
	size_t at = 0;
	for (int j = i; j < argc; j++) {
		size_t n = strlen(argv[j]);
		memcpy(buf + at, argv[j], n);
		at += n;
		if (j + 1 < argc)
			buf[at++] = ' ';
	}
	if (newline)
		buf[at++] = '\n';
	return write_all(1, buf, at) < 0 ? 1 : 0;
}

/* wc [file...]: counts lines, words and bytes (of standard input if no
 * file is named), with a total line for several files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct counts {
	unsigned long lines, words, bytes;
};

static char buf[4096];

static int count(int fd, struct counts *c)
{
	int in_word = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		c->bytes += (unsigned long)n;
		for (ssize_t i = 0; i < n; i++) {
			char ch = buf[i];
			int space = ch == ' ' || ch == '\n' || ch == '\t' ||
				    ch == '\r' || ch == '\v' || ch == '\f';
			if (ch == '\n')
				c->lines++;
			if (!space && !in_word)
				c->words++;
			in_word = !space;
		}
	}
	return n < 0 ? -1 : 0;
}

static void show(const struct counts *c, const char *name)
{
	printf("%7lu %7lu %7lu%s%s\n", c->lines, c->words, c->bytes,
	       name ? " " : "", name ? name : "");
}

int main(int argc, char **argv)
{
	struct counts total = { 0 };
	int status = 0;
	if (argc < 2) {
		if (count(0, &total) < 0) {
			dprintf(2, "wc: stdin: %s\n", strerror(errno));
			return 1;
		}
		show(&total, NULL);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		struct counts c = { 0 };
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0 || count(fd, &c) < 0) {
			dprintf(2, "wc: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		} else {
			show(&c, argv[i]);
			total.lines += c.lines;
			total.words += c.words;
			total.bytes += c.bytes;
		}
		if (fd >= 0)
			close(fd);
	}
	if (argc > 2)
		show(&total, "total");
	return status;
}

/*
 * readline(): one line of input. The console (debug:) gives us raw bytes
 * as they are typed and does not echo, so on the console we echo and edit
 * the line ourselves; anything else (a pipe, a file) is read through a
 * small buffer.
 */
#include <errno.h>
#include <unistd.h>

#define CTRL(c)	((c) & 0x1f)

static void echo(int fd, const char *s, size_t n)
{
	int e = errno;
	write(fd, s, n);	/* best effort: a read-only console stays silent */
	errno = e;
}

static int after_cr;	/* a '\n' right after '\r' ends no second line */

static ssize_t console_line(int fd, char *buf, size_t n)
{
	size_t len = 0;
	int esc = 0;		/* inside an escape sequence (arrow keys) */
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (after_cr) {
			after_cr = 0;
			if (c == '\n')
				continue;
		}
		if (esc) {	/* ESC [ digits/; final, or ESC O final */
			if (esc == 1 && (c == '[' || c == 'O'))
				esc = 2;
			else if (!(esc == 2 && ((c >= '0' && c <= '9') || c == ';')))
				esc = 0;
			continue;
		}
		switch (c) {
		case '\r':
			after_cr = 1;
			/* fall through */
		case '\n':
			echo(fd, "\n", 1);
			buf[len++] = '\n';
			buf[len] = '\0';
			return (ssize_t)len;
		case 0x7f:
		case '\b':
			if (len > 0) {
				len--;
				echo(fd, "\b \b", 3);
			}
			break;
		case CTRL('U'):
			for (; len > 0; len--)
				echo(fd, "\b \b", 3);
			break;
		case CTRL('C'):		/* drop the line */
			echo(fd, "^C\n", 3);
			buf[0] = '\n';
			buf[1] = '\0';
			return 1;
		case CTRL('D'):		/* end of input, on an empty line */
			if (len == 0) {
				buf[0] = '\0';
				return 0;
			}
			break;
		case 0x1b:
			esc = 1;
			break;
		default:
			if (c == '\t')
				c = ' ';
			if ((unsigned char)c >= ' ' && len + 2 < n) {
				buf[len++] = c;
				echo(fd, &c, 1);
			}
			break;
		}
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* One buffer: a program reads lines from one fd at a time. Bytes after
 * the line stay in it, so a child process would not see them. */
static struct {
	int fd;
	size_t pos, len;
	char buf[512];
} in = { .fd = -1 };

static ssize_t buffered_line(int fd, char *buf, size_t n)
{
	if (in.fd != fd) {
		in.fd = fd;
		in.pos = in.len = 0;
	}
	size_t got = 0;
	while (got + 1 < n) {
		if (in.pos == in.len) {
			ssize_t r = read(fd, in.buf, sizeof(in.buf));
			if (r < 0 && got == 0)
				return -1;
			if (r <= 0)
				break;
			in.pos = 0;
			in.len = (size_t)r;
		}
		char c = in.buf[in.pos++];
		buf[got++] = c;
		if (c == '\n')
			break;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

ssize_t readline(int fd, char *buf, size_t n)
{
	if (n < 2) {
		errno = EINVAL;
		return -1;
	}
	return isatty(fd) ? console_line(fd, buf, n) : buffered_line(fd, buf, n);
}

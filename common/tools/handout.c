/*
 * handout — turn one file of the instructor's tree into the student's file.
 *
 * Usage: handout [--keep-solved N] [--stats] SRC DST
 *        (SRC or DST may be "-" for stdin / stdout)
 *
 * The instructor's tree holds the full solution. Student work is marked with
 * whole-line comments (shown here with "n" standing for the lab number):
 *
 *	BEGIN LABn SOLUTION: <note>    opens a solution region (note optional)
 *	END LABn SOLUTION              closes it
 *	STARTER: <code>                starter code, only directly after END
 *
 * each written inside a comment of the file's style: C block comments,
 * "//" comments, ";" (NASM) or "#" (GNU as). The marker must be the only
 * thing on its line.
 *
 * For a lab that is stripped, the region (markers included) becomes a single
 * comment "LABn: your code here — HANDOUT.md <note>" with the indentation and
 * comment style of the BEGIN line, and the STARTER lines after END lose their
 * comment so the starter code compiles.
 *
 * For a lab that stays solved (--keep-solved N keeps labs below N), the
 * BEGIN/END lines are dropped, the solution is kept as it is and the STARTER
 * lines stay comments.
 *
 * A file without markers is copied byte for byte. Marker mistakes (nesting,
 * END of another lab, a region never closed, a STARTER line in the wrong
 * place, a malformed marker) are reported as FILE:LINE: error: ... and exit
 * with status 2; nothing is written then, so a bad marker can never leak a
 * half-stripped file into a handout.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit status for marker errors and usage errors (1 is for I/O trouble). */
#define EXIT_BAD_INPUT 2

/* Lab numbers are small; the limit only guards the parser against overflow. */
#define MAX_LAB 999

/* ---- growable byte buffer ------------------------------------------------ */

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

static void buf_add(struct buf *b, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *data = realloc(b->data, cap);
		if (!data) {
			fprintf(stderr, "handout: out of memory\n");
			exit(1);
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* ---- error reporting ----------------------------------------------------- */

/* Name of the input for messages: the path, or "<stdin>". */
static const char *src_name;

static void die_at(size_t lineno, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%zu: error: ", src_name, lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_BAD_INPUT);
}

/* ---- small string helpers over (pointer, length) pairs -------------------- */

/*
 * Lines are handled as byte ranges, never as C strings: a source file may
 * contain anything, and copying it unchanged must not depend on NUL bytes.
 */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*s)[*n - 1]))
		(*n)--;
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Does s start with prefix followed by a digit? */
static bool starts_with_lab(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return starts_with(s, n, prefix) && n > k && s[k] >= '0' && s[k] <= '9';
}

/* Is "BEGIN LAB<digits> SOLUTION" or "END LAB<digits> SOLUTION" anywhere in
 * the line? Used to refuse markers that share their line with code, which
 * would otherwise pass through unnoticed and leak the solution. */
static bool mentions_marker(const char *s, size_t n)
{
	static const char *const keys[] = { "BEGIN LAB", "END LAB" };

	for (size_t k = 0; k < 2; k++) {
		size_t klen = strlen(keys[k]);
		for (size_t i = 0; i + klen <= n; i++) {
			if (memcmp(s + i, keys[k], klen) != 0)
				continue;
			size_t j = i + klen;
			size_t digits = 0;
			while (j < n && s[j] >= '0' && s[j] <= '9') {
				j++;
				digits++;
			}
			if (digits > 0 && starts_with(s + j, n - j, " SOLUTION"))
				return true;
		}
	}
	return false;
}

/* ---- recognising marker lines -------------------------------------------- */

/* A comment style: how a whole-line comment opens and (maybe) closes. */
struct style {
	const char *open;
	const char *close; /* "" when the comment runs to the end of the line */
};

/* The first style whose opener starts the line wins. Block and line
 * comments cover C, ";" covers NASM and "#" covers GNU as. */
static const struct style styles[] = {
	{ "/*", "*/" },
	{ "//", "" },
	{ ";", "" },
	{ "#", "" },
};

enum kind {
	LINE_TEXT,    /* anything that is not a marker: copied or dropped */
	LINE_BEGIN,
	LINE_END,
	LINE_STARTER,
};

struct marker {
	enum kind kind;
	int lab;                   /* BEGIN, END */
	size_t indent;             /* bytes of leading blanks */
	const struct style *style; /* comment style of the marker */
	const char *text;          /* BEGIN: note after "SOLUTION:"; STARTER: code */
	size_t text_len;
};

/* Parse "LAB<digits> SOLUTION" at *s, advancing past it. */
static bool parse_lab(const char **s, size_t *n, int *lab)
{
	if (!starts_with(*s, *n, "LAB"))
		return false;
	*s += 3;
	*n -= 3;

	int value = 0;
	size_t digits = 0;
	while (*n > 0 && **s >= '0' && **s <= '9') {
		value = value * 10 + (**s - '0');
		if (value > MAX_LAB)
			return false;
		(*s)++;
		(*n)--;
		digits++;
	}
	if (digits == 0 || value == 0 || !starts_with(*s, *n, " SOLUTION"))
		return false;
	*s += strlen(" SOLUTION");
	*n -= strlen(" SOLUTION");
	*lab = value;
	return true;
}

/*
 * Classify one line (without its line ending). Lines that are whole-line
 * comments starting with BEGIN, END or STARTER: are markers and must be
 * well formed; everything else is text.
 */
static struct marker classify(const char *line, size_t len, size_t lineno)
{
	struct marker m = { .kind = LINE_TEXT };
	size_t indent = 0;

	while (indent < len && is_blank(line[indent]))
		indent++;

	const char *body = NULL;
	size_t body_len = 0;
	const struct style *style = NULL;
	bool closed = true;

	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		const char *s = line + indent;
		size_t n = len - indent;
		if (!starts_with(s, n, styles[i].open))
			continue;
		style = &styles[i];
		body = s + strlen(style->open);
		body_len = n - strlen(style->open);
		trim(&body, &body_len);
		if (style->close[0] != '\0') {
			if (ends_with(body, body_len, style->close)) {
				body_len -= strlen(style->close);
				trim(&body, &body_len);
			} else {
				closed = false;
			}
		}
		break;
	}

	/* A comment is a marker when it starts with STARTER: or with
	 * BEGIN/END LAB and a digit; an ordinary comment that happens to start
	 * with "BEGIN" or "END" stays text. Anything after that must then be
	 * well formed, so a typo in a marker is an error, not a leak. */
	bool looks_like_marker = style &&
		(starts_with(body, body_len, "STARTER:") ||
		 starts_with_lab(body, body_len, "BEGIN LAB") ||
		 starts_with_lab(body, body_len, "END LAB"));

	if (!looks_like_marker) {
		if (mentions_marker(line, len))
			die_at(lineno, "a solution marker must be alone on its line, "
			       "inside a comment");
		return m;
	}
	if (!closed)
		die_at(lineno, "marker comment must open and close on one line");

	m.indent = indent;
	m.style = style;

	if (starts_with(body, body_len, "STARTER:")) {
		m.kind = LINE_STARTER;
		m.text = body + strlen("STARTER:");
		m.text_len = body_len - strlen("STARTER:");
		trim(&m.text, &m.text_len);
		return m;
	}

	bool begin = starts_with(body, body_len, "BEGIN ");
	const char *s = body + (begin ? strlen("BEGIN ") : strlen("END "));
	size_t n = body_len - (begin ? strlen("BEGIN ") : strlen("END "));

	if (!parse_lab(&s, &n, &m.lab))
		die_at(lineno, "malformed marker: expected \"%s LABn SOLUTION\" with n from 1 to %d",
		       begin ? "BEGIN" : "END", MAX_LAB);

	if (begin) {
		m.kind = LINE_BEGIN;
		if (n > 0 && s[0] == ':') {
			s++;
			n--;
		} else if (n > 0) {
			die_at(lineno, "malformed marker: expected ':' or the end of the comment "
			       "after \"BEGIN LAB%d SOLUTION\"", m.lab);
		}
		trim(&s, &n);
		m.text = s;
		m.text_len = n;
	} else {
		m.kind = LINE_END;
		if (n > 0)
			die_at(lineno, "malformed marker: nothing may follow \"END LAB%d SOLUTION\"",
			       m.lab);
	}
	return m;
}

/* ---- the transformation --------------------------------------------------- */

struct stats {
	int stripped[MAX_LAB + 1];
	int kept[MAX_LAB + 1];
};

/* Append "<indent><open> LABn: your code here — HANDOUT.md <note> <close><eol>". */
static void emit_placeholder(struct buf *out, const char *line, const struct marker *m,
			     const char *eol, size_t eol_len)
{
	char head[64];

	buf_add(out, line, m->indent);
	buf_adds(out, m->style->open);
	snprintf(head, sizeof(head), " LAB%d: your code here \xe2\x80\x94 HANDOUT.md", m->lab);
	buf_adds(out, head);
	if (m->text_len > 0) {
		buf_adds(out, " ");
		buf_add(out, m->text, m->text_len);
	}
	if (m->style->close[0] != '\0') {
		buf_adds(out, " ");
		buf_adds(out, m->style->close);
	}
	buf_add(out, eol, eol_len);
}

static void transform(const char *in, size_t in_len, int keep_solved,
		      struct buf *out, struct stats *st)
{
	bool in_region = false;     /* between BEGIN and END */
	bool region_stripped = false;
	int region_lab = 0;
	size_t region_line = 0;
	bool after_end = false;     /* previous line was END or a STARTER after END */
	bool starters_stripped = false;

	size_t pos = 0;
	size_t lineno = 0;

	while (pos < in_len) {
		lineno++;
		const char *line = in + pos;
		const char *nl = memchr(line, '\n', in_len - pos);
		size_t full = nl ? (size_t)(nl - line) + 1 : in_len - pos;
		pos += full;

		/* Split off the line ending so markers parse the same with
		 * "\n" and "\r\n"; generated lines reuse the marker's ending. */
		size_t len = full;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		const char *eol = line + len;
		size_t eol_len = full - len;

		struct marker m = classify(line, len, lineno);

		if (in_region) {
			switch (m.kind) {
			case LINE_BEGIN:
				die_at(lineno, "BEGIN LAB%d SOLUTION inside the LAB%d region opened "
				       "at line %zu (regions do not nest)", m.lab, region_lab,
				       region_line);
				break;
			case LINE_END:
				if (m.lab != region_lab)
					die_at(lineno, "END LAB%d SOLUTION closes the LAB%d region "
					       "opened at line %zu", m.lab, region_lab, region_line);
				in_region = false;
				after_end = true;
				starters_stripped = region_stripped;
				break;
			case LINE_STARTER:
				die_at(lineno, "STARTER line inside the LAB%d solution region opened "
				       "at line %zu (it belongs right after END)", region_lab,
				       region_line);
				break;
			case LINE_TEXT:
				if (!region_stripped)
					buf_add(out, line, full);
				break;
			}
			continue;
		}

		switch (m.kind) {
		case LINE_BEGIN:
			in_region = true;
			region_lab = m.lab;
			region_line = lineno;
			region_stripped = m.lab >= keep_solved;
			if (region_stripped) {
				emit_placeholder(out, line, &m, eol, eol_len);
				st->stripped[m.lab]++;
			} else {
				st->kept[m.lab]++;
			}
			after_end = false;
			break;
		case LINE_END:
			die_at(lineno, "END LAB%d SOLUTION without a matching BEGIN", m.lab);
			break;
		case LINE_STARTER:
			if (!after_end)
				die_at(lineno, "STARTER line must directly follow an END marker "
				       "(or another STARTER line)");
			if (starters_stripped) {
				/* Uncomment: keep the indentation, drop the comment. */
				if (m.text_len > 0) {
					buf_add(out, line, m.indent);
					buf_add(out, m.text, m.text_len);
				}
				buf_add(out, eol, eol_len);
			} else {
				buf_add(out, line, full);
			}
			break;
		case LINE_TEXT:
			buf_add(out, line, full);
			after_end = false;
			break;
		}
	}

	if (in_region)
		die_at(region_line, "LAB%d solution region opened here is never closed "
		       "(missing END LAB%d SOLUTION)", region_lab, region_lab);
}

/* ---- files and command line ---------------------------------------------- */

static void read_all(const char *path, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f) {
		fprintf(stderr, "handout: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	if (ferror(f)) {
		fprintf(stderr, "handout: cannot read %s\n", path);
		exit(1);
	}
	if (f != stdin)
		fclose(f);
}

static void write_all(const char *path, const struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "handout: cannot create %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((b->len > 0 && fwrite(b->data, 1, b->len, f) != b->len) ||
	    fflush(f) != 0 || (f != stdout && fclose(f) != 0)) {
		fprintf(stderr, "handout: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: handout [--keep-solved N] [--stats] SRC DST\n"
		"  Strips the solution regions of labs >= N (all labs by default)\n"
		"  from SRC and writes the result to DST (\"-\" = stdin/stdout).\n"
		"  --stats prints \"LABn stripped=S kept=K\" per lab to stderr.\n");
	exit(EXIT_BAD_INPUT);
}

int main(int argc, char **argv)
{
	int keep_solved = 1; /* labs below 1: none, so everything is stripped */
	bool want_stats = false;
	const char *paths[2];
	int npaths = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--keep-solved") == 0) {
			if (i + 1 >= argc)
				usage();
			char *end;
			errno = 0;
			long n = strtol(argv[++i], &end, 10);
			if (errno || *end != '\0' || end == argv[i] || n < 1 || n > MAX_LAB + 1)
				usage();
			keep_solved = (int)n;
		} else if (strcmp(argv[i], "--stats") == 0) {
			want_stats = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			usage();
		} else if (npaths < 2) {
			paths[npaths++] = argv[i];
		} else {
			usage();
		}
	}
	if (npaths != 2)
		usage();

	src_name = strcmp(paths[0], "-") == 0 ? "<stdin>" : paths[0];

	struct buf in = { 0 };
	struct buf out = { 0 };
	static struct stats st; /* large: keep it off the stack */

	read_all(paths[0], &in);
	transform(in.data, in.len, keep_solved, &out, &st);
	write_all(paths[1], &out);

	if (want_stats) {
		for (int lab = 1; lab <= MAX_LAB; lab++) {
			if (st.stripped[lab] || st.kept[lab])
				fprintf(stderr, "LAB%d stripped=%d kept=%d\n", lab,
					st.stripped[lab], st.kept[lab]);
		}
	}
	free(in.data);
	free(out.data);
	return 0;
}

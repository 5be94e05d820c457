/*
 * mkinitfs: packs a directory into an initfs image (<ochre/initfs.h>), or
 * checks and lists an image.
 *
 *   mkinitfs [-o OUT] [--max-size BYTES] [--mtime SECS] [--no-crc] SRCDIR
 *   mkinitfs --check IMAGE
 *
 * Packing:
 *   - walks SRCDIR with lstat(), names sorted bytewise; regular files,
 *     directories and symlinks go in (a symlink's target is stored as it
 *     is, never followed); anything else, a name over 255 bytes, more than
 *     65535 inodes, a target of 4096 bytes or more, or an image over
 *     --max-size (default 64 MiB; suffixes K, M, G) is an error;
 *   - numbers inodes breadth-first from the root (inode 0), as the format
 *     requires, lays the image out, builds it in memory, and writes it to
 *     OUT.tmp, which is fsync'ed and renamed to OUT (default initfs.img);
 *   - is byte-reproducible: sorted order, no uid/gid, no host timestamps
 *     (mtime is 0, or SECS for every inode with --mtime), zero padding;
 *   - --no-crc sets INITFS_F_NO_CRC and leaves crc32 0, so readers skip
 *     the checksum (for hand-edited test images; not for real use).
 * Every error prints "mkinitfs: <path>: <reason>", exits 1, and leaves no
 * output file behind.
 *
 * --check validates IMAGE with common/lib/initfs.c (the same code the
 * kernel and the initfs daemon use), including the CRC, and lists the tree
 * depth-first, one line per inode: type and mode, size, path, and for a
 * symlink " -> target". A bad image gives "bad image: <code> ..." and exit 1.
 *
 * Build (host; links the host libc's string functions, not common/lib's):
 *   cc -O2 -Wall -Wextra -Werror -I common/include \
 *      -o build/tools/mkinitfs common/tools/mkinitfs.c common/lib/initfs.c
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/initfs.h"

#define DEFAULT_MAX_SIZE (64ULL << 20)

/* One inode to be; nodes[] is in breadth-first order = inode numbers. */
struct node {
	char *path;		/* host path, for reading and for messages */
	const char *name;	/* last component of path (root: "") */
	uint16_t type;
	uint16_t mode;
	uint64_t size;		/* file: bytes; symlink: target length;
				   directory: entries * 16 */
	char *target;		/* symlink target */
	uint32_t first_child;	/* directory: its entries are nodes */
	uint32_t nchildren;	/*   [first_child, first_child + nchildren) */
	uint64_t off;		/* layout: inode's off field */
	uint64_t name_off;	/* layout: its name in the strtab */
};

static struct node *nodes;
static uint32_t nnodes;
static size_t nodes_cap;

static void fail(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail(const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mkinitfs: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fail("mkinitfs", "out of memory");
	return p;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = xmalloc(a + b + 2);
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

/* ---- walking the source tree ------------------------------------------- */

static const char *kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "of an unknown file type";
}

static struct node *add_node(char *path, const char *name)
{
	if (nnodes == INITFS_MAX_INODES)
		fail(path, "too many files (an initfs holds at most %d inodes)",
		     INITFS_MAX_INODES);
	if (nnodes == nodes_cap) {
		nodes_cap = nodes_cap ? 2 * nodes_cap : 64;
		nodes = realloc(nodes, nodes_cap * sizeof(*nodes));
		if (!nodes)
			fail(path, "out of memory");
	}
	struct node *n = &nodes[nnodes++];
	memset(n, 0, sizeof(*n));
	n->path = path;
	n->name = name;
	return n;
}

/* Fills in type, mode, size and target of n from lstat (stat for the root,
   so that SRCDIR may be a symlink to a directory). */
static void describe(struct node *n, bool follow)
{
	struct stat st;
	int r = follow ? stat(n->path, &st) : lstat(n->path, &st);
	if (r != 0)
		fail(n->path, "%s", strerror(errno));
	n->mode = st.st_mode & 07777;
	if (S_ISDIR(st.st_mode)) {
		n->type = INITFS_DIR;
	} else if (S_ISREG(st.st_mode)) {
		n->type = INITFS_FILE;
		n->size = (uint64_t)st.st_size;
	} else if (S_ISLNK(st.st_mode)) {
		n->type = INITFS_SYMLINK;
		n->target = xmalloc(INITFS_PATH_MAX + 1);
		ssize_t len = readlink(n->path, n->target, INITFS_PATH_MAX + 1);
		if (len < 0)
			fail(n->path, "readlink: %s", strerror(errno));
		if (len >= INITFS_PATH_MAX)
			fail(n->path, "symlink target is %d bytes or longer", INITFS_PATH_MAX);
		if (len == 0)
			fail(n->path, "symlink target is empty");
		n->target[len] = '\0';
		n->size = (uint64_t)len;
	} else {
		fail(n->path, "is %s (only regular files, directories and symlinks "
		     "can go into an initfs)", kind_of(st.st_mode));
	}
	if (follow && n->type != INITFS_DIR)
		fail(n->path, "not a directory");
}

static int by_name(const void *a, const void *b)
{
	/* strcmp compares bytes as unsigned char: the format's order. */
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory `path`, without "." and "..", sorted. */
static char **list_dir(const char *path, size_t *count)
{
	DIR *d = opendir(path);
	if (!d)
		fail(path, "%s", strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				fail(path, "out of memory");
		}
		names[n] = strdup(e->d_name);
		if (!names[n++])
			fail(path, "out of memory");
	}
	if (errno)
		fail(path, "readdir: %s", strerror(errno));
	closedir(d);
	if (n > 1)	/* names is NULL for an empty directory */
		qsort(names, n, sizeof(*names), by_name);
	*count = n;
	return names;
}

/*
 * Breadth-first: the entries of nodes[i] are appended when the walk gets
 * to i, so the array order is exactly the numbering the format requires.
 */
static void walk(const char *srcdir)
{
	char *root = xmalloc(strlen(srcdir) + 1);
	strcpy(root, srcdir);
	describe(add_node(root, ""), true);

	for (uint32_t i = 0; i < nnodes; i++) {
		if (nodes[i].type != INITFS_DIR)
			continue;
		size_t count;
		char **names = list_dir(nodes[i].path, &count);
		uint32_t first = nnodes;
		for (size_t k = 0; k < count; k++) {
			char *path = join(nodes[i].path, names[k]);
			size_t len = strlen(names[k]);
			if (len > INITFS_NAME_MAX)
				fail(path, "name is longer than %d bytes", INITFS_NAME_MAX);
			describe(add_node(path, path + strlen(path) - len), false);
			free(names[k]);
		}
		free(names);
		/* add_node may have moved the array: index, don't keep pointers. */
		nodes[i].first_child = first;
		nodes[i].nchildren = (uint32_t)count;
		nodes[i].size = (uint64_t)count * INITFS_DIRENT_SIZE;
	}
}

/* ---- layout and writing ------------------------------------------------- */

static uint64_t max_size = DEFAULT_MAX_SIZE;

/* Advances *off by n bytes, refusing to pass max_size (and so to wrap). */
static void grow(uint64_t *off, uint64_t n, const char *path)
{
	if (*off > max_size || n > max_size - *off)
		fail(path, "the image would be larger than --max-size (%" PRIu64 " bytes)",
		     max_size);
	*off += n;
}

static void align(uint64_t *off, uint64_t a, const char *path)
{
	grow(off, (a - *off % a) % a, path);
}

struct layout {
	uint64_t inode_off, strtab_off, strtab_size, image_size;
};

/*
 * header | inodes | dirent arrays (in inode order) | strtab: names in
 * entry order, then symlink targets | padding | file data, page-aligned.
 * Entries in inode order of their directories are nodes 1, 2, 3 ... in
 * order (breadth-first), which makes the name loop simple.
 */
static struct layout lay_out(const char *srcdir)
{
	struct layout l;
	uint64_t off = INITFS_HEADER_SIZE;

	l.inode_off = off;
	grow(&off, (uint64_t)nnodes * INITFS_INODE_SIZE, srcdir);
	for (uint32_t i = 0; i < nnodes; i++) {
		if (nodes[i].type != INITFS_DIR || nodes[i].size == 0)
			continue;
		align(&off, 8, nodes[i].path);
		nodes[i].off = off;
		grow(&off, nodes[i].size, nodes[i].path);
	}
	l.strtab_off = off;
	for (uint32_t i = 1; i < nnodes; i++) {
		nodes[i].name_off = off;
		grow(&off, strlen(nodes[i].name), nodes[i].path);
	}
	for (uint32_t i = 0; i < nnodes; i++) {
		if (nodes[i].type != INITFS_SYMLINK)
			continue;
		nodes[i].off = off;
		grow(&off, nodes[i].size, nodes[i].path);
	}
	l.strtab_size = off - l.strtab_off;
	for (uint32_t i = 0; i < nnodes; i++) {
		if (nodes[i].type != INITFS_FILE || nodes[i].size == 0)
			continue;
		align(&off, INITFS_PAGE, nodes[i].path);
		nodes[i].off = off;
		grow(&off, nodes[i].size, nodes[i].path);
	}
	l.image_size = off;
	return l;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Copies exactly n->size bytes of the file into dst. */
static void read_file(const struct node *n, uint8_t *dst)
{
	int fd = open(n->path, O_RDONLY);
	if (fd < 0)
		fail(n->path, "%s", strerror(errno));
	uint64_t got = 0;
	for (;;) {
		/* Ask for one byte more than expected to notice growth. */
		uint8_t extra;
		uint8_t *to = got < n->size ? dst + got : &extra;
		size_t want = got < n->size ? (size_t)(n->size - got) : 1;
		ssize_t r = read(fd, to, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(n->path, "read: %s", strerror(errno));
		if (r == 0)
			break;
		if (got == n->size)
			fail(n->path, "file grew while mkinitfs was reading it");
		got += (uint64_t)r;
	}
	close(fd);
	if (got != n->size)
		fail(n->path, "file shrank while mkinitfs was reading it");
}

static uint8_t *build(const struct layout *l, uint64_t mtime, bool no_crc)
{
	uint8_t *img = calloc(1, l->image_size);
	if (!img)
		fail("mkinitfs", "out of memory for a %" PRIu64 "-byte image", l->image_size);

	memcpy(img, INITFS_MAGIC, INITFS_MAGIC_LEN);
	put16(img + offsetof(struct initfs_header, version), INITFS_VERSION);
	put16(img + offsetof(struct initfs_header, header_size), INITFS_HEADER_SIZE);
	put32(img + offsetof(struct initfs_header, flags), no_crc ? INITFS_F_NO_CRC : 0);
	put64(img + offsetof(struct initfs_header, image_size), l->image_size);
	put32(img + offsetof(struct initfs_header, inode_count), nnodes);
	put32(img + offsetof(struct initfs_header, inode_size), INITFS_INODE_SIZE);
	put64(img + offsetof(struct initfs_header, inode_off), l->inode_off);
	put64(img + offsetof(struct initfs_header, strtab_off), l->strtab_off);
	put64(img + offsetof(struct initfs_header, strtab_size), l->strtab_size);

	for (uint32_t i = 0; i < nnodes; i++) {
		const struct node *n = &nodes[i];
		uint8_t *p = img + l->inode_off + (uint64_t)i * INITFS_INODE_SIZE;
		put16(p + offsetof(struct initfs_inode, type), n->type);
		put16(p + offsetof(struct initfs_inode, mode), n->mode);
		put64(p + offsetof(struct initfs_inode, off), n->off);
		put64(p + offsetof(struct initfs_inode, size), n->size);
		put64(p + offsetof(struct initfs_inode, mtime), mtime);

		if (i > 0)
			memcpy(img + n->name_off, n->name, strlen(n->name));
		if (n->type == INITFS_SYMLINK)
			memcpy(img + n->off, n->target, n->size);
		if (n->type == INITFS_FILE && n->size > 0)
			read_file(n, img + n->off);
		for (uint32_t k = 0; n->type == INITFS_DIR && k < n->nchildren; k++) {
			const struct node *c = &nodes[n->first_child + k];
			uint8_t *d = img + n->off + (uint64_t)k * INITFS_DIRENT_SIZE;
			put32(d + offsetof(struct initfs_dirent, inode), n->first_child + k);
			put16(d + offsetof(struct initfs_dirent, name_len),
			      (uint16_t)strlen(c->name));
			d[offsetof(struct initfs_dirent, type)] = (uint8_t)c->type;
			put64(d + offsetof(struct initfs_dirent, name_off), c->name_off);
		}
	}
	if (!no_crc)
		put32(img + INITFS_CRC_OFFSET, initfs_image_crc(img, l->image_size));
	return img;
}

static const char *tmp_path;

static void write_fail(const char *what)
{
	int e = errno;
	unlink(tmp_path);
	fail(tmp_path, "%s: %s", what, strerror(e));
}

/* OUT.tmp, fsync, rename: OUT is either the old file or the whole new one. */
static void write_image(const char *out, const uint8_t *img, uint64_t size)
{
	char *tmp = xmalloc(strlen(out) + 5);
	sprintf(tmp, "%s.tmp", out);
	tmp_path = tmp;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail(tmp, "%s", strerror(errno));
	for (uint64_t done = 0; done < size;) {
		ssize_t w = write(fd, img + done, size - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			write_fail("write");
		done += (uint64_t)w;
	}
	if (fsync(fd) != 0)
		write_fail("fsync");
	if (close(fd) != 0)
		write_fail("close");
	if (rename(tmp, out) != 0)
		write_fail("rename");
	free(tmp);
}

/* ---- --check -------------------------------------------------------------- */

static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail(path, "%s", strerror(errno));
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				fail(path, "out of memory");
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		fail(path, "read error");
	fclose(f);
	*len = n;
	return buf;
}

static void print_inode(const struct initfs *fs, uint32_t ino, const char *path,
			size_t path_len)
{
	static const char type_char[] = { '?', 'd', '-', 'l' };
	struct initfs_stat st;
	if (initfs_stat(fs, ino, &st) != 0)
		fail("--check", "inode %" PRIu32 ": cannot stat", ino);
	printf("%c%04o %10" PRIu64 " ", type_char[st.type & 3], st.mode, st.size);
	fwrite(path_len ? path : "/", 1, path_len ? path_len : 1, stdout);
	if (st.type == INITFS_SYMLINK) {
		const char *t;
		uint32_t tlen;
		if (initfs_readlink(fs, ino, &t, &tlen) != 0)
			fail("--check", "inode %" PRIu32 ": cannot read link", ino);
		fputs(" -> ", stdout);
		fwrite(t, 1, tlen, stdout);
	}
	putchar('\n');
}

/* Depth-first listing with an explicit stack (the depth is unbounded). */
static void list_tree(const struct initfs *fs)
{
	struct frame { uint32_t dir, index; size_t path_len; };
	struct frame *stack = xmalloc(sizeof(*stack) * 16);
	size_t depth = 0, cap = 16, path_cap = 256;
	char *path = xmalloc(path_cap);

	print_inode(fs, INITFS_ROOT, path, 0);
	stack[depth++] = (struct frame){ INITFS_ROOT, 0, 0 };
	while (depth > 0) {
		struct frame *top = &stack[depth - 1];
		struct initfs_entry e;
		int r = initfs_readdir(fs, top->dir, top->index++, &e);
		if (r < 0)
			fail("--check", "readdir of inode %" PRIu32 ": error %d", top->dir, r);
		if (r == 1) {
			depth--;
			continue;
		}
		size_t len = top->path_len + 1 + e.name_len;
		if (len > path_cap) {
			path_cap = 2 * len;
			path = realloc(path, path_cap);
			if (!path)
				fail("--check", "out of memory");
		}
		path[top->path_len] = '/';
		memcpy(path + top->path_len + 1, e.name, e.name_len);
		print_inode(fs, e.inode, path, len);
		if (e.type == INITFS_DIR) {
			if (depth == cap) {
				cap *= 2;
				stack = realloc(stack, cap * sizeof(*stack));
				if (!stack)
					fail("--check", "out of memory");
			}
			stack[depth++] = (struct frame){ e.inode, 0, len };
		}
	}
	free(stack);
	free(path);
}

static int check(const char *image)
{
	size_t len;
	uint8_t *img = read_whole(image, &len);
	struct initfs fs;
	struct initfs_diag diag;

	if (initfs_validate(img, len, 0, &fs, &diag) != 0) {
		fprintf(stderr, "mkinitfs: %s: bad image: %s at offset 0x%" PRIx64,
			image, initfs_error_name(diag.code), diag.offset);
		if (diag.inode != INITFS_NO_INODE)
			fprintf(stderr, " (inode %" PRIu32 ")", diag.inode);
		fprintf(stderr, ": %s\n", diag.reason);
		free(img);
		return 1;
	}
	uint32_t crc;
	memcpy(&crc, img + INITFS_CRC_OFFSET, sizeof(crc));
	printf("# initfs v%d: %" PRIu32 " inodes, %" PRIu64 " bytes, crc32 0x%08" PRIx32 "\n",
	       INITFS_VERSION, fs.inode_count, fs.size, crc);
	list_tree(&fs);
	free(img);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- command line ------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: mkinitfs [-o OUT] [--max-size BYTES] [--mtime SECS] [--no-crc] SRCDIR\n"
		"       mkinitfs --check IMAGE\n");
	exit(2);
}

/* A decimal/hex/octal number with an optional K, M or G (binary) suffix. */
static uint64_t number(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M')
		shift = 20, end++;
	else if (*end == 'G')
		shift = 30, end++;
	if (errno || end == s || *end || s[0] == '-' || (v << shift >> shift) != v)
		fail(opt, "not a number: '%s'", s);
	return (uint64_t)v << shift;
}

/* "--opt VALUE" or "--opt=VALUE"; NULL if argv[*i] is not opt. */
static const char *option(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		fail(opt, "needs a value");
	return argv[++*i];
}

int main(int argc, char **argv)
{
	const char *out = "initfs.img", *src = NULL, *checked = NULL, *v;
	uint64_t mtime = 0;
	bool no_crc = false;

	for (int i = 1; i < argc; i++) {
		if ((v = option(argc, argv, &i, "-o")) || (v = option(argc, argv, &i, "--output")))
			out = v;
		else if ((v = option(argc, argv, &i, "--max-size")))
			max_size = number("--max-size", v);
		else if ((v = option(argc, argv, &i, "--mtime")))
			mtime = number("--mtime", v);
		else if ((v = option(argc, argv, &i, "--check")))
			checked = v;
		else if (!strcmp(argv[i], "--no-crc"))
			no_crc = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			usage();
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			fail(argv[i], "unknown option");
		else if (!src)
			src = argv[i];
		else
			usage();
	}
	if (checked)
		return src ? (usage(), 2) : check(checked);
	if (!src)
		usage();

	walk(src);
	struct layout l = lay_out(src);
	uint8_t *img = build(&l, mtime, no_crc);
	write_image(out, img, l.image_size);
	free(img);
	return 0;
}

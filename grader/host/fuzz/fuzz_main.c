/*
 * A small stand-in for libFuzzer, so the fuzz targets run anywhere a C
 * compiler with ASan/UBSan does (the pytest suite uses it; run.sh uses
 * libFuzzer when clang has it). Link it with one fuzz_*.c target:
 *
 *   cc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
 *      -I common/include grader/host/fuzz/fuzz_main.c \
 *      grader/host/fuzz/fuzz_elf.c common/lib/elf.c -o fuzz_elf
 *   ./fuzz_elf [-n RUNS] [-t SECONDS] [-s SEED] [-m MAXLEN] [-o DIR] INPUT...
 *
 * INPUTs are files or directories of files (the seed corpus). Every input
 * runs once; then, if -n or -t is given, random mutations of them run
 * until RUNS mutated inputs or SECONDS have passed. There is no coverage
 * feedback (that is what libFuzzer adds); instead the mutations know the
 * shape of binary formats: they write "interesting" 16/32/64-bit values
 * (0, -1, sizes, offsets into the input, page multiples, ...) at aligned
 * offsets, where the header and table fields of ELF and initfs are.
 * The sequence depends only on the seed (-s, default 1), so a run with -n
 * is reproducible.
 *
 * On a crash (sanitizer report or abort) the input is written to
 * DIR/crash-<seed>-<run> (DIR defaults to .) and its name printed; run
 * `./fuzz_elf that-file` to reproduce it. Exit status 0 means no crash.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sanitizers call this before exiting on a report (weak: optional). */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

struct input {
	uint8_t *data;
	size_t size;
};

static struct input *pool;
static size_t npool, pool_cap;
static uint64_t rng, seed = 1, run_no;
static const uint8_t *current;
static size_t current_size;
static const char *crash_dir = ".";

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* ---- inputs ------------------------------------------------------------ */

static void add_input(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	struct input in = { NULL, 0 };
	size_t cap = 0;
	for (;;) {
		if (in.size == cap) {
			cap = cap ? 2 * cap : 4096;
			in.data = realloc(in.data, cap);
			if (!in.data)
				abort();
		}
		size_t r = fread(in.data + in.size, 1, cap - in.size, f);
		if (r == 0)
			break;
		in.size += r;
	}
	fclose(f);
	if (npool == pool_cap) {
		pool_cap = pool_cap ? 2 * pool_cap : 64;
		pool = realloc(pool, pool_cap * sizeof(*pool));
		if (!pool)
			abort();
	}
	pool[npool++] = in;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every regular file in a directory (sorted: reproducible). */
static void add_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_input(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	if (!d) {
		perror(path);
		exit(2);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (!names || !names[n])
			abort();
		snprintf(names[n++], len, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			add_input(names[i]);
		free(names[i]);
	}
	free(names);
}

/* ---- crashes -------------------------------------------------------------- */

static void save_crash(void)
{
	char name[4096];
	snprintf(name, sizeof(name), "%s/crash-%llu-%llu", crash_dir,
		 (unsigned long long)seed, (unsigned long long)run_no);
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		size_t done = 0;
		while (done < current_size) {
			ssize_t w = write(fd, current + done, current_size - done);
			if (w <= 0)
				break;
			done += (size_t)w;
		}
		close(fd);
		fprintf(stderr, "fuzz_main: crashing input (%zu bytes) saved as %s\n",
			current_size, name);
	}
}

static void on_signal(int sig)
{
	save_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Runs one input from an exact-size heap copy, so ASan catches overreads. */
static void run(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	current = copy;
	current_size = size;
	LLVMFuzzerTestOneInput(copy, size);
	current = NULL;
	free(copy);
	run_no++;
}

/* ---- mutations ------------------------------------------------------------- */

static uint64_t interesting(size_t size)
{
	static const uint64_t values[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 32, 56, 63, 64, 0x7f, 0x80, 0xff,
		0x100, 0xfff, 0x1000, 0x1001, 0x2000, 0x7fff, 0x8000, 0xffff,
		0x10000, 0x400000, 0x401000, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ULL, 0x7ffffffff000ULL, 0x800000000000ULL,
		0xffffffff80000000ULL, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, 0xfffffffffffff000ULL, UINT64_MAX - 1,
		UINT64_MAX,
	};
	switch (below(5)) {
	case 0:	/* a size or offset of this input */
		return (uint64_t)size - 1 + below(3);
	case 1:
		return below(size + 1);
	case 2:	/* just below 2^64, in steps a range check may round to */
		return -((uint64_t)(1 + below(4)) << (4 * below(4)));
	default:
		return values[below(sizeof(values) / sizeof(values[0]))];
	}
}

static void put_le(uint8_t *p, uint64_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A position for a `width`-aligned field. Headers and tables come first in
 * both formats, so half the time the position is drawn from a window of
 * 256 bytes to 8 KiB at the start: a field there is hit far more often
 * than if every byte of a big file were equally likely.
 */
static size_t field_at(size_t n, size_t width)
{
	size_t window = n;
	if (below(2)) {
		size_t w = (size_t)256 << below(6);
		if (w < window)
			window = w;
	}
	return below(window / width) * width;
}

/* Applies one random mutation to buf[0..*size), within max bytes. */
static void mutate_once(uint8_t *buf, size_t *size, size_t max)
{
	size_t n = *size;
	switch (below(10)) {
	case 0:	/* flip a bit */
		if (n)
			buf[below(n)] ^= (uint8_t)(1u << below(8));
		break;
	case 1:	/* random byte */
		if (n)
			buf[below(n)] = (uint8_t)rnd();
		break;
	case 2:
	case 3: {	/* interesting value in an aligned field */
		size_t width = (size_t)1 << below(4);	/* 1, 2, 4, 8 */
		if (n >= width)
			put_le(buf + field_at(n, width), interesting(n), width);
		break;
	}
	case 4: {	/* add or subtract a little, as for a count or an offset */
		size_t width = (size_t)2 << below(3);	/* 2, 4, 8 */
		if (n >= width) {
			size_t at = field_at(n, width);
			uint64_t v = 0;
			for (size_t i = 0; i < width; i++)
				v |= (uint64_t)buf[at + i] << (8 * i);
			v += below(2) ? 1 + below(16) : -(uint64_t)(1 + below(16));
			put_le(buf + at, v, width);
		}
		break;
	}
	case 5:	/* copy a chunk inside the input */
		if (n) {
			size_t from = below(n), to = below(n);
			size_t len = 1 + below(64);
			if (len > n - from)
				len = n - from;
			if (len > n - to)
				len = n - to;
			memmove(buf + to, buf + from, len);
		}
		break;
	case 6:	/* truncate */
		*size = below(n + 1);
		break;
	case 7: {	/* append */
		size_t len = 1 + below(64);
		if (len > max - n)
			len = max - n;
		for (size_t i = 0; i < len; i++)
			buf[n + i] = below(2) ? 0 : (uint8_t)rnd();
		*size = n + len;
		break;
	}
	case 8: {	/* insert or delete a few bytes in the middle */
		size_t at = below(n + 1), len = 1 + below(16);
		if (below(2)) {
			if (len > max - n)
				len = max - n;
			memmove(buf + at + len, buf + at, n - at);
			memset(buf + at, 0, len);
			*size = n + len;
		} else {
			if (len > n - at)
				len = n - at;
			memmove(buf + at, buf + at + len, n - at - len);
			*size = n - len;
		}
		break;
	}
	case 9: {	/* splice: the same bytes of another input */
		const struct input *o = &pool[below(npool)];
		if (o->size && n) {
			size_t at = below(n < o->size ? n : o->size);
			size_t len = 1 + below(256);
			if (len > n - at)
				len = n - at;
			if (len > o->size - at)
				len = o->size - at;
			memcpy(buf + at, o->data + at, len);
		}
		break;
	}
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz_TARGET [-n RUNS] [-t SECONDS] [-s SEED] [-m MAXLEN] "
		"[-o CRASHDIR] INPUT...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long runs = 0;
	double seconds = 0;
	size_t max = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:t:s:m:o:")) != -1) {
		switch (opt) {
		case 'n': runs = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'm': max = strtoull(optarg, NULL, 0); break;
		case 'o': crash_dir = optarg; break;
		default: usage();
		}
	}
	if (optind == argc)
		usage();
	for (int i = optind; i < argc; i++)
		add_path(argv[i]);
	if (npool == 0) {
		fprintf(stderr, "fuzz_main: no inputs\n");
		return 2;
	}

	/* Sanitizer reports (SEGV included: ASan handles it and says where)
	   end in the death callback; the property checks end in abort(). */
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(save_crash);
	signal(SIGABRT, on_signal);

	size_t largest = 0;
	for (size_t i = 0; i < npool; i++) {
		run(pool[i].data, pool[i].size);
		if (pool[i].size > largest)
			largest = pool[i].size;
	}
	if (!max)
		max = largest + 4096;

	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	uint8_t *buf = malloc(max);
	double start = now(), elapsed = 0;
	unsigned long long mutated = 0;
	if (!buf)
		abort();
	/* Until the first limit given is reached (none given: seeds only). */
	while ((runs || seconds > 0) && !(runs && mutated >= runs) &&
	       !(seconds > 0 && elapsed >= seconds)) {
		const struct input *in = &pool[below(npool)];
		size_t size = in->size < max ? in->size : max;
		memcpy(buf, in->data, size);
		/* Mostly few mutations: a valid input with one change reaches the
		   deep checks; sometimes many. */
		size_t count = below(4) ? 1 + below(3) : 1 + below(32);
		for (size_t k = 0; k < count; k++)
			mutate_once(buf, &size, max);
		run(buf, size);
		mutated++;
		if ((mutated & 255) == 0)
			elapsed = now() - start;
	}
	elapsed = now() - start;
	printf("fuzz_main: %zu inputs, %llu mutated runs in %.1f s (%.0f/s), seed %llu: no crash\n",
	       npool, mutated, elapsed, elapsed > 0 ? (double)mutated / elapsed : 0.0,
	       (unsigned long long)seed);
	free(buf);
	return 0;
}

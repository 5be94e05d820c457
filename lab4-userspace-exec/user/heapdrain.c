/*
 * Hostile: exhaust the kernel heap by holding sys: files open (each one
 * a snapshot of several pages) in many processes, until the kernel says
 * ENOMEM; then let go. Afterwards free frames, heap blocks, heap pages
 * and contexts are back at their baseline, and the heap serves large
 * blocks again. Done three times, so that a heap that loses address
 * space or frames on each round shows it.
 */
#include "embryo.h"

#define MAXKIDS	100

/* Holds sys: files open until ENOMEM or EMFILE; reports which on out,
 * then waits for go to close. */
static void hog(int out, int go)
{
	int err = 0;
	for (;;) {
		int fd = open("sys:/frames", O_RDONLY);
		if (fd < 0) {
			err = errno;
			break;
		}
	}
	write(out, &err, sizeof(err));
	char c;
	read(go, &c, 1);
	_exit(0);
}

/* One round: returns how many processes it took to run out of memory. */
static int drain(void)
{
	int out[2], go[2];
	CHECK_EQ(pipe(out), 0);
	CHECK_EQ(pipe(go), 0);
	pid_t kids[MAXKIDS];
	int n = 0, err = 0, mine[64], nmine = 0;
	while (err != ENOMEM && n < MAXKIDS) {
		pid_t kid = fork();
		if (kid < 0) {
			CHECK(errno == ENOMEM || errno == EAGAIN);
			/* Too little memory left for a whole process (a bigger
			 * libc, lab 5's initfs daemon), but maybe not for a
			 * file: we hold the last ones ourselves. */
			int fd;
			while (nmine < 64 && (fd = open("sys:/frames", O_RDONLY)) >= 0)
				mine[nmine++] = fd;
			err = nmine < 64 ? errno : EMFILE;
			break;
		}
		if (kid == 0) {
			close(out[0]);
			close(go[1]);
			hog(out[1], go[0]);
		}
		kids[n++] = kid;
		CHECK_EQ(read(out[0], &err, sizeof(err)), sizeof(err));
		CHECK(err == ENOMEM || err == EMFILE);
	}
	CHECK(err == ENOMEM);
	while (nmine > 0)
		CHECK_EQ(close(mine[--nmine]), 0);
	CHECK_EQ(close(go[1]), 0);	/* every hog wakes and exits */
	for (int i = 0; i < n; i++)
		CHECK_EQ(child_status(kids[i]), 0);
	CHECK_EQ(close(go[0]), 0);
	CHECK_EQ(close(out[0]), 0);
	CHECK_EQ(close(out[1]), 0);
	return n;
}

int main(void)
{
	utest_begin("heapdrain");
	struct ochre_meminfo base;
	int fd = open("sys:/frames", O_RDONLY);		/* warm up */
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	meminfo_now(&base);
	for (int round = 1; round <= 3; round++) {
		int n = drain();
		printf("heapdrain: round %d: the heap ran out with %d "
		       "processes holding sys: files\n", round, n);
		check_baseline(&base, "after the heap ran out");
		fd = open("sys:/frames", O_RDONLY);
		CHECK(fd >= 0);
		CHECK_EQ(close(fd), 0);
	}
	utest_ok();
}

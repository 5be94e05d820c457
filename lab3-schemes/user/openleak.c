/*
 * 50 rounds of opening and closing files (in the kernel's initfs and in
 * the ramfs daemon), failed opens, pipes and dups must leave the kernel
 * where it was: no leaked open files, requests, pipe buffers or frames.
 * The counts are exact, so one block or frame kept by any round shows;
 * 50 rounds also catch a leak that only every few rounds make.
 */
#include "utest.h"
#include <fcntl.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS	50

static void round_trip(void)
{
	char buf[64];
	struct stat st;
	int fd = open("initfs:/bin/echo", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), sizeof(buf));
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(close(fd), 0);

	fd = open("ramfs:/leak", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 5);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	int d = dup(fd);
	CHECK(d >= 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(close(d), 0);

	CHECK_ERR(open("initfs:/nosuch", O_RDONLY), ENOENT);
	CHECK_ERR(open("ramfs:/nosuch", O_RDONLY), ENOENT);
	CHECK_ERR(open("nosuch:/x", O_RDONLY), ENOENT);

	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(write(fds[1], "x", 1), 1);
	CHECK_EQ(close(fds[0]), 0);
	CHECK_EQ(close(fds[1]), 0);
}

int main(void)
{
	static char *ramfs_argv[] = { "ramfs", NULL };
	utest_begin("openleak");
	pid_t ramfs = scheme_spawn("initfs:/bin/ramfs", ramfs_argv, "ramfs");
	CHECK(ramfs > 0 || errno == EEXIST);	/* EEXIST: init's, from sh */
	int fd = open("ramfs:/leak", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "leak?", 5), 5);
	CHECK_EQ(close(fd), 0);

	struct ochre_meminfo before, after;
	for (int i = 0; i < 20; i++)	/* warm up caches on both sides */
		round_trip();
	CHECK_EQ(utest_meminfo(&before), 0);
	for (int i = 0; i < ROUNDS; i++)
		round_trip();
	CHECK_EQ(utest_meminfo(&after), 0);
	printf("openleak: free frames %lu -> %lu, heap blocks %lu -> %lu\n",
	       before.free_frames, after.free_frames, before.heap_live,
	       after.heap_live);
	CHECK_EQ(after.free_frames, before.free_frames);
	CHECK_EQ(after.heap_live, before.heap_live);
	if (ramfs > 0) {
		CHECK_EQ(kill(ramfs, SIGKILL), 0);
		CHECK_EQ(waitpid(ramfs, NULL, 0), ramfs);
	}
	utest_ok();
}

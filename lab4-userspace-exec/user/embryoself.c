/*
 * Hostile: an embryo given the only copy of its own handle, killed by its
 * creator, or left behind by a creator that exits; a scheme fd and a pile
 * of memory placed in it; an unrelated process reusing the dead creator's
 * context slot. An embryo belongs to its creator and dies with it, exactly
 * once; no slot, frame or scheme name is left behind.
 */
#include "embryo.h"

#define ROUNDS	140	/* more than the context table holds */

/* An embryo with 16 pages, holding whatever fds we have (ctl included if
 * it could travel). */
static long loaded_embryo(int *ctl)
{
	long pid = embryo_new(ctl, 0);
	int as = embryo_open(pid, "addrspace", O_WRONLY);
	CHECK(as >= 0);
	CHECK_EQ(as_do(as, AS_MAP, PROT_READ | PROT_WRITE, 0x40000000,
		       16 * 4096, 0), sizeof(struct as_op));
	CHECK_EQ(close(as), 0);
	CHECK_EQ(embryo_inherit(pid), sizeof(struct ft_op));
	return pid;
}

int main(void)
{
	utest_begin("embryoself");
	struct ochre_meminfo base;
	int ctl;
	long pid = loaded_embryo(&ctl);
	CHECK_EQ(close(ctl), 0);
	meminfo_now(&base);

	/* SIGKILL from the creator destroys it once; the handle then finds
	 * it gone. */
	pid = loaded_embryo(&ctl);
	CHECK_EQ(kill((pid_t)pid, SIGKILL), 0);
	CHECK_ERR(kill((pid_t)pid, 0), ESRCH);
	CHECK_ERR(kill((pid_t)pid, SIGKILL), ESRCH);
	CHECK_EQ(close(ctl), 0);
	check_baseline(&base, "SIGKILL, then close");
	printf("embryoself: killed once, closed after\n");

	/* Closing the creator's handle destroys it, even though the embryo
	 * was offered a copy of every fd. */
	pid = loaded_embryo(&ctl);
	CHECK_EQ(close(ctl), 0);
	CHECK_ERR(kill((pid_t)pid, 0), ESRCH);
	check_baseline(&base, "close");

	/* A creator that exits takes its embryos along, whatever happened
	 * to the handles; also the scheme fd placed in one. */
	for (int i = 0; i < ROUNDS; i++) {
		int p[2];
		CHECK_EQ(pipe(p), 0);
		pid_t kid = fork();
		CHECK(kid >= 0);
		if (kid == 0) {
			int daemon = open(":hostile", O_CREAT | O_RDWR);
			CHECK(daemon >= 0);
			long e = loaded_embryo(&ctl);
			CHECK_EQ(close(daemon), 0);
			CHECK_EQ(write(p[1], &e, sizeof(e)), sizeof(e));
			_exit(0);
		}
		long e = 0;
		CHECK_EQ(read(p[0], &e, sizeof(e)), sizeof(e));
		CHECK_EQ(child_status(kid), 0);
		CHECK_ERR(kill((pid_t)e, 0), ESRCH);
		CHECK_EQ(close(p[0]), 0);
		CHECK_EQ(close(p[1]), 0);
		/* The scheme name is free again. */
		int again = open(":hostile", O_CREAT | O_RDWR);
		CHECK(again >= 0);
		CHECK_EQ(close(again), 0);
	}
	printf("embryoself: %d creators exited, their embryos went along\n",
	       ROUNDS);

	/* A process in a reused slot has no authority over what the old
	 * occupant built: a child makes an embryo and exits; its slot is
	 * reused by the next child, which tries the embryo's files. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		long e = loaded_embryo(&ctl);
		CHECK_EQ(write(p[1], &e, sizeof(e)), sizeof(e));
		_exit(0);
	}
	long e = 0;
	CHECK_EQ(read(p[0], &e, sizeof(e)), sizeof(e));
	CHECK_EQ(child_status(kid), 0);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		int fd = embryo_open(e, "regs", O_RDWR);
		if (fd >= 0 || (errno != EPERM && errno != ESRCH)) {
			printf("embryoself: FAIL a process in a reused slot "
			       "opened proc:/%ld/regs (fd %d, errno %d)\n", e,
			       fd, errno);
			_exit(1);
		}
		_exit(0);
	}
	CHECK_EQ(child_status(kid), 0);
	CHECK_EQ(close(p[0]), 0);
	CHECK_EQ(close(p[1]), 0);
	check_baseline(&base, "creators exited");
	printf("embryoself: a reused slot has no authority\n");
	utest_ok();
}

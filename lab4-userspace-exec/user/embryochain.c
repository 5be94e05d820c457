/*
 * Hostile: a chain of embryos, each meant to hold the only copy of the
 * previous one's thisproc:new handle (FT_INHERIT copies every fd without
 * FD_CLOFORK). If handles could travel like that, closing the last one
 * would destroy the whole chain recursively on the kernel stack. The rule
 * (HANDOUT.md B.1): a thisproc:/proc: handle never leaves the process that
 * opened it, so each embryo dies as soon as its creator closes the handle,
 * and nothing is left over.
 */
#include "embryo.h"

#define DEPTH	200

int main(void)
{
	utest_begin("embryochain");
	struct ochre_meminfo base;
	int ctl;
	long pid = embryo_new(&ctl, 0);		/* warm up */
	CHECK_EQ(close(ctl), 0);
	meminfo_now(&base);

	int prev = -1;
	long prev_pid = 0;
	for (int i = 0; i < DEPTH; i++) {
		pid = embryo_new(&ctl, 0);
		CHECK_EQ(embryo_inherit(pid), sizeof(struct ft_op));
		if (prev >= 0) {
			/* The embryo did not get a copy of prev: closing ours
			 * destroys the previous embryo at once. */
			CHECK_EQ(close(prev), 0);
			CHECK_ERR(kill((pid_t)prev_pid, 0), ESRCH);
		}
		prev = ctl;
		prev_pid = pid;
	}
	CHECK_EQ(close(prev), 0);
	CHECK_ERR(kill((pid_t)prev_pid, 0), ESRCH);
	check_baseline(&base, "after a chain of embryos");
	printf("embryochain: %d embryos, handles stayed with their creator\n",
	       DEPTH);

	/* The same with dup: a dup'ed handle (dup clears FD_CLOFORK) is not
	 * inherited either. */
	pid = embryo_new(&ctl, O_CLOFORK);
	int copy = dup(ctl);
	CHECK(copy >= 0);
	long other_pid = embryo_new(&prev, O_CLOFORK);
	CHECK_EQ(embryo_inherit(other_pid), sizeof(struct ft_op));
	CHECK_EQ(close(ctl), 0);
	CHECK_EQ(kill((pid_t)pid, 0), 0);	/* copy still holds it */
	CHECK_EQ(close(copy), 0);
	CHECK_ERR(kill((pid_t)pid, 0), ESRCH);
	CHECK_EQ(close(prev), 0);
	CHECK_ERR(kill((pid_t)other_pid, 0), ESRCH);
	check_baseline(&base, "after dup");
	printf("embryochain: a dup'ed handle stays too\n");
	utest_ok();
}

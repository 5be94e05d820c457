/*
 * Microbenchmarks of lab 2's mechanisms (the harness and the benchmarks are
 * in common/user/bench.h). Run with `make bench` at the top.
 */
#include "bench.h"

int main(void)
{
	printf("bench: Ochre lab 2 microbenchmarks (guest TSC; use -icount "
	       "shift=0 for instruction counts)\n");
	bench_lab2();
	printf("bench: done\n");
	return 0;
}

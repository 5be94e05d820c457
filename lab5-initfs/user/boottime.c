/*
 * Benchmark (docs/bench.md): the guest TSC when the first program starts.
 * Under `-icount shift=0` the TSC counts guest instructions since QEMU
 * started (firmware and GRUB included), so booting two kernels with
 * init=boottime compares what they do before init runs.
 */
#include "bench.h"

int main(void)
{
	uint64_t t = rdtsc();
	printf("boottime: first instruction of init at TSC %lu\n", (unsigned long)t);
	return 0;
}

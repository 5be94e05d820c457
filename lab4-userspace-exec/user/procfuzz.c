/*
 * A fuzzer of the process primitives. Worker processes make embryos and
 * throw random operations at them: thisproc:new with any flags, proc:
 * files of their own embryos, of other processes and of made-up pids,
 * dup/dup2/close in random orders, FT_INHERIT, as_ops with edge-case
 * ranges, regs, start (some children really run), kill with any signal,
 * new address spaces and failed execs; and workers exit at random times
 * holding embryos and handles. Nothing may panic or wedge the kernel, and
 * when every worker is gone, frames, heap and contexts are back at their
 * baseline. docs/fuzzing.md: FUZZ_OPS sets the length; procfuzzlong is
 * the long run.
 */
#include "embryo.h"
#include <syscall.h>

#ifndef FUZZ_OPS
#define FUZZ_OPS	30000UL
#define FUZZ_NAME	"procfuzz"
#endif
#define WORKERS		3
#define WORKER_OPS	250	/* at most, before a worker exits: its status */
#define NPIDS		8

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long pids[NPIDS];	/* embryos made by this worker (maybe gone) */

static long some_pid(void)
{
	switch (rnd() % 8) {
	case 0: return getpid();
	case 1: return getppid();
	case 2: return (long)(rnd() % 300);
	case 3: return (long)((1UL << 32) | (rnd() % 300));
	default: return pids[rnd() % NPIDS];
	}
}

static int some_fd(void)
{
	return rnd() % 16 == 0 ? (int)(rnd() % 70) - 3 : 3 + (int)(rnd() % 20);
}

static uint64_t some_va(void)
{
	static const uint64_t vas[] = {
		0x40000000, 0x40001000, 0x40003000, BLOB_CODE, BLOB_STACK,
		0, 0x1000, 0x00007ffffffff000UL, 0x0000800000000000UL,
		0xffffffff80000000UL, 0x40000800,
	};
	return vas[rnd() % (sizeof(vas) / sizeof(vas[0]))];
}

static uint64_t some_len(void)
{
	static const uint64_t lens[] = {
		4096, 8192, 3 * 4096, 0, 1, 4095, (uint64_t)-1,
		(uint64_t)-4096, 0x0000800000000000UL, 16 * 4096,
	};
	return lens[rnd() % (sizeof(lens) / sizeof(lens[0]))];
}

static const char *const files[] = { "addrspace", "filetable", "regs",
				     "start", "bogus" };

static void one_op(void)
{
	static char buf[256];
	struct proc_regs r;
	int fd;
	switch (rnd() % 16) {
	case 0:
	case 1: {
		static const int flags[] = { 0, O_CLOFORK, O_CLOEXEC,
					     O_CLOEXEC | O_CLOFORK };
		fd = open("thisproc:new", O_RDWR | flags[rnd() % 4]);
		int64_t pid;
		if (fd >= 0 && read(fd, &pid, sizeof(pid)) == 8)
			pids[rnd() % NPIDS] = pid;
		break;
	}
	case 2:
		embryo_open(some_pid(), files[rnd() % 5],
			    rnd() % 2 ? O_RDWR : O_WRONLY);
		break;
	case 3:
		dup(some_fd());
		break;
	case 4:
		dup2(some_fd(), some_fd());
		break;
	case 5:
	case 6:
		close(some_fd());
		break;
	case 7: {
		struct ft_op op = { .op = rnd() % 8 ? FT_INHERIT : 7 };
		write(some_fd(), &op, sizeof(op));
		break;
	}
	case 8:
	case 9: {
		static const uint32_t prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
			PROT_READ | PROT_EXEC, PROT_WRITE | PROT_EXEC, 0, 0x80 };
		struct as_op op = { .op = 1 + rnd() % 6, .prot = prots[rnd() % 6],
				    .va = some_va(), .len = some_len(),
				    .buf = rnd() % 4 ? (uint64_t)BLOB_READ_BYTE : (uint64_t)buf };
		if (op.op == AS_WRITE && op.len > sizeof(BLOB_READ_BYTE))
			op.len = sizeof(BLOB_READ_BYTE);
		write(some_fd(), &op, rnd() % 32 ? sizeof(op) : rnd() % 64);
		break;
	}
	case 10:
		fd = some_fd();
		if (read(fd, &r, sizeof(r)) == sizeof(r) || rnd() % 2) {
			r.rip = rnd() % 2 ? BLOB_CODE : rnd();
			r.rsp = rnd() % 2 ? BLOB_STACK + 4096 : rnd();
			r.rdi = BLOB_CODE;
			r.rflags = rnd();
			write(fd, &r, rnd() % 16 ? sizeof(r) : 8);
		}
		break;
	case 11:
		write(some_fd(), "s", 1);		/* a start file, maybe */
		break;
	case 12: {
		static const int sigs[] = { 0, SIGKILL, SIGTERM, 99 };
		kill((pid_t)some_pid(), sigs[rnd() % 4]);
		break;
	}
	case 13:
		waitpid(-1, NULL, WNOHANG);
		break;
	case 14:
		if (rnd() % 4 == 0)
			open("thisproc:new-addrspace", O_RDWR | (rnd() % 2 ? O_CLOFORK : 0));
		else
			read(some_fd(), buf, rnd() % 2 ? 8 : sizeof(buf));
		break;
	case 15: {
		/* exec with garbage, almost always refused */
		struct proc_exec pe = { .as_fd = some_fd(), .rip = rnd() % 2 ?
					BLOB_CODE : rnd(), .rsp = rnd(),
					.flags = rnd() % 8 == 0, .name = "fz\n" };
		fd = open("thisproc:exec", O_WRONLY);
		if (fd >= 0) {
			write(fd, &pe, sizeof(pe));
			close(fd);
		}
		break;
	}
	}
}

/* A worker: random operations, then exit holding whatever it holds,
 * with the number of operations as its status. */
static void __attribute__((noreturn)) worker(uint64_t seed)
{
	rng = seed | 1;
	/* Only the fuzzed files from here on: nothing that blocks (the
	 * console would wait for input), nothing that prints. */
	for (int fd = 0; fd < 3; fd++)
		close(fd);
	int n = 1 + (int)(rnd() % WORKER_OPS);
	for (int i = 0; i < n; i++)
		one_op();
	_exit(n);
}

int main(void)
{
	utest_begin(FUZZ_NAME);
	struct ochre_meminfo base;
	rng = 0x9e3779b97f4a7c15UL;
	meminfo_now(&base);
	unsigned long done = 0, workers = 0, next_report = 0;
	int running = 0;
	while (done < FUZZ_OPS || running > 0) {
		while (done < FUZZ_OPS && running < WORKERS) {
			uint64_t seed = rnd();
			pid_t kid = fork();
			CHECK(kid >= 0);
			if (kid == 0)
				worker(seed);
			running++;
			workers++;
		}
		int status;
		pid_t kid = waitpid(-1, &status, 0);
		CHECK(kid > 0);
		running--;
		/* (a worker that was killed, or exec'd, counts nothing) */
		if (WIFEXITED(status))
			done += (unsigned long)WEXITSTATUS(status);
		if (done >= next_report) {
			printf("%s: %lu operations, %lu workers\n", FUZZ_NAME,
			       done, workers);
			next_report += FUZZ_OPS >= 1000000 ? 100000 : FUZZ_OPS / 10;
		}
	}
	/* Started grandchildren were reparented to us (init) or are gone. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	check_baseline(&base, "after the fuzzing");
	printf("%s: %lu operations by %lu workers, baseline intact\n",
	       FUZZ_NAME, done, workers);
	utest_ok();
}

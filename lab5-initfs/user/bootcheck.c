/*
 * Lab 5: what the boot left behind, seen by the first program. Boot with
 * init=bootcheck: bootstrap exec'd us, so we are pid 1; its initfs daemon
 * is our only child (named "bootstrap": it is bootstrap's own code); we
 * have fds 0, 1 and 2 and nothing else (the readiness pipe is gone); no
 * other program can kill the daemon; the kernel keeps no cwd (chdir/getcwd system calls: ENOSYS) and initfs: is
 * served by that daemon.
 */
#include "utest.h"
#include <fcntl.h>
#include <signal.h>
#include <ochre_scheme.h>
#include <sys/stat.h>
#include <syscall.h>
#include <unistd.h>

/* The NAME column of pid's line in sys:/contexts. */
static void name_of(int pid, char *name, size_t size)
{
	static char buf[4096];
	int fd = open("sys:/contexts", O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	name[0] = '\0';
	for (char *p = strchr(buf, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		if (atoi(p + 1) != pid)
			continue;
		char *end = strchr(p + 1, '\n');
		char *word = end;
		while (word > p + 1 && word[-1] != ' ')
			word--;
		size_t len = (size_t)(end ? end - word : 0);
		if (len >= size)
			len = size - 1;
		memcpy(name, word, len);
		name[len] = '\0';
	}
}

int main(void)
{
	utest_begin("bootcheck");
	struct stat st;
	char name[64];

	struct ochre_meminfo mi;
	CHECK_EQ(meminfo(&mi), 0);	/* first: what the boot cost */
	printf("bootcheck: free frames %lu\n", mi.free_frames);
	CHECK_EQ(getpid(), 1);			/* bootstrap's pid, kept */
	for (int fd = 0; fd < 3; fd++)
		CHECK_EQ(fstat(fd, &st), 0);
	for (int fd = 3; fd < 64; fd++)		/* no pipe end, no scheme fd */
		CHECK_ERR(fstat(fd, &st), EBADF);

	/* Our one child, there before main: the initfs daemon. */
	CHECK_EQ(utest_ninherited, 1);
	int daemon = utest_inherited_pids[0];
	name_of(daemon, name, sizeof(name));
	printf("bootcheck: daemon pid %d (%s), child of %d\n", daemon, name,
	       getpid());
	CHECK(strcmp(name, "initfsd") == 0);	/* it names itself */

	/* Only init may stop the daemon: a program init started cannot. */
	pid_t kid = fork();
	CHECK(kid >= 0);
	if (kid == 0)
		_exit(kill(daemon, SIGKILL) == -1 && errno == EPERM ? 0 : 1);
	int status;
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The kernel forgot the cwd: its system calls are gone. */
	char buf[64];
	CHECK_EQ(syscall1(SYS_CHDIR, "initfs:/bin"), -ENOSYS);
	CHECK_EQ(syscall2(SYS_GETCWD, buf, sizeof(buf)), -ENOSYS);

	/* initfs: answers, and it is the daemon that answers: stopped, it
	 * would leave us waiting, so a served open proves it is alive. */
	int fd = open("initfs:/bin/bootcheck", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size > 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(kill(daemon, 0), 0);
	utest_ok();
}

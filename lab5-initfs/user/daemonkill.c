/*
 * Lab 5: the initfs daemon dies (boot with init=daemonkill: the daemon is
 * our child, so we may kill it). Files open on it fail with EIO, new opens
 * find no scheme (the name is free again: anyone may register it), the
 * kill is reported to us by waitpid, and nothing hangs or panics.
 */
#include "utest.h"
#include <fcntl.h>
#include <signal.h>
#include <ochre/signal.h>
#include <ochre_scheme.h>
#include <sys/stat.h>
#include <syscall.h>
#include <unistd.h>

int main(void)
{
	utest_begin("daemonkill");
	char buf[16];
	struct stat st;
	CHECK_EQ(utest_ninherited, 1);
	int daemon = utest_inherited_pids[0];
	int fd = open("initfs:/bin/echo", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, 4), 4);

	CHECK_EQ(kill(daemon, SIGKILL), 0);
	int status;
	CHECK_EQ(waitpid(daemon, &status, 0), daemon);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	printf("daemonkill: daemon %d killed\n", daemon);

	CHECK_ERR(read(fd, buf, 4), EIO);
	CHECK_ERR(fstat(fd, &st), EIO);
	CHECK_ERR(lseek(fd, 0, SEEK_SET), EIO);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(syscall3(SYS_OPEN, "initfs:/bin/echo", O_RDONLY, 0), -ENOENT);
	CHECK_ERR(open("initfs:/bin/echo", O_RDONLY), ENOENT);
	/* The name is free: a new daemon could serve initfs: now. */
	int sfd = scheme_create("initfs");
	CHECK(sfd >= 0);
	CHECK_EQ(close(sfd), 0);
	CHECK_ERR(utest_wait(NULL, WNOHANG), ECHILD);
	utest_ok();
}

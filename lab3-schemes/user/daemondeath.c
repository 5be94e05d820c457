/*
 * A scheme daemon that goes away must not take its clients with it: a
 * call in progress or queued fails with EIO instead of hanging, later
 * calls on the same fd fail with EIO, and the name is free to register
 * again. Also the other way round: a client killed while it waits leaves
 * the daemon unharmed (its late reply is refused with EINVAL).
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <ochre_scheme.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME	"dd"

enum mode {
	DIE_ON_OPEN,	/* exit instead of answering the first open */
	DIE_ON_READ,	/* answer opens, exit instead of answering a read */
	HANG_ON_READ,	/* say "g" on a read, then never answer */
	CLOSE_EARLY,	/* answer an open, wait, close the scheme fd: "c" */
	REPLY_LATE,	/* on the first read say "g", wait for "go", reply,
			   and say "E" if the reply was refused with EINVAL */
};

static int note[2];	/* daemon -> test */
static int go[2];	/* test -> daemon */

static void __attribute__((noreturn)) daemon_main(enum mode mode)
{
	static struct scheme_request req;
	int late_done = 0;
	char c;
	close(note[0]);
	close(go[1]);
	int fd = scheme_create(NAME);
	if (fd < 0) {
		printf("daemondeath: FAIL daemon: register: %s\n", strerror(errno));
		_exit(3);
	}
	write(note[1], "r", 1);
	while (scheme_next(fd, &req) == 0) {
		uint64_t ud = req.sqe.user_data;
		switch (req.sqe.opcode) {
		case SCHEME_OPEN:
			if (mode == DIE_ON_OPEN)
				_exit(0);
			scheme_reply(fd, ud, 1, NULL, 0);
			if (mode == CLOSE_EARLY) {
				usleep(100000);	/* the client's read queues up */
				close(fd);
				write(note[1], "c", 1);
				for (;;)
					sleep(100);
			}
			break;
		case SCHEME_READ:
			if (mode == DIE_ON_READ)
				_exit(0);
			if (mode == HANG_ON_READ) {
				write(note[1], "g", 1);
				for (;;)
					sleep(100);
			}
			if (mode == REPLY_LATE && !late_done) {
				late_done = 1;
				write(note[1], "g", 1);
				read(go[0], &c, 1);
				int r = scheme_reply(fd, ud, 0, NULL, 0);
				write(note[1], r < 0 && errno == EINVAL ? "E" : "X", 1);
				break;
			}
			scheme_reply(fd, ud, 0, NULL, 0);
			break;
		default:
			scheme_reply(fd, ud, 0, NULL, 0);
			break;
		}
	}
	_exit(0);
}

static pid_t start_daemon(enum mode mode)
{
	char c;
	CHECK_EQ(pipe(note), 0);
	CHECK_EQ(pipe(go), 0);
	pid_t pid = fork();
	if (pid == 0)
		daemon_main(mode);
	CHECK(pid > 0);
	CHECK_EQ(close(note[1]), 0);
	CHECK_EQ(close(go[0]), 0);
	CHECK_EQ(read(note[0], &c, 1), 1);
	CHECK_EQ(c, 'r');
	return pid;
}

static char wait_note(void)
{
	char c = 0;
	CHECK_EQ(read(note[0], &c, 1), 1);
	return c;
}

static void stop_daemon(pid_t pid, int kill_it)
{
	if (kill_it)
		CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_EQ(close(note[0]), 0);
	CHECK_EQ(close(go[1]), 0);
}

/* waitpid with a deadline (5 s of guest time); -1 if pid is still alive. */
static int wait_for(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		CHECK(r >= 0);
		if (r == pid)
			return status;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Every call on a dead scheme's fd fails with EIO; close works. */
static void check_dead_fd(int fd)
{
	char buf[16];
	struct stat st;
	CHECK_ERR(read(fd, buf, sizeof(buf)), EIO);
	CHECK_ERR(write(fd, "x", 1), EIO);
	CHECK_ERR(lseek(fd, 0, SEEK_SET), EIO);
	CHECK_ERR(fstat(fd, &st), EIO);
	CHECK_ERR(getdents(fd, buf, sizeof(buf)), EIO);
	CHECK_ERR(fsync(fd), EIO);
	CHECK_ERR(ftruncate(fd, 0), EIO);
	CHECK_EQ(close(fd), 0);
	CHECK_ERR(close(fd), EBADF);
}

int main(void)
{
	utest_begin("daemondeath");
	char buf[16];
	int status;

	/* The daemon exits instead of answering an open. */
	pid_t d = start_daemon(DIE_ON_OPEN);
	CHECK_ERR_SOON(open(NAME ":/x", O_RDONLY), EIO);
	stop_daemon(d, 0);
	CHECK_ERR(open(NAME ":/x", O_RDONLY), ENOENT);	/* gone, name free */
	printf("daemondeath: death during open ok\n");

	/* ... instead of answering a read: that read and all later calls. */
	d = start_daemon(DIE_ON_READ);
	int fd = open(NAME ":/x", O_RDWR);
	CHECK(fd >= 0);
	CHECK_ERR_SOON(read(fd, buf, sizeof(buf)), EIO);	/* it was in flight */
	check_dead_fd(fd);
	stop_daemon(d, 0);
	CHECK_ERR(unlink(NAME ":/x"), ENOENT);
	printf("daemondeath: death during read ok\n");

	/* Killed while a client (a child of ours) is blocked in read. */
	d = start_daemon(HANG_ON_READ);	/* the same name: registered again */
	pid_t client = fork();
	if (client == 0) {
		int cfd = open(NAME ":/y", O_RDONLY);
		if (cfd < 0)
			_exit(2);
		errno = 0;
		int r = (int)read(cfd, buf, sizeof(buf));
		_exit(r == -1 && errno == EIO ? 0 : 1);
	}
	CHECK(client > 0);
	CHECK_EQ(wait_note(), 'g');	/* the daemon holds the read */
	CHECK_EQ(kill(d, SIGKILL), 0);
	status = wait_for(client);
	if (status == -1) {
		printf("daemondeath: FAIL the client still waits 5 s after "
		       "its daemon was killed\n");
		exit(1);
	}
	CHECK_EQ(status, 0);		/* its read failed with EIO */
	stop_daemon(d, 0);
	printf("daemondeath: daemon killed under a blocked client ok\n");

	/* The daemon closes its scheme fd with a request still queued (it
	 * never read it) and lives on. */
	d = start_daemon(CLOSE_EARLY);
	fd = open(NAME ":/z", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR_SOON(read(fd, buf, sizeof(buf)), EIO);	/* it was pending */
	CHECK_EQ(wait_note(), 'c');
	int mine = scheme_create(NAME);	/* free again, though d still runs */
	CHECK(mine >= 0);
	CHECK_ERR(read(fd, buf, sizeof(buf)), EIO);	/* not routed to us */
	CHECK_EQ(close(mine), 0);
	CHECK_EQ(close(fd), 0);
	stop_daemon(d, 1);
	printf("daemondeath: scheme fd closed under a queued request ok\n");

	/* A client killed while it waits: the daemon's late reply is refused,
	 * and the daemon goes on serving others. */
	d = start_daemon(REPLY_LATE);
	client = fork();
	if (client == 0) {
		int cfd = open(NAME ":/w", O_RDONLY);
		read(cfd, buf, sizeof(buf));
		_exit(1);
	}
	CHECK_EQ(wait_note(), 'g');
	CHECK_EQ(kill(client, SIGKILL), 0);
	CHECK_EQ(waitpid(client, &status, 0), client);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ(write(go[1], "!", 1), 1);
	CHECK_EQ(wait_note(), 'E');
	fd = open(NAME ":/v", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(close(fd), 0);
	stop_daemon(d, 1);
	printf("daemondeath: client killed while waiting ok\n");
	utest_ok();
}

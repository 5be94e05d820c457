/* waitpid options and status encoding (as on Linux). */
#ifndef OCHRE_WAIT_H
#define OCHRE_WAIT_H

#define WNOHANG		1

/* status = (exit code << 8) for a normal exit, or the signal number. */
#define W_EXITCODE(code)	(((code) & 0xff) << 8)
#define W_SIGNALED(sig)		((sig) & 0x7f)
#define WIFEXITED(s)		(((s) & 0x7f) == 0)
#define WEXITSTATUS(s)		(((s) >> 8) & 0xff)
#define WIFSIGNALED(s)		(((s) & 0x7f) != 0)
#define WTERMSIG(s)		((s) & 0x7f)

#endif

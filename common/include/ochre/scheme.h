/*
 * The scheme protocol (lab 3): how the kernel talks to user-space scheme
 * daemons. Modelled on io_uring's submission and completion entries rather
 * than Redox's 4-argument Packet (Redox's 2022 design names that limit):
 *
 *   daemon:  fd = open(":name", O_CREAT | O_RDWR)    registers scheme name:
 *   kernel:  a client calls open("name:/x"), read(), ...
 *            -> the kernel queues a request; the client blocks
 *   daemon:  read(fd, buf, n)   gets one request: struct scheme_sqe, then
 *                               sqe.payload_len bytes of payload (the path
 *                               for OPEN/UNLINK/MKDIR/RMDIR, the data for
 *                               WRITE)
 *   daemon:  write(fd, buf, n)  answers it: struct scheme_cqe, then
 *                               cqe.payload_len bytes (the data for READ,
 *                               a struct ochre_stat for FSTAT, the path for
 *                               FPATH, dirents for GETDENTS)
 *   kernel:  validates the reply and copies the payload to the client
 *
 * The kernel copies every byte (client -> kernel -> daemon and back); no
 * memory is shared, so a daemon can never see or touch more of its clients
 * than the request holds. It never trusts a reply: an unknown user_data, a
 * result or payload larger than asked, or a malformed entry makes the
 * daemon's write fail with EINVAL and the client's call fail with EIO. When
 * the daemon's fd is closed (or it dies), every pending and later call to
 * the scheme fails with EIO and the name is free again.
 */
#ifndef OCHRE_SCHEME_H
#define OCHRE_SCHEME_H

#include <stdint.h>

enum scheme_opcode {
	SCHEME_OPEN = 1,	/* args: flags, mode; payload: path -> new id */
	SCHEME_CLOSE,		/* id; the client does not wait for the answer */
	SCHEME_READ,		/* id; args: len, offset -> bytes */
	SCHEME_WRITE,		/* id; args: offset, open flags (O_APPEND);
				   payload: data -> bytes */
	SCHEME_SEEK,		/* id; args: offset, whence, cur -> new offset */
	SCHEME_FSTAT,		/* id -> payload struct ochre_stat */
	SCHEME_FPATH,		/* reserved: the kernel answers fpath itself */
	SCHEME_GETDENTS,	/* id; args: len, index -> payload dirents;
				   cqe.flags = index to continue at */
	SCHEME_UNLINK,		/* payload: path */
	SCHEME_MKDIR,		/* args: mode; payload: path */
	SCHEME_RMDIR,		/* payload: path */
	SCHEME_FSYNC,		/* id */
	SCHEME_FTRUNCATE,	/* id; args: length */
	SCHEME_CALL,		/* id; args[0..5]: anything -> result (tests) */
	SCHEME_OPCODE_MAX
};

struct scheme_sqe {
	uint16_t opcode;	/* enum scheme_opcode */
	uint16_t flags;		/* 0 */
	uint32_t payload_len;	/* bytes following this entry */
	uint64_t id;		/* the daemon's handle (from OPEN's result) */
	uint64_t args[6];
	uint64_t user_data;	/* echo it in the reply */
	uint64_t caller_pid;	/* who asked (for logging and permissions) */
};

struct scheme_cqe {
	uint64_t user_data;	/* from the request */
	int64_t result;		/* >= 0, or a negative errno */
	uint32_t flags;		/* opcode-specific (GETDENTS: next index) */
	uint32_t payload_len;	/* bytes following this entry */
};

#define SCHEME_MAX_PAYLOAD	65536	/* larger reads/writes are short */
#define SCHEME_NAME_MAX		32

_Static_assert(sizeof(struct scheme_sqe) == 80, "scheme_sqe layout");
_Static_assert(sizeof(struct scheme_cqe) == 24, "scheme_cqe layout");

#endif

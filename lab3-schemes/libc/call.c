/* call(2): a six-argument request defined by the file's scheme. */
#include <stdint.h>
#include <syscall.h>

long ochre_call(int fd, const uint64_t args[6]);

long ochre_call(int fd, const uint64_t args[6])
{
	return __syscall_ret(syscall2(SYS_CALL, fd, args));
}

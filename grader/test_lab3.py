"""Lab 3 (schemes): file descriptors, kernel schemes, user-space scheme
daemons, in-kernel execve, and a shell.

Most tests boot one user program from initfs:/bin as the first process
(init=NAME; the sources are lab3-schemes/user/NAME.c); it prints
"NAME: OK" when all its checks pass. To watch one yourself:
    make -C lab3-schemes qemu CMDLINE='init=fstest'
"""

import re

import pytest

from ochre.machine import POWEROFF

pytestmark = pytest.mark.lab(3)


@pytest.mark.points(4)
def test_files(ochre):
    """open/read/write/lseek/fstat/getdents/close on initfs (read-only) and
    on the ramfs daemon; unlink, mkdir, rmdir; null:, zero:, sys:."""
    ochre.user("fstest")


@pytest.mark.points(5)
def test_execve(ochre):
    """execve passes argv and envp through; a truncated, foreign, dynamic,
    overlapping, kernel-address or huge-bss ELF file makes execve fail with
    an error while the caller keeps running."""
    ochre.user("exectest")


@pytest.mark.points(3)
def test_fds(ochre):
    """EMFILE at 64 open files, EBADF for bad descriptors, dup/dup2
    semantics (lowest free fd, shared offset), close-on-exec."""
    ochre.user("fdtest")


@pytest.mark.points(4)
def test_pipes(ochre):
    """A pipe between two processes carries 100 KiB intact through its
    4 KiB buffer; EOF when the writer closes; EPIPE when the reader has;
    pipe2(O_CLOEXEC) ends are closed after exec, unknown flags EINVAL."""
    ochre.user("pipetest")


@pytest.mark.points(4)
def test_user_scheme(ochre):
    """A user-space daemon registers a scheme and serves every kind of
    request; every argument of a request (up to six) arrives intact."""
    ochre.user("schemetest")


@pytest.mark.points(4)
def test_daemon_death(ochre):
    """A daemon that dies in the middle of a request: the blocked client
    gets EIO instead of hanging, later calls fail with EIO, and the scheme
    name can be registered again."""
    ochre.user("daemondeath")


@pytest.mark.points(4)
def test_evil_daemon(ochre):
    """A daemon replying garbage (unknown ids, oversize results, malformed
    entries) cannot crash the kernel or confuse its client: the client gets
    EIO or a correct answer."""
    ochre.user("evildaemon")


@pytest.mark.points(3)
def test_paths(ochre):
    """Malformed paths give EINVAL/ENOENT/ENAMETOOLONG; relative paths,
    '.' and '..' resolve against the kernel's cwd (chdir/getcwd)."""
    ochre.user("pathtest")


@pytest.mark.points(3)
def test_open_leak(ochre):
    """50 rounds of opens and closes of initfs and ramfs files, failed
    opens, dups and pipes leave free frames and kernel heap blocks exactly
    at their baseline (one kept by any round shows)."""
    ochre.user("openleak")


@pytest.mark.points(3)
def test_syscall_fuzz(ochre):
    """Thousands of system calls with random numbers and arguments (kernel
    pointers, unmapped and non-canonical addresses, huge lengths, garbage
    paths) never panic or wedge the kernel, which works normally after."""
    ochre.user("syscallfuzz", timeout=90)


@pytest.mark.points(4)
def test_shell(ochre):
    """The shell from initfs runs programs with pipes and redirection into
    the ramfs daemon: `echo hi | cat > ramfs:/x; cat ramfs:/x` prints hi."""
    m = ochre.boot("", timeout=60)
    m.expect(r"\$ $")
    m.sendline("echo hi | cat > ramfs:/x; cat ramfs:/x")
    m.expect(r"^hi$", partial=False)
    m.expect(r"\$ $")
    m.sendline("wc < ramfs:/x")
    m.expect(r"^\s*1\s+1\s+3\b", partial=False)
    m.expect(r"\$ $")
    m.sendline("help")
    builtins = m.expect(r"^builtins: (.*)$", partial=False).group(1)
    progs = m.expect(r"^programs in initfs:/bin: (.*)$", partial=False).group(1).split()
    missing = [w for w in ("cd", "pwd", "exit", "help") if w not in builtins]
    missing += [p for p in ("cat", "echo", "ls", "sh", "wc") if p not in progs]
    if missing:
        m.fail(f"`help` does not list: {', '.join(missing)}")
    m.expect(r"\$ $")
    m.sendline("exit")
    m.expect(r"^ochre: init exited with status 0", partial=False)
    m.wait_exit(status=POWEROFF)


def test_damaged_initfs(ochre):
    """(No points: given code.) A damaged initfs image is refused at boot
    with a clear message, and the system still comes up: bootstrap's rescue
    shell can read the kernel's schemes."""
    m = ochre.boot("initfs_corrupt=0x100", timeout=60, rescue=True)
    m.expect(r"^initfs: image rejected \(crc: ", partial=False)
    m.expect(r"rescue> $")
    m.sendline("cat sys:/uname")
    m.expect(r"^Ochre lab\d-\S+ x86_64$", partial=False)
    m.expect(r"rescue> $")
    m.sendline("exit 0")
    m.expect(r"^ochre: init exited with status 0", partial=False)
    m.wait_exit(status=POWEROFF)

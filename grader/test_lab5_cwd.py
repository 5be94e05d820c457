"""Lab 5, libc's half: path canonicalization, the cwd and symlinks in libc
(lab5-initfs/libc/: path.c, cwd.c, open.c, exec_auxv.c).

Each test boots one user program as the first process (init=NAME; the
sources are lab5-initfs/user/NAME.c) that prints "NAME: OK" when all its
checks pass, or drives the shell. To watch one yourself:
    make -C lab5-initfs qemu CMDLINE='init=cwdtest'
The host half (the table and 100,000 random paths under ASan/UBSan) is
grader/host/test_canon.py.
"""

import pytest
from ochre.machine import POWEROFF

pytestmark = pytest.mark.lab(5)


@pytest.mark.points(3)
def test_canon_guest(ochre):
    """The canonicalization table through libc in the guest, then the same
    rules through a real cwd: open + fpath, realpath, a trailing slash is
    ENOTDIR on a file, mkdir/rmdir/unlink of relative paths."""
    ochre.user("canontest")


@pytest.mark.points(4)
def test_chdir_getcwd(ochre):
    """chdir relative, absolute ("/" is the cwd's scheme root) and across
    schemes (initfs: <-> ramfs:); ".." at a scheme root stays; ENOTDIR,
    ENOENT, EINVAL, EFAULT leave the cwd unchanged and no fd open after
    100 failed chdirs; fchdir; getcwd ERANGE at size = length, EINVAL at
    0, getcwd(NULL, 0) allocates."""
    ochre.user("cwdtest")


@pytest.mark.points(4)
def test_cwd_fork_exec(ochre):
    """The cwd survives fork (the child's chdir is its own) and exec:
    /bin/pwd prints ramfs:/d; exec by a relative name; a long cwd travels
    whole in the auxv; sh -c 'cd /bin; ls' lists initfs's /bin; the
    shell's cd, pwd and relative paths."""
    ochre.user("cwdexec")


@pytest.mark.points(5)
def test_symlinks(ochre):
    """libc follows symlinks, against link daemons the test runs itself
    (lnk:, lnk2:): O_SYMLINK and readlink give the target; EXDEV into
    another scheme; relative and absolute targets resolve against the
    link's directory, not the cwd; O_NOFOLLOW gives ELOOP; a link mid-path
    ENOTDIR; unlink does not follow; chdir and exec through a link; 8 links
    resolve, 9 give ELOOP, a self-loop and a loop across two schemes ELOOP;
    an empty target ENOENT, over-long targets ENAMETOOLONG; no fd leaked."""
    ochre.user("linktest")


@pytest.mark.points(2)
def test_enametoolong(ochre):
    """ENAMETOOLONG from libc for a PATH_MAX-byte path (4095 fits), a
    256-byte component (255 fits), a deep cwd plus a relative path that
    reaches PATH_MAX (one byte less fits); a path that collapses with ".."
    is measured after; getcwd of a deep cwd into a small buffer: ERANGE."""
    ochre.user("longpath")


@pytest.mark.points(3)
def test_shell_cd_pwd(ochre):
    """The shell's cd, pwd and relative paths as a Unix user expects:
    cd initfs:/bin; ls; cd ..; pwd prints initfs:/; cd ramfs:/ and
    relative files there; a failed cd leaves the directory alone; the
    cwd reaches the programs the shell runs (/bin/pwd)."""
    m = ochre.boot("", timeout=60)

    def run(cmd):
        m.expect(r"\$ $")
        m.sendline(cmd)

    run("cd initfs:/bin; ls")
    m.expect(r"^pwd$", partial=False)
    run("cd ..; pwd")
    m.expect(r"^initfs:/$", partial=False)
    run("cd bin; pwd; /bin/pwd")
    m.expect(r"^initfs:/bin$", partial=False)
    m.expect(r"^initfs:/bin$", partial=False)
    run("cd ramfs:/; mkdir d; cd d; echo hi > x; cat ./x ../d/x")
    m.expect(r"^hi$", partial=False)
    m.expect(r"^hi$", partial=False)
    run("cd /nosuch")
    m.expect(r"^sh: cd: /nosuch: no such file or directory$", partial=False)
    run("pwd; cd ..; cd ..; pwd")
    m.expect(r"^ramfs:/d$", partial=False)
    m.expect(r"^ramfs:/$", partial=False)
    run("exit")
    m.expect(r"^ochre: init exited with status 0", partial=False)
    m.wait_exit(status=POWEROFF)

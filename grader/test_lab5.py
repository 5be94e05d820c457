"""Lab 5 (userspace initfs): the kernel hands the initfs module to
bootstrap, bootstrap forks the initfs daemon and execs init, the kernel
takes canonical paths only. (libc's half, the cwd and path_canon, is
graded in test_lab5_cwd.py.)

Most tests boot one user program as init (init=NAME; the sources are
lab5-initfs/user/NAME.c), which prints "NAME: OK" when all its checks
pass. The damaged-image tests boot the lab's kernel with another initfs
module (the reproduce command a failure prints boots that same module).
To watch one yourself:
    make -C lab5-initfs qemu CMDLINE='init=initfsops'
"""

import os
import re
import struct
import zlib

import pytest
from ochre.machine import POWEROFF, TEST_FAILED

pytestmark = pytest.mark.lab(5)

HEADER = struct.Struct("<8sHHIQIIQQQII")      # struct initfs_header, 64 bytes
INODE = struct.Struct("<HHIQQQ")              # struct initfs_inode, 32 bytes
DIRENT = struct.Struct("<IHBBQ")              # struct initfs_dirent, 16 bytes
CRC_OFFSET = 56
INITFS_DIR = 1

# Symbols of the files lab 5 retires; none may be left in its kernel.
RETIRED_SYMBOLS = ["ifs_open", "initfs_setup", "sys_chdir", "sys_getcwd",
                   "cwd_fork", "path_canon"]


def build_dir(ochre):
    return ochre.grading.build_dir


def good_image(ochre):
    with open(os.path.join(build_dir(ochre), "initfs.img"), "rb") as f:
        return bytearray(f.read())


class Image:
    """An initfs image to damage: field access by name, CRC fixing."""

    def __init__(self, data):
        self.b = bytearray(data)
        (self.magic, self.version, _, _, self.image_size, self.inode_count, _,
         self.inode_off, _, _, _, _) = HEADER.unpack_from(self.b, 0)

    def inode(self, n):
        t, mode, _, off, size, _ = INODE.unpack_from(self.b, self.inode_off + 32 * n)
        return {"type": t, "off": off, "size": size}

    def dirent_at(self, directory, index):
        """Offset of entry `index` of inode `directory`."""
        ino = self.inode(directory)
        assert ino["type"] == INITFS_DIR and 16 * index < ino["size"]
        return ino["off"] + 16 * index

    def set_dirent(self, directory, index, inode=None, type_=None):
        at = self.dirent_at(directory, index)
        ino, name_len, t, res, name_off = DIRENT.unpack_from(self.b, at)
        DIRENT.pack_into(self.b, at, ino if inode is None else inode, name_len,
                         t if type_ is None else type_, res, name_off)
        return self

    def fix_crc(self):
        struct.pack_into("<I", self.b, CRC_OFFSET, 0)
        crc = zlib.crc32(bytes(self.b[:self.image_size])) & 0xffffffff
        struct.pack_into("<I", self.b, CRC_OFFSET, crc)
        return self


def damaged(name, data):
    """The damaged image `name` made from a good one, and the code the
    daemon must report (initfs_error_name in common/lib/initfs.c)."""
    img = Image(data)
    if name == "bad_magic":
        img.b[0] ^= 0xff
        return img.fix_crc().b, "magic"
    if name == "future_version":
        struct.pack_into("<H", img.b, 8, 2)
        return img.fix_crc().b, "version"
    if name == "truncated":
        return img.b[:len(img.b) // 2], "truncated"
    if name == "inode_out_of_range":      # root's first entry names no inode
        return img.set_dirent(0, 0, inode=img.inode_count + 5).fix_crc().b, "dirent"
    if name == "inode_twice":             # root's 2nd entry is its 1st dir again
        first = DIRENT.unpack_from(img.b, img.dirent_at(0, 0))[0]
        return img.set_dirent(0, 1, inode=first).fix_crc().b, "tree"
    if name == "directory_cycle":         # /bin's first entry is /bin itself
        bin_ino = DIRENT.unpack_from(img.b, img.dirent_at(0, 0))[0]
        img.set_dirent(bin_ino, 0, inode=bin_ino, type_=INITFS_DIR)
        return img.fix_crc().b, "tree"
    if name == "bad_crc":
        img.b[img.image_size - 100] ^= 0x55
        return img.b, "crc"
    raise ValueError(name)


def expect_rescue_then_exit(m, status):
    """bootstrap's rescue shell works, and leaving it ends the boot with
    bootstrap's failure status: a clean power-off, no panic."""
    m.expect(r"rescue> $")
    m.sendline("cat sys:/uname")
    m.expect(r"^Ochre lab\d-\S+ x86_64$", partial=False)
    m.expect(r"rescue> $")
    m.sendline("exit")
    m.expect(rf"^ochre: init exited with status {status}; powering off", partial=False)
    m.wait_exit(status=TEST_FAILED)


@pytest.mark.points(4)
def test_boot_from_daemon(ochre):
    """The kernel maps the initfs into bootstrap and passes it in the auxv;
    bootstrap's forked child serves initfs: (the daemon is init's child,
    named initfsd in sys:/contexts),
    bootstrap execs init keeping pid 1, init has fds 0-2 only, the kernel's
    chdir/getcwd are gone (ENOSYS) and so is every retired file."""
    img = Image(good_image(ochre))
    with open(os.path.join(build_dir(ochre), "kernel.sym")) as f:
        syms = set(line.split()[-1] for line in f if line.strip())
    left = [s for s in RETIRED_SYMBOLS if s in syms]
    m = ochre.boot("init=bootcheck")
    size = int(m.expect(r"^bootstrap: initfs at 0x[0-9a-f]+, (\d+) bytes$",
                        partial=False).group(1))
    if size != len(img.b):
        m.fail(f"bootstrap got an initfs of {size:#x} bytes in its auxv; "
               f"build/lab5/initfs.img has {len(img.b):#x}")
    got = m.expect(r"^initfsd: pid (\d+) serving (\d+) inodes$", partial=False)
    if int(got.group(2)) != img.inode_count:
        m.fail(f"the daemon serves {got.group(2)} inodes; the image has "
               f"{img.inode_count}")
    seen = m.expect(r"^bootcheck: daemon pid (\d+) ", partial=False)
    if seen.group(1) != got.group(1):
        m.fail(f"init's child is pid {seen.group(1)}, but the daemon said it was "
               f"pid {got.group(1)}")
    result = m.expect(r"^bootcheck: (OK|FAIL.*)$", partial=False)
    if result.group(1) != "OK":
        m.fail("bootcheck failed:", result.group(0))
    m.expect(r"^ochre: init exited with status 0", partial=False)
    m.wait_exit(status=POWEROFF)
    assert not left, f"lab 5's kernel still has symbols of retired files: {left}"


@pytest.mark.points(5)
def test_initfs_ops(ochre):
    """The daemon's operations (read, seek, fstat, getdents, close) and its
    errno table: EROFS, EEXIST, ENOTDIR, EISDIR, ENOENT, EBADF; a final
    symlink is EXDEV (ELOOP with O_NOFOLLOW, the link with O_SYMLINK), one
    mid-path ENOTDIR; odd requests; 1000 open/close cycles leak nothing."""
    ochre.user("initfsops")


@pytest.mark.points(3)
def test_kernel_rejects_noncanonical(ochre):
    """Raw open/unlink/mkdir/rmdir of non-canonical paths give EINVAL (the
    same strings work through libc), over-long ones ENAMETOOLONG, bad
    pointers EFAULT (also a path running into an unmapped page); no panic."""
    ochre.user("kstrict")


@pytest.mark.points(3)
def test_initfs_daemon_death(ochre):
    """init kills the initfs daemon: its open files give EIO, initfs: is
    gone (ENOENT) and its name free to register, waitpid reports the kill."""
    ochre.user("daemonkill")


DAMAGE = ["bad_magic", "future_version", "truncated", "inode_out_of_range",
          "inode_twice", "directory_cycle", "bad_crc"]


@pytest.mark.points(1)
@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_image(ochre, damage):
    """A damaged initfs image: the daemon names the problem on one line
    and exits before it is ready; bootstrap says so and offers its rescue
    shell; leaving it powers off with status 71. Never a panic or a hang."""
    data, code = damaged(damage, good_image(ochre))
    m = ochre.boot("", timeout=60, modules={"initfs": data}, rescue=True)
    # The daemon's reason comes first; a bootstrap line before it (other
    # than its greeting) means the daemon never said why.
    got = m.expect(r"^(?:initfs: image rejected \((\w+): .*\)|"
                   r"bootstrap: (?!initfs at ).*|initfsd: pid .*)$", partial=False)
    if got.group(1) is None:
        m.fail(f"the {damage} image: expected the daemon's one-line reason "
               f"'initfs: image rejected ({code}: ...)' first, got:", got.group(0))
    if got.group(1) != code:
        m.fail(f"the {damage} image was rejected as '{got.group(1)}', "
               f"expected '{code}'", got.group(0))
    m.expect(r"^bootstrap: initfs daemon failed \(status 2\)$", partial=False)
    expect_rescue_then_exit(m, 71)


@pytest.mark.points(2)
def test_boot_failures(ochre):
    """No initfs module at all: bootstrap says so and offers its rescue
    shell, whose exit powers off with status 70; an init= that does not
    exist: bootstrap names the path and errno and (init= given: nobody at
    the console) exits at once with status 72."""
    m = ochre.boot("", timeout=60, modules={"initfs": None}, rescue=True)
    m.expect(r"^bootstrap: no initfs", partial=False)
    expect_rescue_then_exit(m, 70)
    m = ochre.boot("init=/bin/nosuch", timeout=60)
    got = m.expect(r"^bootstrap: (?!initfs at ).*$", partial=False)
    if not re.match(r"bootstrap: exec initfs:/bin/nosuch: .*[Nn]o such file",
                    got.group(0)):
        m.fail("init=/bin/nosuch: expected 'bootstrap: exec initfs:/bin/nosuch: "
               "No such file or directory', got:", got.group(0))
    m.expect(r"^ochre: init exited with status 72; powering off", partial=False)
    m.wait_exit(status=TEST_FAILED)


@pytest.mark.points(3)
def test_fork_shares_initfs(ochre):
    """With an initfs module padded to 8 MiB, the frames free when init
    starts show that the fork of the daemon shared the image instead of
    copying it (and that exec did not free it: the daemon still serves)."""
    pad = 8 << 20
    data = good_image(ochre)
    data += bytes(pad - len(data))       # bytes after image_size are allowed
    m = ochre.boot("init=bootcheck", timeout=60,
                   modules={"initfs": data})
    boot_free = int(m.expect(r"^memory: \d+ MiB usable, (\d+) frames free$",
                             partial=False).group(1))
    init_free = int(m.expect(r"^bootcheck: free frames (\d+)$",
                             partial=False).group(1))
    used = boot_free - init_free
    image_pages = pad // 4096
    if used >= image_pages // 4:
        m.fail(f"booting to init used {used:#x} frames; the initfs is "
               f"{image_pages:#x} pages: it was copied, not shared")
    result = m.expect(r"^bootcheck: (OK|FAIL.*)$", partial=False)
    if result.group(1) != "OK":
        m.fail("bootcheck failed:", result.group(0))
    m.wait_exit(status=POWEROFF)


def test_borrowed_frames(ochre):
    """(No points: given code.) On the initfs module's own frames: a copied
    address space shares them, mprotect cannot make them writable (EACCES),
    and tearing both spaces down frees none of them."""
    ochre.ktest("borrowed_frames")

"""Host tests of the initfs reader (common/lib/initfs.c) and of mkinitfs
(common/tools/mkinitfs.c).

Both are compiled for the host with ASan and UBSan. The reader is driven by
initfs_host.c (see its header); every image it accepts is walked and read
completely by fuzz/check_initfs.h, which checks the tree and every accessor
against each other. mkinitfs is checked against an independent packer
written here in Python from the format description (<ochre/initfs.h>):
for the same tree the two must produce the same bytes.

Malformed images are made from a good one by editing fields with the Image
class below (the CRC is fixed up afterwards, so each reaches the rule it
breaks), or built outright by the Python packer with chosen inode numbers
(cycles, unreachable inodes, non-breadth-first numbering).

The last tests run the fuzz target (fuzz/fuzz_initfs.c) with the standalone
engine over the kept corpus (corpus/initfs/), and compile initfs.c with the
kernel's flags and mkinitfs with the Makefile's command under gcc and clang.

Maintainer tests (`make host-test`), worth no points:
    /usr/bin/python3 -m pytest grader/host/test_initfs.py -q
"""

import os
import re
import socket
import stat
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "grader" / "host"
FUZZ = HOST / "fuzz"
CORPUS = HOST / "corpus" / "initfs"
INITFS_C = ROOT / "common" / "lib" / "initfs.c"
MKINITFS_C = ROOT / "common" / "tools" / "mkinitfs.c"

from conftest import SANITIZE, SANITIZER_ENV, built_once, compile_c, compiler_include, compilers  # noqa: E402
from conftest import sanitized_objects  # noqa: E402
from conftest import kernel_flags  # noqa: E402
from conftest import run as run_host  # noqa: E402
# What common/mk/lab.mk runs to build $(B)/tools/mkinitfs: no sanitizers,
# and the host libc's string functions (common/lib/string.c is not linked).
MKINITFS_BUILD = ["-O2", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "common" / "include")]


def run(argv, check_sanitizers=True, **kw):
    return run_host(argv, check_sanitizers, text=False, **kw)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return built_once(tmp_path_factory, "initfs_host",
                      lambda out: compile_c([HOST / "initfs_host.c", INITFS_C], out))


@pytest.fixture(scope="module")
def mkinitfs(tmp_path_factory):
    return built_once(tmp_path_factory, "mkinitfs",
                      lambda out: compile_c([MKINITFS_C, INITFS_C], out))


# ---- the format, in Python -----------------------------------------------------

HEADER = struct.Struct("<8sHHIQIIQQQII")
INODE = struct.Struct("<HHIQQQ")
DIRENT = struct.Struct("<IHBBQ")
HEADER_FIELDS = ("magic version header_size flags image_size inode_count inode_size "
                 "inode_off strtab_off strtab_size crc32 reserved").split()
INODE_FIELDS = "type mode reserved off size mtime".split()
DIRENT_FIELDS = "inode name_len type reserved name_off".split()
DIR, FILE, LINK = 1, 2, 3
F_NO_CRC = 1
PAGE = 4096
assert (HEADER.size, INODE.size, DIRENT.size) == (64, 32, 16)


def image_crc(b):
    return zlib.crc32(bytes(b[:56]) + bytes(4) + bytes(b[60:]))


class File:
    def __init__(self, data=b"", mode=0o644):
        self.data, self.mode = data, mode


class Dir:
    def __init__(self, entries=None, mode=0o755):
        self.entries, self.mode = dict(entries or {}), mode


class Link:
    def __init__(self, target, mode=0o777):
        self.target, self.mode = target, mode


def pack_raw(inodes, mtime=0, no_crc=False):
    """An image of `inodes`, a list of (type, mode, payload): payload is a
    list of (name bytes, inode number) for a directory (in the given order),
    bytes for a file or a symlink's target. Laid out as mkinitfs does; the
    numbering is whatever the caller chose."""
    n = len(inodes)
    off = 64 + 32 * n
    where = [0] * n
    for i, (t, _, payload) in enumerate(inodes):
        if t == DIR and payload:
            off = (off + 7) & ~7
            where[i] = off
            off += 16 * len(payload)
    strtab_off = off
    names = {}
    for i, (t, _, payload) in enumerate(inodes):
        if t == DIR:
            for k, (name, _) in enumerate(payload):
                names[i, k] = off
                off += len(name)
    for i, (t, _, payload) in enumerate(inodes):
        if t == LINK:
            where[i] = off
            off += len(payload)
    strtab_size = off - strtab_off
    for i, (t, _, payload) in enumerate(inodes):
        if t == FILE and payload:
            off = (off + PAGE - 1) & ~(PAGE - 1)
            where[i] = off
            off += len(payload)
    b = bytearray(off)
    HEADER.pack_into(b, 0, b"OCHRINIT", 1, 64, F_NO_CRC if no_crc else 0, off, n, 32,
                     64, strtab_off, strtab_size, 0, 0)
    for i, (t, mode, payload) in enumerate(inodes):
        size = 16 * len(payload) if t == DIR else len(payload)
        INODE.pack_into(b, 64 + 32 * i, t, mode, 0, where[i], size, mtime)
        if t == DIR:
            for k, (name, child) in enumerate(payload):
                DIRENT.pack_into(b, where[i] + 16 * k, child, len(name), inodes[child][0], 0,
                                 names[i, k])
                b[names[i, k]:names[i, k] + len(name)] = name
        else:
            b[where[i]:where[i] + len(payload)] = payload
    if not no_crc:
        struct.pack_into("<I", b, 56, image_crc(b))
    return bytes(b)


def pack(root, **kw):
    """The image of a tree of Dir/File/Link, numbered breadth-first with
    entries sorted bytewise: what mkinitfs must produce for it."""
    nodes, i = [root], 0
    inodes = []
    while i < len(nodes):
        node = nodes[i]
        if isinstance(node, Dir):
            payload = []
            for name in sorted(node.entries, key=os.fsencode):
                payload.append((os.fsencode(name), len(nodes)))
                nodes.append(node.entries[name])
            inodes.append((DIR, node.mode, payload))
        elif isinstance(node, File):
            inodes.append((FILE, node.mode, node.data))
        else:
            inodes.append((LINK, node.mode, os.fsencode(node.target)))
        i += 1
    return pack_raw(inodes, **kw)


def write_tree(root, path):
    """Creates the tree on disk (modes set exactly, whatever the umask)."""
    path.mkdir()
    for name, node in sorted(root.entries.items(), reverse=True):
        p = path / name
        if isinstance(node, Dir):
            write_tree(node, p)
        elif isinstance(node, File):
            p.write_bytes(node.data)
            p.chmod(node.mode)
        else:
            p.symlink_to(node.target)
    path.chmod(root.mode)


class Image:
    """A mutable image: header(), inode(i), dirent(d, k) read fields;
    set_header(), set_inode(), set_dirent() change them; fix_crc()."""

    def __init__(self, data):
        self.b = bytearray(data)

    def header(self):
        return dict(zip(HEADER_FIELDS, HEADER.unpack_from(self.b, 0)))

    def set_header(self, **changes):
        h = self.header()
        h.update(changes)
        HEADER.pack_into(self.b, 0, *(h[f] for f in HEADER_FIELDS))
        return self

    def inode_at(self, i):
        return self.header()["inode_off"] + 32 * i

    def inode(self, i):
        return dict(zip(INODE_FIELDS, INODE.unpack_from(self.b, self.inode_at(i))))

    def set_inode(self, i, **changes):
        n = self.inode(i)
        n.update(changes)
        INODE.pack_into(self.b, self.inode_at(i), *(n[f] for f in INODE_FIELDS))
        return self

    def dirent_at(self, d, k):
        return self.inode(d)["off"] + 16 * k

    def dirent(self, d, k):
        return dict(zip(DIRENT_FIELDS, DIRENT.unpack_from(self.b, self.dirent_at(d, k))))

    def set_dirent(self, d, k, **changes):
        e = self.dirent(d, k)
        e.update(changes)
        DIRENT.pack_into(self.b, self.dirent_at(d, k), *(e[f] for f in DIRENT_FIELDS))
        return self

    def name(self, d, k):
        e = self.dirent(d, k)
        return bytes(self.b[e["name_off"]:e["name_off"] + e["name_len"]])

    def poke(self, offset, data):
        self.b[offset:offset + len(data)] = data
        return self

    def fix_crc(self):
        if not self.header()["flags"] & F_NO_CRC:
            struct.pack_into("<I", self.b, 56, image_crc(self.b))
        return bytes(self.b)


# The standard fixture tree and its inode numbers (breadth-first, sorted):
#   0 /   1 bin  2 etc  3 links  4 readme
#   5 bin/echo  6 bin/sh  7 etc/empty  8 etc/motd  9 links/rel  10 links/toram
ECHO = bytes((i * 7 + 3) & 0xff for i in range(5000))


def fixture_tree():
    return Dir({
        "bin": Dir({"echo": File(ECHO, 0o755), "sh": File(b"#", 0o755)}),
        "etc": Dir({"empty": Dir(mode=0o700), "motd": File(b"hello\n")}),
        "links": Dir({"rel": Link("../bin/echo"), "toram": Link("ramfs:/t")}),
        "readme": File(b"", 0o600),
    })


LISTING = """\
d0755         64 /
d0755         32 /bin
-0755       5000 /bin/echo
-0755          1 /bin/sh
d0755         32 /etc
d0700          0 /etc/empty
-0644          6 /etc/motd
d0755         32 /links
l0777         11 /links/rel -> ../bin/echo
l0777          8 /links/toram -> ramfs:/t
-0600          0 /readme
"""


@pytest.fixture(scope="module")
def good_image(mkinitfs, tmp_path_factory):
    """(path, bytes) of the fixture tree packed by mkinitfs."""
    tmp = tmp_path_factory.mktemp("good")
    write_tree(fixture_tree(), tmp / "src")
    out = tmp / "good.img"
    proc = run([mkinitfs, "-o", out, tmp / "src"])
    assert proc.returncode == 0, proc.stderr
    return out, out.read_bytes()


@pytest.fixture
def check(driver, tmp_path):
    """check(bytes, skip_crc=False) -> ("ok", None) or (code, reason)."""
    count = [0]

    def check_(data, skip_crc=False):
        path = tmp_path / f"img{count[0]}"
        count[0] += 1
        path.write_bytes(data)
        proc = run([driver, "check", path] + (["--skip-crc"] if skip_crc else []))
        out = proc.stdout.decode()
        assert proc.returncode in (0, 1), out + proc.stderr.decode()
        if proc.returncode == 0:
            return "ok", None
        m = re.match(r"bad (\w+) offset=0x[0-9a-f]+ inode=[-\d]+: (.*)", out)
        assert m, out
        return m.group(1), m.group(2)
    return check_


# ---- CRC, packing and reading back ----------------------------------------------

def test_crc32_matches_zlib(driver, tmp_path):
    for size in (0, 1, 5, 1000, 4097, 100003):
        data = bytes((i * 131 + size) & 0xff for i in range(size))
        path = tmp_path / f"d{size}"
        path.write_bytes(data)
        proc = run([driver, "crc", path])
        assert proc.stdout.decode().strip() == f"{zlib.crc32(data):08x}", size


def test_mkinitfs_matches_the_reference_packer(good_image):
    """mkinitfs and the Python packer agree on every byte: layout, numbering,
    sorting, padding and CRC follow the format, not one implementation."""
    _, data = good_image
    assert data == pack(fixture_tree())
    h = Image(data).header()
    assert h["inode_count"] == 11 and h["image_size"] == len(data)
    assert image_crc(data) == h["crc32"]


def test_check_lists_the_tree(mkinitfs, good_image):
    path, data = good_image
    proc = run([mkinitfs, "--check", path])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == (f"# initfs v1: 11 inodes, {len(data)} bytes, "
                        f"crc32 0x{Image(data).header()['crc32']:08x}")
    assert "\n".join(lines[1:]) + "\n" == LISTING


def test_driver_walks_the_same_tree(driver, good_image):
    proc = run([driver, "list", good_image[0]])
    assert proc.returncode == 0
    assert proc.stdout.decode() == LISTING


@pytest.mark.parametrize("path,content", [
    ("/bin/echo", ECHO), ("bin/sh", b"#"), ("/etc/motd", b"hello\n"), ("/readme", b""),
    ("/links/rel", b"../bin/echo"), ("/links/toram", b"ramfs:/t"),
])
def test_read_back(driver, good_image, path, content):
    proc = run([driver, "cat", good_image[0], path])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == content


LOOKUPS = [
    # path, expected: inode number or errno name
    ("/", 0), ("", 0), ("bin", 1), ("/bin", 1), ("/bin/sh", 6), ("/etc/empty", 7),
    ("/links/rel", 9),                  # the link itself: never followed
    ("/readme", 4),
    ("/nope", "ENOENT"), ("/bin/nope", "ENOENT"), ("/etc/empty/x", "ENOENT"),
    ("/bi", "ENOENT"), ("/binx", "ENOENT"), ("/BIN", "ENOENT"),
    ("/bin/sh/x", "ENOTDIR"), ("/readme/x", "ENOTDIR"),
    ("/links/rel/x", "ENOTDIR"),        # a symlink in the middle of a path
    ("/bin/", "EINVAL"), ("//bin", "EINVAL"), ("/bin//sh", "EINVAL"), ("//", "EINVAL"),
    ("/./bin", "EINVAL"), ("/bin/.", "EINVAL"), ("/bin/..", "EINVAL"), ("..", "EINVAL"),
    ("/nope/../bin", "EINVAL"),         # syntax is checked before anything is looked up
    ("/bin/sh\0x", "EINVAL"), ("/bin\0", "EINVAL"),
    ("/" + "a" * 255, "ENOENT"), ("/" + "a" * 256, "ENAMETOOLONG"),
    ("/nope/" + "a" * 256, "ENAMETOOLONG"),
    ("/bin" * 1023, "ENOENT"),          # 4092 bytes: long, but allowed
    ("/" + "a/" * 2047 + "b", "ENAMETOOLONG"),   # 4096 bytes
]


@pytest.mark.parametrize("path,expect", LOOKUPS,
                         ids=[repr(p[:20]) + (f"..{len(p)}" if len(p) > 20 else "")
                              for p, _ in LOOKUPS])
def test_lookup(driver, good_image, path, expect):
    proc = run([driver, "lookup", good_image[0], path.encode().hex()])
    out = proc.stdout.decode().strip()
    if isinstance(expect, int):
        assert proc.returncode == 0 and out.startswith(f"ino={expect} "), out
    else:
        assert proc.returncode == 1 and out == expect, out


def test_reproducible(mkinitfs, good_image, tmp_path):
    """Another run, on a copy of the tree created in another order at
    another time, gives the same bytes; --mtime changes only mtimes (and
    the CRC)."""
    write_tree(fixture_tree(), tmp_path / "src")
    for p in sorted((tmp_path / "src").rglob("*")):
        if not p.is_symlink():
            os.utime(p, (12345, 12345))
    out = tmp_path / "again.img"
    assert run([mkinitfs, "-o", out, tmp_path / "src"]).returncode == 0
    assert out.read_bytes() == good_image[1]

    stamped = tmp_path / "stamped.img"
    assert run([mkinitfs, "--mtime", "1234", "-o", stamped, tmp_path / "src"]).returncode == 0
    img = Image(stamped.read_bytes())
    assert all(img.inode(i)["mtime"] == 1234 for i in range(11))
    for i in range(11):
        img.set_inode(i, mtime=0)
    assert img.fix_crc() == good_image[1]


def test_no_crc(mkinitfs, check, tmp_path, good_image):
    write_tree(fixture_tree(), tmp_path / "src")
    out = tmp_path / "nocrc.img"
    assert run([mkinitfs, "--no-crc", "-o", out, tmp_path / "src"]).returncode == 0
    img = Image(out.read_bytes())
    assert img.header()["flags"] == F_NO_CRC and img.header()["crc32"] == 0
    assert check(bytes(img.b)) == ("ok", None)
    # Without a CRC, corrupt file data goes unnoticed; with one, it does not.
    echo = img.inode(5)["off"]
    assert check(bytes(img.poke(echo, b"X").b)) == ("ok", None)
    assert check(bytes(Image(good_image[1]).poke(echo, b"X").b))[0] == "crc"


def test_every_truncation_is_rejected(driver, good_image):
    """Every prefix of the image is 'truncated' (exact-size buffers, so an
    overread would be an ASan report)."""
    proc = run([driver, "truncate", good_image[0]])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith(f"truncate: {len(good_image[1])} prefixes")


def test_trailing_bytes_after_the_image_are_ignored(check, good_image):
    # A module may be longer than the image (image_size <= length).
    assert check(good_image[1] + bytes(100)) == ("ok", None)


# ---- malformed images ------------------------------------------------------------------

def bad_cases(good):
    """name -> (image bytes, expected code, reason regex). Each breaks one
    rule of a good image; the CRC is fixed unless the CRC is the point."""
    G = lambda: Image(good)                      # noqa: E731
    h = G().header()
    strtab, n = h["strtab_off"], h["inode_count"]
    name_of = lambda d, k: G().dirent(d, k)      # noqa: E731
    cases = {
        "empty": (b"", "truncated", "header"),
        "header_63": (good[:63], "truncated", "header"),
        "half": (good[:len(good) // 2], "truncated", "image_size"),
        "bad_magic": (G().set_header(magic=b"OCHRINIX").fix_crc(), "magic", ""),
        "redox_magic": (b"RedoxFtw" + good[8:], "magic", ""),
        "version_0": (G().set_header(version=0).fix_crc(), "version", ""),
        "version_2": (G().set_header(version=2).fix_crc(), "version", ""),
        "header_size_72": (G().set_header(header_size=72).fix_crc(), "header", "header_size"),
        "unknown_flag": (G().set_header(flags=0x80).fix_crc(), "header", "flags"),
        "reserved": (G().set_header(reserved=1).fix_crc(), "header", "reserved"),
        "image_size_too_big": (G().set_header(image_size=len(good) + 1).fix_crc(),
                               "truncated", "image_size"),
        "image_size_63": (G().set_header(image_size=63).fix_crc(), "header", "image_size"),
        "bad_crc": (G().poke(len(good) - 1, b"\xff").b, "crc", "checksum"),
        "crc_with_no_crc_flag": (G().set_header(flags=F_NO_CRC).b, "header", "crc32"),
        "inode_size_40": (G().set_header(inode_size=40).fix_crc(), "header", "inode_size"),
        "inode_count_0": (G().set_header(inode_count=0).fix_crc(), "header", "inode_count"),
        "inode_count_70000": (G().set_header(inode_count=70000).fix_crc(), "header",
                              "inode_count"),
        "inode_table_past_end": (G().set_header(inode_count=60000).fix_crc(), "range",
                                 "inode table"),
        "inode_off_unaligned": (G().set_header(inode_off=68).fix_crc(), "align", "inode table"),
        "inode_off_wraps": (G().set_header(inode_off=2**64 - 32).fix_crc(), "range",
                            "inode table"),
        "strtab_past_end": (G().set_header(strtab_size=len(good)).fix_crc(), "range",
                            "string table"),
        "strtab_wraps": (G().set_header(strtab_off=2**64 - 8, strtab_size=16).fix_crc(),
                         "range", "string table"),
        "unknown_type": (G().set_inode(5, type=4).fix_crc(), "inode", "type"),
        "type_0": (G().set_inode(5, type=0).fix_crc(), "inode", "type"),
        "root_is_a_file": (G().set_inode(0, type=FILE).fix_crc(), "inode", "root"),
        "inode_reserved": (G().set_inode(6, reserved=1).fix_crc(), "inode", "reserved"),
        "mode_too_big": (G().set_inode(6, mode=0o10000).fix_crc(), "inode", "mode"),
        "dir_size_17": (G().set_inode(1, size=17).fix_crc(), "inode", "multiple of 16"),
        "dir_past_end": (G().set_inode(1, off=len(good) - 16, size=32).fix_crc(), "range",
                         "directory"),
        "dir_unaligned": (G().set_inode(1, off=G().inode(1)["off"] + 4).fix_crc(), "align",
                          "directory"),
        "file_past_end": (G().set_inode(5, size=len(good)).fix_crc(), "range", "file data"),
        "file_size_wraps": (G().set_inode(5, size=2**64 - 1).fix_crc(), "range", "file data"),
        "file_unaligned": (G().set_inode(5, off=G().inode(5)["off"] + 8, size=10).fix_crc(),
                           "align", "page"),
        "symlink_empty": (G().set_inode(9, size=0).fix_crc(), "inode", "symlink"),
        "symlink_4096": (G().set_inode(9, size=4096).fix_crc(), "inode", "symlink"),
        "symlink_outside_strtab": (G().set_inode(9, off=0).fix_crc(), "range", "symlink"),
        "symlink_with_nul": (G().poke(G().inode(9)["off"] + 2, b"\0").fix_crc(), "inode", "NUL"),
        "dirent_inode_out_of_range": (G().set_dirent(1, 0, inode=n).fix_crc(), "dirent",
                                      "out of range"),
        "dirent_inode_9999": (G().set_dirent(0, 3, inode=9999).fix_crc(), "dirent",
                              "out of range"),
        "dirent_reserved": (G().set_dirent(1, 1, reserved=1).fix_crc(), "dirent", "reserved"),
        "dirent_type_mismatch": (G().set_dirent(1, 1, type=DIR).fix_crc(), "dirent", "type"),
        "name_outside_strtab": (G().set_dirent(0, 0, name_off=0).fix_crc(), "range", "name"),
        "name_len_0": (G().set_dirent(0, 0, name_len=0).fix_crc(), "name", "length"),
        "name_past_strtab": (G().set_dirent(0, 0, name_len=300).fix_crc(), "range", "name"),
        "name_with_slash": (G().poke(name_of(1, 0)["name_off"] + 1, b"/").fix_crc(), "name",
                            "'/'"),
        "name_with_nul": (G().poke(name_of(1, 1)["name_off"] + 1, b"\0").fix_crc(), "name",
                          "NUL"),
        "name_dot": (G().set_dirent(1, 0, name_len=1).poke(name_of(1, 0)["name_off"], b".")
                     .fix_crc(), "name", r'"\."'),
        "name_dotdot": (G().set_dirent(0, 3, name_len=2).poke(name_of(0, 3)["name_off"], b"..")
                        .fix_crc(), "name", r"\.\."),
        "names_unsorted": (G().set_dirent(0, 0, name_off=name_of(0, 1)["name_off"],
                                          name_len=name_of(0, 1)["name_len"])
                           .set_dirent(0, 1, name_off=name_of(0, 0)["name_off"],
                                       name_len=name_of(0, 0)["name_len"]).fix_crc(),
                           "order", "sorted"),
        "duplicate_name": (G().set_dirent(0, 1, name_off=name_of(0, 0)["name_off"],
                                          name_len=name_of(0, 0)["name_len"]).fix_crc(),
                           "order", "twice"),
        "prefix_after_longer": (G().set_dirent(1, 1, name_off=name_of(1, 0)["name_off"],
                                               name_len=2).fix_crc(), "order", ""),
        "dir_contains_itself": (G().set_dirent(1, 0, inode=1, type=DIR).fix_crc(), "tree",
                                "twice"),
        "cycle_to_root": (G().set_dirent(1, 1, inode=0, type=DIR).fix_crc(), "tree", "root"),
        # etc/motd -> bin/echo's inode, which bin (walked before etc) named.
        "hard_link": (G().set_dirent(2, 1, inode=5).fix_crc(), "tree", "twice"),
        # readme -> bin/sh's inode before bin was walked: out of order.
        "hard_link_forward": (G().set_dirent(0, 3, inode=6).fix_crc(), "tree",
                              "breadth-first"),
        "not_breadth_first": (G().set_dirent(1, 0, inode=6).set_dirent(1, 1, inode=5)
                              .fix_crc(), "tree", "breadth-first"),
        "unreachable": (G().set_inode(3, size=16).fix_crc(), "tree", "reachable"),
    }
    # etc/empty (7) given bin's entry array: two directories list echo (5).
    img = G()
    cases["dirs_share_entries"] = (img.set_inode(7, off=img.inode(1)["off"], size=16)
                                   .fix_crc(), "tree", "twice")
    return cases


def bad_raw_cases():
    """Trees with chosen numbering, built by the reference packer."""
    f = (FILE, 0o644, b"")
    return {
        # Every inode referenced exactly once, but 2 and 3 form a cycle
        # that the root cannot reach.
        "disconnected_cycle": (pack_raw([(DIR, 0o755, [(b"a", 1)]), f,
                                         (DIR, 0o755, [(b"x", 3)]),
                                         (DIR, 0o755, [(b"y", 2)])]), "tree", "reachable"),
        # A self-loop nobody else references.
        "disconnected_self_loop": (pack_raw([(DIR, 0o755, [(b"a", 1)]), f,
                                             (DIR, 0o755, [(b"me", 2)])]), "tree", "reachable"),
        # A correct tree numbered depth-first: the format wants breadth-first.
        "depth_first_numbering": (pack_raw([(DIR, 0o755, [(b"a", 1), (b"b", 3)]),
                                            (DIR, 0o755, [(b"c", 2)]), f, f]),
                                  "tree", "breadth-first"),
        "root_in_its_own_dir": (pack_raw([(DIR, 0o755, [(b"self", 0)])]), "tree", "root"),
        "orphan_file": (pack_raw([(DIR, 0o755, []), f]), "tree", "reachable"),
    }


def test_bad_case_catalogue_is_complete(good_image):
    # About 60 malformed images; none of them is accidentally the good one.
    cases = {**bad_cases(good_image[1]), **bad_raw_cases()}
    assert len(cases) >= 55
    assert all(bytes(data) != good_image[1] for data, _, _ in cases.values())


@pytest.fixture(scope="module")
def catalogue(good_image):
    return {**bad_cases(good_image[1]), **bad_raw_cases()}


CASE_NAMES = sorted(bad_cases(pack(fixture_tree()))) + sorted(bad_raw_cases())


@pytest.mark.parametrize("name", CASE_NAMES)
def test_malformed_image_is_rejected(check, catalogue, name):
    data, code, reason = catalogue[name]
    got, why = check(bytes(data))
    assert re.fullmatch(code, got), f"{name}: expected {code}, got {got}: {why}"
    assert re.search(reason, why), f"{name}: reason {why!r} does not match /{reason}/"


def test_raw_packer_accepts_what_it_should(check):
    """The reference packer's own good trees validate (so the raw cases fail
    for the reason they were built for)."""
    f = (FILE, 0o644, b"data")
    ok = pack_raw([(DIR, 0o755, [(b"a", 1), (b"b", 2)]), (DIR, 0o755, [(b"c", 3)]), f, f])
    assert check(ok) == ("ok", None)
    assert check(pack_raw([(DIR, 0o755, [])])) == ("ok", None)


# ---- mkinitfs errors --------------------------------------------------------------------

def mk_fails(mkinitfs, src, out, *args):
    """Runs mkinitfs expecting failure: exit 1, one "mkinitfs: " line, no
    output file and no temporary file left."""
    proc = run([mkinitfs, *args, "-o", out, src])
    err = proc.stderr.decode()
    assert proc.returncode == 1, (proc.returncode, err)
    assert err.startswith("mkinitfs: ") and err.count("\n") == 1, err
    assert not out.exists() and not Path(f"{out}.tmp").exists()
    return err


def test_rejects_fifo(mkinitfs, tmp_path):
    src = tmp_path / "src"
    write_tree(fixture_tree(), src)
    os.mkfifo(src / "etc" / "pipe")
    err = mk_fails(mkinitfs, src, tmp_path / "out.img")
    assert err == (f"mkinitfs: {src}/etc/pipe: is a FIFO (only regular files, "
                   "directories and symlinks can go into an initfs)\n")


def test_rejects_socket(mkinitfs, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(src / "sock"))
        err = mk_fails(mkinitfs, src, tmp_path / "out.img")
    finally:
        s.close()
    assert "sock: is a socket" in err


def test_rejects_device(mkinitfs, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    try:
        os.mknod(src / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs privileges")
    assert "null: is a character device" in mk_fails(mkinitfs, src, tmp_path / "out.img")


def test_rejects_missing_or_non_directory_source(mkinitfs, tmp_path):
    assert "No such file" in mk_fails(mkinitfs, tmp_path / "nope", tmp_path / "out.img")
    (tmp_path / "file").write_text("x")
    assert "not a directory" in mk_fails(mkinitfs, tmp_path / "file", tmp_path / "out.img")


def test_max_size(mkinitfs, tmp_path):
    src = tmp_path / "src"
    write_tree(fixture_tree(), src)
    size = len(pack(fixture_tree()))
    assert run([mkinitfs, "--max-size", str(size), "-o", tmp_path / "a.img", src]).returncode == 0
    err = mk_fails(mkinitfs, src, tmp_path / "b.img", "--max-size", str(size - 1))
    assert "larger than --max-size" in err
    assert run([mkinitfs, "--max-size=1M", "-o", tmp_path / "c.img", src]).returncode == 0


def test_inode_limit(mkinitfs, tmp_path):
    """65,535 inodes (the root and 65,534 files) fit; one more does not."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(65534):
        os.close(os.open(src / f"f{i:05}", os.O_CREAT | os.O_WRONLY, 0o644))
    out = tmp_path / "max.img"
    assert run([mkinitfs, "-o", out, src]).returncode == 0
    # (The ASan driver's full walk of 65,535 inodes would take seconds; the
    # layout is the same as for any other image, so the header will do.)
    assert Image(out.read_bytes()).header()["inode_count"] == 65535
    out.unlink()
    (src / "one-more").touch()
    assert "at most 65535 inodes" in mk_fails(mkinitfs, src, out)


def test_check_reports_a_bad_image(mkinitfs, good_image, tmp_path):
    bad = tmp_path / "bad.img"
    bad.write_bytes(Image(good_image[1]).set_dirent(2, 1, inode=5).fix_crc())
    proc = run([mkinitfs, "--check", bad])
    assert proc.returncode == 1 and proc.stdout == b""
    assert re.fullmatch(rf"mkinitfs: {bad}: bad image: tree at offset 0x[0-9a-f]+ "
                        r"\(inode 2\): inode referenced twice.*\n", proc.stderr.decode())


def test_usage_errors(mkinitfs, tmp_path):
    assert run([mkinitfs]).returncode == 2
    assert run([mkinitfs, "--bogus", tmp_path]).returncode == 1
    assert run([mkinitfs, "--max-size", "lots", tmp_path]).returncode == 1


def test_output_replaces_old_file_atomically(mkinitfs, tmp_path, good_image):
    src = tmp_path / "src"
    write_tree(fixture_tree(), src)
    out = tmp_path / "out.img"
    out.write_bytes(b"old")
    assert run([mkinitfs, "-o", out, src]).returncode == 0
    assert out.read_bytes() == good_image[1]
    assert not Path(f"{out}.tmp").exists()


# ---- fuzzing and builds ---------------------------------------------------------------------

def test_corpus_is_small_and_its_seeds_are_valid(check):
    files = sorted(CORPUS.iterdir())
    assert 1 <= len(files) <= 50
    assert sum(f.stat().st_size for f in files) <= 200 * 1024
    oks = [f for f in files if f.name.startswith("ok-")]
    assert len(oks) >= 3, "keep a few valid seeds (ok-*) in the corpus"
    for f in oks:
        assert check(f.read_bytes()) == ("ok", None), f"{f.name} is no longer accepted"
    for f in files:
        if f.name.startswith("bad-"):
            assert check(f.read_bytes()) != ("ok", None), f"{f.name} is accepted"


# The fuzz engine and target, compiled once per run; each test links them
# with its parser (the real one, or a broken copy that finds its headers
# next to the original: -iquote).
FUZZ_FLAGS = [*SANITIZE, "-iquote", str(INITFS_C.parent), "-Wno-unused-function",
                "-Wno-unused-variable", "-Wno-unused-but-set-variable"]


def fuzz_engine(tmp_path_factory):
    return sanitized_objects(tmp_path_factory, [FUZZ / "fuzz_main.c", FUZZ / "fuzz_initfs.c"],
                             FUZZ_FLAGS)


def test_fuzz_target_standalone(tmp_path, tmp_path_factory):
    """fuzz_initfs over the corpus plus 100,000 seeded mutations (structure
    checks with INITFS_SKIP_CRC; every accepted image walked and read
    completely): no sanitizer report, no property violation."""
    exe = compile_c([*fuzz_engine(tmp_path_factory), INITFS_C], tmp_path / "fuzz_initfs", FUZZ_FLAGS)
    proc = run([exe, "-n", "100000", "-s", "11", "-o", tmp_path, CORPUS])
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    assert "100000 mutated runs" in out and "no crash" in out




@pytest.mark.parametrize("cc", compilers())
def test_builds_freestanding_for_the_kernel(tmp_path, cc):
    """initfs.c is linked into every kernel and libc: it must build with the
    kernel's flags (no libc headers, no SSE, -Werror) under gcc and clang."""
    inc = compiler_include(cc)
    compile_c([INITFS_C], tmp_path / "initfs.o", [*kernel_flags(), "-isystem", inc, "-c"], [cc])


@pytest.mark.parametrize("cc", compilers())
def test_mkinitfs_builds_with_the_makefile_command(tmp_path, cc, good_image):
    exe = compile_c([MKINITFS_C, INITFS_C], tmp_path / "mkinitfs", MKINITFS_BUILD, [cc])
    src = tmp_path / "src"
    write_tree(fixture_tree(), src)
    assert run([exe, "-o", tmp_path / "x.img", src]).returncode == 0
    assert (tmp_path / "x.img").read_bytes() == good_image[1]


# ---- the tests have teeth ----------------------------------------------------------------

# name: (text in initfs.c, replacement). Each is a plausible bug (several
# are what lab 5's students may write); the short fuzz run over the kept
# corpus must catch it: a property of check_initfs.h fails, or ASan sees a
# wild read.
MUTATIONS = {
    "range_check_wraps": ("return off <= size && len <= size - off;",
                          "return off + len <= size;"),
    "no_reachability_check": ("if (i >= next)\n", "if (0)\n"),
    "no_sort_check": ("if (prev && name_cmp(prev, prev_len, name, d.name_len) >= 0)",
                      "if (0)"),
    "no_name_checks": ("if (has_byte(name, d.name_len, '/') || has_byte(name, d.name_len, 0))",
                       "if (0)"),
    "symlink_target_unchecked": ("if (!in_strtab(fs, in.off, in.size))\n\t\t\treturn bad(diag, "
                                 "INITFS_E_RANGE, at + INO(off), ino,\n\t\t\t\t   \"symlink",
                                 "if (0)\n\t\t\treturn bad(diag, "
                                 "INITFS_E_RANGE, at + INO(off), ino,\n\t\t\t\t   \"symlink"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_fuzz_target_catches_broken_parser(tmp_path, tmp_path_factory, name):
    old, new = MUTATIONS[name]
    source = INITFS_C.read_text()
    if old not in source:
        pytest.fail(f"mutation {name}: {old!r} is no longer in initfs.c; update MUTATIONS",
                    pytrace=False)
    broken = tmp_path / "initfs.c"
    broken.write_text(source.replace(old, new, 1))
    exe = compile_c([*fuzz_engine(tmp_path_factory), broken], tmp_path / "fuzz_initfs",
                    FUZZ_FLAGS)
    env = dict(os.environ, **SANITIZER_ENV)
    proc = subprocess.run([str(exe), "-n", "200000", "-s", "3", "-o", str(tmp_path),
                           str(CORPUS)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode != 0, f"mutation {name} went unnoticed:\n{proc.stdout}"
    assert re.search(r"property violated|AddressSanitizer|runtime error", proc.stderr), \
        proc.stderr

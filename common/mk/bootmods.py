#!/usr/bin/env python3
"""Pack boot modules into one module container for direct boot.

    bootmods.py -o OUT PATH:NAME ...

GRUB loads each boot module (bootstrap, initfs) by its own `module2` line.
QEMU's -kernel (the PVH direct boot the grader uses) passes exactly one
module, -initrd, with no name. So the build packs the modules into one file
that the kernel (common/kernel/pvh.c) unpacks into the same boot_info
modules[] that GRUB's lines give:

    offset 0   "OCHREMOD"        magic, 8 bytes
           8   count             u32, at most MAX_MODULES
          12   0                 u32
          16   size              u64, bytes of the whole container
          24   count entries     u64 offset, u64 size, 48-byte name (NUL-terminated)
    then each module at a page-aligned offset, zero-padded to the next page

All little-endian. Page alignment keeps a module's first byte at the start
of a frame (lab 5 maps the initfs page by page), as GRUB places modules.

Only the Python standard library: any python3 runs it. The grader imports
pack() and unpack() to boot a kernel with other modules (lab 5's damaged
initfs images).
"""

import argparse
import os
import struct
import sys

MAGIC = b"OCHREMOD"
HEADER = struct.Struct("<8sIIQ")
ENTRY = struct.Struct("<QQ48s")
NAME_MAX = ENTRY.size - 16 - 1      # the name and its NUL fit in 48 bytes
MAX_MODULES = 8                     # BOOT_MAX_MODULES in common/kernel/boot.h
PAGE = 4096


def _page_up(n):
    return (n + PAGE - 1) // PAGE * PAGE


def pack(modules):
    """The container holding modules, a list of (name, bytes)."""
    if len(modules) > MAX_MODULES:
        raise ValueError(f"{len(modules)} modules; the kernel takes at most {MAX_MODULES}")
    offset = _page_up(HEADER.size + len(modules) * ENTRY.size)
    entries, body = [], bytearray()
    for name, data in modules:
        raw = name.encode("ascii")
        if not raw or len(raw) > NAME_MAX or b"\0" in raw:
            raise ValueError(f"module name {name!r}: 1 to {NAME_MAX} ASCII characters")
        entries.append(ENTRY.pack(offset + len(body), len(data), raw))
        body += data
        body += bytes(_page_up(len(body)) - len(body))
    size = offset + len(body)
    head = HEADER.pack(MAGIC, len(modules), 0, size) + b"".join(entries)
    return head + bytes(offset - len(head)) + bytes(body)


def unpack(data):
    """[(name, bytes)] of a container that pack() wrote."""
    magic, count, _zero, _size = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not a module container (no OCHREMOD magic)")
    modules = []
    for i in range(count):
        offset, size, raw = ENTRY.unpack_from(data, HEADER.size + i * ENTRY.size)
        modules.append((raw.split(b"\0")[0].decode("ascii"), data[offset:offset + size]))
    return modules


def parse_spec(spec):
    """"path:name" (lab.mk's MODULES words) -> (path, name)."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"{spec!r}: expected PATH:NAME")
    return path, name


def main(argv=None):
    p = argparse.ArgumentParser(description="Pack boot modules into one container (see the top of this file).")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("modules", nargs="*", metavar="PATH:NAME")
    args = p.parse_args(argv)
    try:
        modules = []
        for spec in args.modules:
            path, name = parse_spec(spec)
            with open(path, "rb") as f:
                modules.append((name, f.read()))
        data = pack(modules)
    except (OSError, ValueError) as e:
        print(f"bootmods.py: {e}", file=sys.stderr)
        return 2
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Symbolize kernel addresses with build/labN/kernel.sym (output of `nm -n`)."""

import bisect
import re

# `nm -n` lines look like "ffffffff80100000 T kmain"; undefined symbols have
# no address and are skipped by this pattern.
_NM_LINE = re.compile(r"^([0-9a-fA-F]+)\s+([A-Za-z])\s+(\S+)\s*$")

# Symbol types that name code or data at an address (not absolute values
# such as linker-script constants, which would otherwise shadow real symbols).
_ADDRESS_TYPES = set("TtWwDdBbRrVv")

# An address further than this past the nearest symbol is not "in" it: the
# lookup says unknown rather than inventing a huge offset.
_MAX_OFFSET = 1 << 20


class Symbols:
    def __init__(self, entries):
        """entries: iterable of (address, name)."""
        pairs = sorted(entries)
        self._addrs = [a for a, _ in pairs]
        self._names = [n for _, n in pairs]

    @classmethod
    def load(cls, path):
        """Read an nm -n listing; returns None if the file does not exist."""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        entries = []
        for line in text.splitlines():
            m = _NM_LINE.match(line)
            if m and m.group(2) in _ADDRESS_TYPES:
                entries.append((int(m.group(1), 16), m.group(3)))
        return cls(entries)

    def __len__(self):
        return len(self._addrs)

    def lookup(self, addr):
        """(name, offset) of the nearest symbol at or below addr, or None."""
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0:
            return None
        offset = addr - self._addrs[i]
        if offset > _MAX_OFFSET:
            return None
        return self._names[i], offset

    def format(self, addr):
        """'name+0xoff' (the kernel's own style), or None if unknown."""
        hit = self.lookup(addr)
        if hit is None:
            return None
        return f"{hit[0]}+{hit[1]:#x}"

    def address_of(self, name):
        """Address of a symbol by name, or None."""
        for addr, n in zip(self._addrs, self._names):
            if n == name:
                return addr
        return None

#!/usr/bin/env python3
"""Regenerates the kept seed corpora grader/host/corpus/{elf,initfs}/.

    /usr/bin/python3 grader/host/fuzz/make_corpus.py

Seeds named ok-* must be accepted (test_elf.py / test_initfs.py check
that); bad-* are near misses, each breaking one rule, which give the
mutator a head start on the rejection paths. The ELF and initfs builders
are the ones the tests use (test_elf.py, test_initfs.py), so the corpus
follows the format whenever the tests do. Two ELF seeds are compiled with
the host's gcc and clang (skipped if missing). Run it after a format change;
keep the corpus small (< 50 files, < 200 KiB per directory): the fuzz runs
of the test suite go through all of it.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HOST = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOST))

import test_elf as E      # noqa: E402
import test_initfs as I   # noqa: E402

PROGRAM = E.PROGRAM


def elf_seeds():
    R, W, X, Seg, build = E.R, E.W, E.X, E.Seg, E.build
    seeds = {
        "ok-minimal.elf": build([Seg(R | X, 0x401, E.CODE)]),
        "ok-three-segments.elf": E.good(),
        "ok-sixteen-segments.elf": build([Seg(R | X, 0x401, E.CODE)] +
                                         [Seg(R, 0x402 + i, b"x") for i in range(15)]),
        "bad-et-dyn.elf": E.good(type=3),
        "bad-pt-interp.elf": E.good(extra=[E.phdr(E.PT_INTERP, R, 0, 0, 0, 0)]),
        "bad-w-and-x.elf": E.with_seg(0, flags=R | W | X),
        "bad-overlap.elf": E.with_seg(1, page=0x401),
        "bad-entry.elf": E.good(entry=0x500000),
        "bad-huge-bss.elf": E.with_seg(2, memsz=1 << 40),
    }
    code_at = 64 + 56 * 2
    mapped = build([Seg(R | X, 0x400, offset=0, vaddr=0x400000, filesz=code_at + len(E.CODE),
                        memsz=code_at + len(E.CODE)),
                    Seg(R | W, 0x401, E.CODE * 2)], entry=0x400000 + code_at)
    seeds["ok-headers-mapped.elf"] = mapped + E.CODE * 2

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "prog.c"
        src.write_text(PROGRAM)
        for cc, layout in (("gcc", "noseparate-code"), ("clang", "noseparate-code"),
                           ("gcc", "separate-code")):
            exe = Path(tmp) / f"{cc}-{layout}"
            cmd = [cc, "-static", "-nostdlib", "-fno-pie", "-O1", "-fno-stack-protector",
                   "-Wl,-no-pie", f"-Wl,-z,{layout}", "-Wl,-z,noexecstack",
                   "-Wl,--build-id=none", "-s", str(src), "-o", str(exe)]
            if subprocess.run(cmd, capture_output=True).returncode == 0:
                seeds[f"ok-{cc}-{layout}.elf"] = exe.read_bytes()
            else:
                print(f"skipped ok-{cc}-{layout}.elf: {' '.join(cmd)} failed")
    return seeds


def initfs_seeds():
    Dir, File, Link, pack = I.Dir, I.File, I.Link, I.pack
    metadata_only = Dir({
        "bin": Dir({"a": File(), "b": File(mode=0o755)}),
        "dev": Dir(),
        "etc": Dir({"passwd": File(), "x": Dir({"y": Dir({"z": File()})})}),
        "links": Dir({"loop": Link("loop"), "rel": Link("../bin/a"),
                      "toram": Link("ramfs:/t")}),
    })
    deep = File(b"bottom")
    for i in range(30):
        deep = Dir({f"d{i}": deep})
    wide = Dir({name: File() for name in
                ["-", "A", "B", "Z", "_", "a", "a-b", "a.b", "aa", "ab", "b", "z",
                 "\u00e9t\u00e9", "x" * 255, "with space", "tab\there", "0", "9", "~"]})
    seeds = {
        "ok-fixture.img": pack(I.fixture_tree()),
        "ok-metadata-only.img": pack(metadata_only),
        "ok-root-only.img": pack(Dir()),
        "ok-deep.img": pack(Dir({"top": deep})),
        "ok-wide.img": pack(wide),
        "ok-one-file.img": pack(Dir({"init": File(b"\x7fELF" + bytes(60), 0o755)})),
        "ok-no-crc.img": pack(metadata_only, no_crc=True),
        "ok-mtime.img": pack(metadata_only, mtime=1700000000),
    }
    # Near misses of the fixture tree's shape, with its files emptied so
    # that each seed is under a kilobyte.
    shape = I.fixture_tree()
    for d in (shape.entries["bin"], shape.entries["etc"], shape):
        for node in d.entries.values():
            if isinstance(node, File):
                node.data = b""
    cases = I.bad_cases(pack(shape))
    for name in ("hard_link", "not_breadth_first", "names_unsorted", "dir_contains_itself",
                 "symlink_with_nul", "bad_crc"):
        seeds[f"bad-{name.replace('bad_', '').replace('_', '-')}.img"] = bytes(cases[name][0])
    for name, (data, _, _) in I.bad_raw_cases().items():
        seeds[f"bad-{name.replace('_', '-')}.img"] = bytes(data)
    return seeds


def write(directory, seeds):
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    for name, data in sorted(seeds.items()):
        (directory / name).write_bytes(data)
    total = sum(len(d) for d in seeds.values())
    print(f"{directory.relative_to(HOST.parents[1])}: {len(seeds)} files, {total} bytes")
    assert len(seeds) < 50 and total < 200 * 1024, "keep the corpus small"


if __name__ == "__main__":
    os.chdir(HOST.parents[1])
    write(HOST / "corpus" / "elf", elf_seeds())
    write(HOST / "corpus" / "initfs", initfs_seeds())

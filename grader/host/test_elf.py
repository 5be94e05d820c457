"""Host tests of the ELF64 validator (common/lib/elf.c).

elf.c is compiled for the host with ASan and UBSan together with
elf_host.c, a driver that parses a file and prints the result (see its
header). Every parse also goes through fuzz/check_elf.h: the piecewise API
(lab 4's fexec) must agree with elf_parse(), the result must satisfy every
rule, and the buffer is an exact-size heap copy at an aligned and at an odd
address, so a read past the end is an ASan report.

Fixtures are built two ways: by the Python builder below, which gives exact
control over every header field (the catalogue of bad files), and by
compiling tiny programs with the host's gcc/clang (`-static -nostdlib
-no-pie`), which proves that what real linkers produce is accepted and that
dynamic, PIE and RWX (`ld -N`) executables are refused.

The last tests run the fuzz target (fuzz/fuzz_elf.c) with the standalone
engine (fuzz/fuzz_main.c) over the kept corpus (corpus/elf/), and compile
elf.c with the kernel's freestanding flags under gcc and clang.

Maintainer tests (`make host-test`), worth no points:
    /usr/bin/python3 -m pytest grader/host/test_elf.py -q
"""

import os
import re
import shlex
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "grader" / "host"
FUZZ = HOST / "fuzz"
CORPUS = HOST / "corpus" / "elf"
ELF_C = ROOT / "common" / "lib" / "elf.c"

from conftest import SANITIZE, SANITIZER_ENV, built_once, compile_c, compiler_include, compilers  # noqa: E402
from conftest import sanitized_objects  # noqa: E402
from conftest import kernel_flags  # noqa: E402
from conftest import run as run_host  # noqa: E402

USER_MIN, USER_TOP = 0x1000, 0x00007ffffffff000
PAGE = 0x1000


run = run_host


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return built_once(tmp_path_factory, "elf_host",
                      lambda out: compile_c([HOST / "elf_host.c", ELF_C], out))


@pytest.fixture
def parse(driver, tmp_path):
    """parse(bytes, min=, top=, max=) -> ("ok", header dict, [segments]) or
    (errno name, reason, None)."""
    count = [0]

    def parse_(data, min=USER_MIN, top=USER_TOP, max=256 << 20):
        path = tmp_path / f"in{count[0]}.elf"
        count[0] += 1
        path.write_bytes(data)
        proc = run([driver, "--min", hex(min), "--top", hex(top), "--max", str(max), path])
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        lines = proc.stdout.splitlines()
        if proc.returncode == 1:
            name, reason = lines[0].split(": ", 1)
            return name, reason, None
        head = dict(kv.split("=") for kv in lines[0].split()[1:])
        segs = [dict(kv.split("=") for kv in line.split()[1:]) for line in lines[1:]]
        return "ok", {k: int(v, 0) for k, v in head.items()}, segs
    return parse_


# ---- building ELF files ------------------------------------------------------

R, W, X = 4, 2, 1
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_PHDR, PT_TLS = 1, 2, 3, 4, 6, 7
PT_GNU_STACK = 0x6474e551
CODE = b"\xeb\xfe" + b"\x90" * 30          # jmp . and some nops


def ehdr(entry, phoff, phnum, *, cls=2, data=1, ident_version=1, type=2,
         machine=62, version=1, phentsize=56):
    ident = b"\x7fELF" + bytes([cls, data, ident_version, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", type, machine, version, entry,
                               phoff, 0, 0, 64, phentsize, phnum, 0, 0, 0)


def phdr(type, flags, offset, vaddr, filesz, memsz, align=PAGE):
    return struct.pack("<IIQQQQQQ", type, flags, offset, vaddr, vaddr, filesz,
                       memsz, align)


class Seg:
    """A PT_LOAD (or other type) whose bytes follow the program headers.
    Its vaddr is `page` * 4096 plus the low 12 bits of its file offset (so
    they are congruent, as ld makes them) unless vaddr= is given; offset=,
    filesz= and memsz= override what the layout would give. With offset=,
    the data is not placed anywhere (see place())."""

    def __init__(self, flags, page, data=b"", *, memsz=None, type=PT_LOAD,
                 vaddr=None, offset=None, filesz=None):
        self.flags, self.page, self.data, self.type = flags, page, data, type
        self.memsz, self.vaddr, self.offset, self.filesz = memsz, vaddr, offset, filesz


def build(segs, *, entry=None, extra=(), phnum=None, phoff=None, **hdr):
    """The bytes of an ELF file: header, program headers (segs, then the raw
    `extra` ones), then each segment's data. Returns bytes; build.last holds
    the resolved (vaddr, memsz, offset, filesz, flags) of each segment."""
    count = len(segs) + len(extra)
    cursor = 64 + 56 * count
    body, heads, resolved = bytearray(), [], []
    for s in segs:
        offset = cursor + len(body) if s.offset is None else s.offset
        vaddr = s.page * PAGE + offset % PAGE if s.vaddr is None else s.vaddr
        filesz = len(s.data) if s.filesz is None else s.filesz
        memsz = len(s.data) if s.memsz is None else s.memsz
        if s.offset is None:
            body += s.data
        heads.append(phdr(s.type, s.flags, offset, vaddr, filesz, memsz))
        resolved.append((vaddr, memsz, offset, filesz, s.flags))
    if entry is None:
        entry = next(v for (v, m, o, f, fl), s in zip(resolved, segs) if fl & X)
    head = ehdr(entry, 64 if phoff is None else phoff,
                count if phnum is None else phnum, **hdr)
    build.last = resolved
    return head + b"".join(heads) + b"".join(extra) + bytes(body)


def place(data, offset, chunk):
    """data with chunk written at offset (zero-padded up to it)."""
    b = bytearray(data)
    if len(b) < offset + len(chunk):
        b += bytes(offset + len(chunk) - len(b))
    b[offset:offset + len(chunk)] = chunk
    return bytes(b)


def good_segs():
    return [Seg(R | X, 0x401, CODE),
            Seg(R, 0x402, b"read-only data\0"),
            Seg(R | W, 0x403, b"initialized data", memsz=0x3000)]


STACK = phdr(PT_GNU_STACK, R | W, 0, 0, 0, 0, 16)


def good(**kw):
    kw.setdefault("extra", [STACK])
    return build(good_segs(), **kw)


def pages(vaddr, memsz):
    return (vaddr + memsz - 1) // PAGE - vaddr // PAGE + 1


def flags_text(f):
    return ("R" if f & R else "-") + ("W" if f & W else "-") + ("X" if f & X else "-")


def expect_ok(result, resolved, entry):
    status, head, segs = result
    assert status == "ok", result
    loads = [r for r in resolved if r[1] > 0]
    assert head["entry"] == entry
    assert head["nseg"] == len(loads)
    assert head["mem"] == PAGE * sum(pages(v, m) for v, m, *_ in loads)
    for seg, (v, m, o, f, fl) in zip(segs, loads):
        assert (int(seg["vaddr"], 0), int(seg["memsz"], 0), int(seg["offset"], 0),
                int(seg["filesz"], 0), seg["flags"]) == (v, m, o, f, flags_text(fl))


# ---- accepted files -----------------------------------------------------------

def test_good_file(parse):
    data = good()
    resolved = build.last
    result = parse(data)
    expect_ok(result, resolved, resolved[0][0])
    _, head, _ = result
    assert head["phoff"] == 64 and head["phnum"] == 4
    assert head["phdr"] == 0          # no segment loads the header's bytes
    # 1 page of text, 1 of rodata, and bss from 0x403xxx spanning 4 pages.
    assert head["mem"] == 6 * PAGE


def test_phdr_address_when_first_segment_maps_the_headers(parse):
    # The usual ld layout: the first segment starts at file offset 0.
    code_at = 64 + 56 * 2
    segs = [Seg(R | X, 0x400, offset=0, vaddr=0x400000, filesz=code_at + len(CODE),
                memsz=code_at + len(CODE)),
            Seg(R | W, 0x401, CODE * 2)]
    data = build(segs, entry=0x400000 + code_at)
    status, head, _ = parse(data + CODE * 2)
    assert status == "ok"
    assert head["phdr"] == 0x400040


def test_other_program_headers_are_ignored(parse):
    extra = [STACK, phdr(PT_NOTE, R, 0, 0, 8, 8), phdr(PT_PHDR, R, 64, 0x400040, 56, 56),
             phdr(PT_TLS, R, 0, 0, 0, 16), phdr(0x70000001, 0, 0, 0, 0, 0),
             phdr(PT_LOAD, R, 64, 0x40000040, 0, 0)]    # empty PT_LOAD: skipped
    data = good(extra=extra)
    resolved = build.last
    expect_ok(parse(data), resolved, resolved[0][0])


def test_entry_anywhere_inside_text(parse):
    data = good()
    v, m = build.last[0][:2]
    for entry in (v, v + 1, v + m - 1):
        assert parse(good(entry=entry))[0] == "ok"


def test_sixteen_segments_accepted(parse):
    segs = [Seg(R | X, 0x401, CODE)] + [Seg(R, 0x402 + i, b"x") for i in range(15)]
    data = build(segs)
    expect_ok(parse(data), build.last, build.last[0][0])


def test_limits_are_inclusive_at_the_edges(parse):
    # A segment may start exactly at user_min and end exactly at user_top.
    low = build([Seg(R | X, 1, CODE, vaddr=USER_MIN, offset=PAGE)])
    assert parse(place(low, PAGE, CODE))[0] == "ok"
    at = PAGE - len(CODE)
    high = build([Seg(R | X, 0, CODE, vaddr=USER_TOP - len(CODE), offset=at)])
    assert parse(place(high, at, CODE))[0] == "ok"
    # One byte lower or higher is outside.
    low = build([Seg(R | X, 1, CODE, vaddr=USER_MIN - 1, offset=PAGE - 1)])
    assert parse(place(low, PAGE - 1, CODE))[0] == "ENOEXEC"
    high = build([Seg(R | X, 0, CODE, vaddr=USER_TOP - len(CODE) + 1, offset=at + 1)])
    assert parse(place(high, at + 1, CODE))[0] == "ENOEXEC"
    # Memory exactly at max_bytes is fine; one page more is ENOMEM.
    data = good()
    assert parse(data, max=6 * PAGE)[0] == "ok"
    assert parse(data, max=6 * PAGE - 1)[0] == "ENOMEM"


# ---- the catalogue of bad files ---------------------------------------------

def with_seg(i, **changes):
    """good() with segment i's Seg attributes changed."""
    segs = good_segs()
    for k, v in changes.items():
        setattr(segs[i], k, v)
    return build(segs, extra=[STACK])


def patched(data, offset, fmt, value):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


KTEXT = 0xffffffff80000000

BAD = {
    # name: (bytes, errno name, reason regex)
    "empty": (b"", "ENOEXEC", "too short"),
    "header_only_63": (good()[:63], "ENOEXEC", "too short"),
    "bad_magic": (b"\x7fELG" + good()[4:], "ENOEXEC", "magic"),
    "not_elf": (b"#!/bin/sh\necho hi\n" + bytes(64), "ENOEXEC", "magic"),
    "elfclass32": (good(cls=1), "ENOEXEC", "64-bit"),
    "big_endian": (good(data=2), "ENOEXEC", "little-endian"),
    "ident_version_0": (good(ident_version=0), "ENOEXEC", "version"),
    "e_version_0": (good(version=0), "ENOEXEC", "version"),
    "et_dyn": (good(type=3), "ENOEXEC", "dynamic executables are not supported"),
    "et_rel": (good(type=1), "ENOEXEC", "not an executable"),
    "et_core": (good(type=4), "ENOEXEC", "not an executable"),
    "em_386": (good(machine=3), "ENOEXEC", "x86-64"),
    "em_aarch64": (good(machine=183), "ENOEXEC", "x86-64"),
    "phentsize_32": (good(phentsize=32), "ENOEXEC", "program header size"),
    "phnum_0": (good(phnum=0), "ENOEXEC", "no program headers"),
    "phnum_65": (good(phnum=65), "ENOEXEC", "too many program headers"),
    "phnum_10000": (good(phnum=10000), "ENOEXEC", "too many program headers"),
    "phdrs_past_eof": (good(phoff=0x10000), "ENOEXEC", "program headers outside"),
    "phdrs_cut_by_eof": (good()[:64 + 56 * 3], "ENOEXEC", "program headers outside"),
    "phoff_wraps": (good(phoff=2**64 - 56), "ENOEXEC", "program headers outside"),
    "pt_interp": (good(extra=[phdr(PT_INTERP, R, 0, 0, 0, 0)]), "ENOEXEC", "dynamic"),
    "pt_dynamic": (good(extra=[phdr(PT_DYNAMIC, R | W, 0, 0, 0, 0)]), "ENOEXEC", "dynamic"),
    "no_pt_load": (build([], extra=[STACK], entry=0x401000), "ENOEXEC", "no loadable"),
    "only_empty_pt_load": (build([], extra=[phdr(PT_LOAD, R | X, 0, 0x401000, 0, 0)],
                                 entry=0x401000), "ENOEXEC", "no loadable"),
    "filesz_gt_memsz": (with_seg(2, memsz=4), "ENOEXEC", "file size exceeds"),
    "offset_past_eof": (with_seg(1, offset=0x100000), "ENOEXEC", "outside the file"),
    "filesz_past_eof": (with_seg(2, filesz=0x2000, memsz=0x3000), "ENOEXEC",
                        "outside the file"),
    "offset_wraps": (with_seg(1, offset=2**64 - 8, vaddr=0x402000 + (2**64 - 8) % PAGE),
                     "ENOEXEC", "outside the file"),
    "vaddr_memsz_wraps": (with_seg(2, vaddr=2**64 - PAGE + 0x100 + 0, memsz=0x2000),
                          "ENOEXEC", "wraps|modulo|outside user space"),
    "kernel_address": (with_seg(1, vaddr=KTEXT + 0x1000 + (64 + 56 * 4 + len(CODE)) % PAGE),
                       "ENOEXEC", "outside user space"),
    "page_zero": (with_seg(1, page=0), "ENOEXEC", "outside user space"),
    "crosses_user_top": (with_seg(2, page=(USER_TOP >> 12) - 1, memsz=0x3000), "ENOEXEC",
                         "outside user space"),
    "non_canonical": (with_seg(1, page=0x800000000), "ENOEXEC", "outside user space"),
    "not_congruent": (with_seg(1, vaddr=0x402000), "ENOEXEC", "modulo the page size"),
    "w_and_x": (with_seg(0, flags=R | W | X), "ENOEXEC", r"W\^X"),
    "w_and_x_no_r": (with_seg(0, flags=W | X), "ENOEXEC", r"W\^X"),
    "same_page": (with_seg(1, page=0x401), "ENOEXEC", "overlap"),
    "bss_runs_into_next": (build([Seg(R | X, 0x401, CODE), Seg(R | W, 0x402, b"d", memsz=0x1800),
                                  Seg(R, 0x403, b"r")], extra=[STACK]), "ENOEXEC", "overlap"),
    "identical_segments": (build([Seg(R | X, 0x401, CODE), Seg(R | X, 0x401, CODE,
                                                               offset=64 + 112)]),
                           "ENOEXEC", "overlap"),
    "entry_in_data": (good(entry=0x403000 + (64 + 56 * 4 + len(CODE) + 15) % PAGE),
                      "ENOEXEC", "entry point"),
    "entry_past_text": (good(entry=0x401000 + (64 + 56 * 4) % PAGE + len(CODE)),
                        "ENOEXEC", "entry point"),
    "entry_zero": (good(entry=0), "ENOEXEC", "entry point"),
    "entry_unmapped": (good(entry=0x500000), "ENOEXEC", "entry point"),
    "seventeen_segments": (build([Seg(R | X, 0x401, CODE)] +
                                 [Seg(R, 0x402 + i, b"x") for i in range(16)]),
                           "ENOEXEC", "too many loadable segments"),
    "huge_bss_1tib": (with_seg(2, memsz=1 << 40), "ENOMEM", "more memory"),
    "bss_over_budget": (with_seg(2, memsz=256 << 20), "ENOMEM", "more memory"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_rejected(parse, name):
    data, errno_name, reason = BAD[name]
    status, why, _ = parse(data)
    assert status == errno_name, f"{name}: expected {errno_name}, got {status}: {why}"
    assert re.search(reason, why), f"{name}: reason {why!r} does not match /{reason}/"


def test_enomem_only_when_nothing_else_is_wrong(parse):
    # Huge bss *and* W+X: the file is broken, which is the better answer.
    segs = good_segs()
    segs[2].memsz = 1 << 40
    segs[2].flags = R | W | X
    assert parse(build(segs))[0] == "ENOEXEC"


def test_every_truncation_is_rejected(driver, tmp_path):
    """Every prefix of a good file shorter than what its headers and
    segments need is ENOEXEC (from exact-size buffers: ASan would see an
    overread); longer ones parse identically."""
    path = tmp_path / "good.elf"
    path.write_bytes(good())
    proc = run([driver, "--truncate", path])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.match(r"truncate: \d+ prefixes rejected", proc.stdout)


# ---- real compilers' output ---------------------------------------------------

PROGRAM = r"""
static const char msg[] = "hello";
char bss[3 * 4096 + 123];	/* global: the store is not dead */
int counter = 3;
void _start(void)
{
	bss[sizeof(bss) - 1] = msg[0] + counter;
	for (;;)
		__asm__ volatile("pause");
}
"""




def real_phdrs(data):
    """(entry, [(vaddr, memsz, offset, filesz, flags)]) of the PT_LOADs with
    memsz > 0, read with Python's struct: an independent reading."""
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phnum = struct.unpack_from("<H", data, 56)[0]
    loads = []
    for i in range(phnum):
        t, f, off, va, _, fsz, msz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        if t == PT_LOAD and msz:
            loads.append((va, msz, off, fsz, f & 7))
    return entry, loads


@pytest.mark.parametrize("cc", compilers())
@pytest.mark.parametrize("layout", ["separate-code", "noseparate-code"])
def test_real_static_executable(parse, tmp_path, cc, layout):
    src = tmp_path / "prog.c"
    src.write_text(PROGRAM)
    exe = tmp_path / "prog"
    cmd = [cc, "-static", "-nostdlib", "-fno-pie", "-O1", "-fno-stack-protector",
           "-Wl,-no-pie", f"-Wl,-z,{layout}", "-Wl,-z,noexecstack", str(src), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"{shlex.join(cmd)} failed: {proc.stderr}")
    data = exe.read_bytes()
    entry, loads = real_phdrs(data)
    expect_ok(parse(data), loads, entry)
    # The bss is in the memory total.
    assert parse(data)[1]["mem"] >= 4 * PAGE


@pytest.mark.parametrize("kind,flags,reason", [
    ("dynamic", [], "dynamic"),
    ("static_pie", ["-static-pie", "-nostdlib", "-fpie"], "dynamic"),
    ("rwx_omagic", ["-static", "-nostdlib", "-fno-pie", "-Wl,-no-pie", "-Wl,-N"], r"W\^X"),
])
def test_real_executables_ochre_refuses(parse, tmp_path, kind, flags, reason):
    src = tmp_path / "prog.c"
    src.write_text(PROGRAM if flags else "int main(void) { return 0; }\n")
    exe = tmp_path / "prog"
    cmd = ["gcc", "-O1", "-fno-stack-protector", *flags, str(src), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"{shlex.join(cmd)} failed: {proc.stderr}")
    status, why, _ = parse(exe.read_bytes())
    assert status == "ENOEXEC" and re.search(reason, why), (status, why)


# ---- fuzzing and builds ------------------------------------------------------------

def test_corpus_is_small_and_its_seeds_are_valid(parse):
    files = sorted(CORPUS.iterdir())
    assert 1 <= len(files) <= 50
    assert sum(f.stat().st_size for f in files) <= 200 * 1024
    oks = [f for f in files if f.name.startswith("ok-")]
    assert len(oks) >= 3, "keep a few valid seeds (ok-*) in the corpus"
    for f in oks:
        assert parse(f.read_bytes())[0] == "ok", f"{f.name} is no longer accepted"
    for f in files:
        if f.name.startswith("bad-"):
            assert parse(f.read_bytes())[0] != "ok", f"{f.name} is accepted"


# The fuzz engine and target, compiled once per run; each test links them
# with its parser (the real one, or a broken copy that finds its headers
# next to the original: -iquote).
FUZZ_FLAGS = [*SANITIZE, "-iquote", str(ELF_C.parent), "-Wno-unused-function"]


def fuzz_engine(tmp_path_factory):
    return sanitized_objects(tmp_path_factory, [FUZZ / "fuzz_main.c", FUZZ / "fuzz_elf.c"],
                             FUZZ_FLAGS)


def test_fuzz_target_standalone(tmp_path, tmp_path_factory):
    """fuzz_elf over the corpus plus 30,000 seeded mutations: no sanitizer
    report, no property violation (a crash would be saved in tmp_path)."""
    exe = compile_c([*fuzz_engine(tmp_path_factory), ELF_C], tmp_path / "fuzz_elf", FUZZ_FLAGS)
    proc = run([exe, "-n", "30000", "-s", "7", "-o", tmp_path, CORPUS])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "30000 mutated runs" in proc.stdout and "no crash" in proc.stdout


@pytest.mark.parametrize("cc", compilers())
def test_builds_freestanding_for_the_kernel(tmp_path, cc):
    """elf.c is linked into every kernel and libc: it must build with the
    kernel's flags (no libc headers, no SSE, -Werror) under gcc and clang."""
    inc = compiler_include(cc)
    compile_c([ELF_C], tmp_path / "elf.o", [*kernel_flags(), "-isystem", inc, "-c"], [cc])


# ---- the tests have teeth ----------------------------------------------------------

# name: (text in elf.c, replacement). Each is a plausible bug; the short
# fuzz run over the kept corpus must catch it (a property of check_elf.h
# fails, or ASan sees a wild read).
MUTATIONS = {
    "range_check_wraps": ("return off <= size && len <= size - off;",
                          "return off + len <= size;"),
    "no_w_xor_x": ("if ((s.flags & ELF_PF_W) && (s.flags & ELF_PF_X))", "if (0)"),
    "no_overlap_check": ("if (shares_page(&s, &img->seg[i]))", "if (0)"),
    "entry_not_checked": ("if (!entry_is_executable(img))", "if (0)"),
    "no_user_range_check": ('return NOEXEC("segment outside user space");', "(void)0;"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_fuzz_target_catches_broken_parser(tmp_path, tmp_path_factory, name):
    old, new = MUTATIONS[name]
    source = ELF_C.read_text()
    if old not in source:
        pytest.fail(f"mutation {name}: {old!r} is no longer in elf.c; update MUTATIONS",
                    pytrace=False)
    broken = tmp_path / "elf.c"
    broken.write_text(source.replace(old, new, 1))
    exe = compile_c([*fuzz_engine(tmp_path_factory), broken], tmp_path / "fuzz_elf", FUZZ_FLAGS)
    env = dict(os.environ, **SANITIZER_ENV)
    proc = subprocess.run([str(exe), "-n", "200000", "-s", "3", "-o", str(tmp_path),
                           str(CORPUS)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode != 0, f"mutation {name} went unnoticed:\n{proc.stdout}"
    assert re.search(r"property violated|AddressSanitizer|runtime error", proc.stderr), \
        proc.stderr

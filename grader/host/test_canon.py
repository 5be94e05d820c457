"""Host tests of lab 5's libc path canonicalization
(lab5-initfs/libc/path.c), with ASan/UBSan: a table of about 50 rows on
several bases, limits (4095/4096-byte paths, 255/256-byte components, a
long base), and 100,000 seeded random paths compared with an independent
model in canon_host.c, each result checked canonical and idempotent.

The last test strips path.c with the handout stripper and proves that the
same driver fails on the starter code (so it tests student work).

Maintainer tests (`make host-test`), worth no points:
    /usr/bin/python3 -m pytest grader/host/test_canon.py -q
"""

import re
import subprocess

import pytest

from conftest import CC, HOST, ROOT, SANITIZE, compile_c, run

pytestmark = pytest.mark.needs(lab=5)   # in a lab-5 tree: the student's path.c

PATH_C = ROOT / "lab5-initfs" / "libc" / "path.c"
HEADER = ROOT / "common" / "libc" / "include" / "ochre_path.h"


def build(tmp_path, source=PATH_C):
    # Only <ochre_path.h> from libc's include directory: the rest of it
    # (string.h, stdio.h, ...) must not shadow the host's headers.
    inc = tmp_path / "inc"
    inc.mkdir(exist_ok=True)
    (inc / "ochre_path.h").write_text(HEADER.read_text())
    return compile_c([HOST / "canon_host.c", source], tmp_path / "canon_host",
                     [*SANITIZE, "-I", str(inc)])


def test_canon_table_and_random(tmp_path):
    proc = run([build(tmp_path), 100000, 0x0c4e], timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "canon: OK" in proc.stdout, out
    assert "100000 random paths checked" in proc.stdout, out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_canon_other_seeds(tmp_path, seed):
    proc = run([build(tmp_path), 20000, seed])
    assert proc.returncode == 0 and "canon: OK" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.needs(course=True)
def test_canon_fails_on_starter(tmp_path):
    """The stripped path.c (the student's starting point) must fail."""
    stripper = ROOT / "build" / "tools" / "handout"
    src = ROOT / "common" / "tools" / "handout.c"
    if not stripper.exists() or stripper.stat().st_mtime < src.stat().st_mtime:
        stripper.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*CC, "-std=c11", "-O2", "-o", str(stripper), str(src)], check=True)
    stripped = tmp_path / "path.c"
    subprocess.run([str(stripper), str(PATH_C), str(stripped)], check=True,
                   capture_output=True)
    text = stripped.read_text()
    # Split so that this file never looks like a solution region itself.
    assert "BEGIN LAB" "5 SOLUTION" not in text
    proc = run([build(tmp_path, stripped), 1000])
    assert proc.returncode != 0 and "canon: FAILED" in proc.stdout, proc.stdout


@pytest.mark.needs(course=True)   # the handout names the solution's markers
def test_handout_names_exist():
    """Every C name HANDOUT-libc.md shows in `code` exists in the sources
    (a renamed function must not leave the handout behind)."""
    text = (ROOT / "lab5-initfs" / "HANDOUT-libc.md").read_text()
    names = set()
    for code in re.findall(r"`([^`\n]+)`", text):
        for tok in re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", code):
            if "_" in tok or (tok.isupper() and len(tok) > 1):
                names.add(tok)
    sources = ""
    for pattern in ["common/libc/*.c", "common/libc/include/*.h", "common/libc/include/*/*.h",
                    "common/include/ochre/*.h", "lab*/libc/*.c", "lab*/user/*.c",
                    "common/user/*.h", "grader/host/*.c"]:
        for f in ROOT.glob(pattern):
            sources += f.read_text(errors="replace")
    files = {p.stem for p in ROOT.glob("grader/**/*.py")}
    outside = {"_POSIX_SYMLOOP_MAX", "AT_SYSINFO"}   # POSIX's and Linux's names
    missing = sorted(n for n in names - outside - files
                     if not re.search(r"\b" + re.escape(n) + r"\b", sources))
    assert not missing, f"HANDOUT-libc.md names what the code does not have: {missing}"

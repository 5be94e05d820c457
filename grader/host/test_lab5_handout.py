"""lab5-initfs/HANDOUT.md names only what the code has: every C-looking
name in `code` (with an underscore, or all capitals) exists in the sources,
and every test the handout's table lists exists in grader/test_lab5.py.

Maintainer test (`make host-test`), worth no points.
"""

import re

from conftest import ROOT

HANDOUT = ROOT / "lab5-initfs" / "HANDOUT.md"
SOURCES = ["common/**/*.c", "common/**/*.h", "common/**/*.asm", "common/mk/lab.mk",
           "lab*/**/*.c", "lab*/**/*.h", "lab*/Makefile", "grader/*.py", "grader/ochre/*.py"]
# Names from elsewhere: Linux's auxv keys and POSIX's limits.
OUTSIDE = {"AT_SYSINFO", "AT_SYSINFO_EHDR", "INITFS_OFFSET"}


def sources():
    text = ""
    for pattern in SOURCES:
        for f in ROOT.glob(pattern):
            if f.is_file():
                text += f.read_text(errors="replace")
    return text


def test_handout_names_exist():
    text = HANDOUT.read_text()
    names = set()
    for code in re.findall(r"`([^`\n]+)`", text):
        for tok in re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", code):
            if "_" in tok or (tok.isupper() and len(tok) > 1):
                names.add(tok)
    src = sources()
    files = {p.stem for p in ROOT.glob("lab5-initfs/*")}
    missing = sorted(n for n in names - OUTSIDE - files
                     if not re.search(r"\b(test_)?" + re.escape(n) + r"\b", src))
    assert not missing, f"HANDOUT.md names what the code does not have: {missing}"


def test_handout_tests_exist():
    text = HANDOUT.read_text()
    tests = (ROOT / "grader" / "test_lab5.py").read_text()
    listed = re.findall(r"^\| `([a-z_]+)(?:\[…\])?` \| [0-9 ×]+ \|", text, re.M)
    assert listed, "no test table found in HANDOUT.md"
    missing = [t for t in listed if f"def test_{t}(" not in tests]
    assert not missing, f"HANDOUT.md lists tests grader/test_lab5.py lacks: {missing}"

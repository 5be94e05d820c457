"""Every test lab5-initfs/HANDOUT.md's table lists exists in
grader/test_lab5.py. (The names a handout uses are checked for every
handout by test_handout_names.py.)

Maintainer test (`make host-test`), worth no points.
"""

import re

from conftest import ROOT

HANDOUT = ROOT / "lab5-initfs" / "HANDOUT.md"


def test_handout_tests_exist():
    text = HANDOUT.read_text()
    tests = (ROOT / "grader" / "test_lab5.py").read_text()
    listed = re.findall(r"^\| `([a-z_]+)(?:\[…\])?` \| [0-9 ×]+ \|", text, re.M)
    assert listed, "no test table found in HANDOUT.md"
    missing = [t for t in listed if f"def test_{t}(" not in tests]
    assert not missing, f"HANDOUT.md lists tests grader/test_lab5.py lacks: {missing}"

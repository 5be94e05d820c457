"""Host test of lab 3's path canonicalization (lab3-schemes/kernel/path.c),
with ASan/UBSan. Skipped in a student tree where it is not written yet."""

import pytest

from conftest import HOST, ROOT, SANITIZE, compile_c, run

PATH_C = ROOT / "lab3-schemes" / "kernel" / "path.c"
PATHFORM_C = ROOT / "lab3-schemes" / "kernel" / "pathform.c"


def test_path_canon(tmp_path):
    if "BEGIN LAB" "3 SOLUTION" not in PATH_C.read_text():  # split: not a marker
        pytest.skip("path_canon is student work in this tree")
    flags = [*SANITIZE, "-I", str(ROOT / "lab3-schemes" / "kernel"),
             "-I", str(ROOT / "common" / "lib")]
    exe = compile_c([HOST / "path_host.c", PATH_C, PATHFORM_C], tmp_path / "path_host", flags)
    proc = run([exe])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "path: OK" in proc.stdout

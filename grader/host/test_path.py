"""Host test of lab 3's path canonicalization (lab3-schemes/kernel/path.c),
with ASan/UBSan. In a student's lab-3 tree it tests their path.c
(`make host-test HOST_ARGS='-k path_canon'`); skipped in a tree without lab 3."""

import pytest

from conftest import HOST, ROOT, SANITIZE, compile_c, run

PATH_C = ROOT / "lab3-schemes" / "kernel" / "path.c"
PATHFORM_C = ROOT / "lab3-schemes" / "kernel" / "pathform.c"


@pytest.mark.needs(lab=3)
def test_path_canon(tmp_path):
    flags = [*SANITIZE, "-I", str(ROOT / "lab3-schemes" / "kernel"),
             "-I", str(ROOT / "common" / "lib")]
    exe = compile_c([HOST / "path_host.c", PATH_C, PATHFORM_C], tmp_path / "path_host", flags)
    proc = run([exe])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "path: OK" in proc.stdout

"""Host test of path canonicalization (common/lib/path.c) with ASan/UBSan."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


def test_path_canon(tmp_path):
    exe = tmp_path / "path_host"
    subprocess.run(
        [os.environ.get("HOSTCC", "cc"), "-std=gnu11", "-g", "-O1", "-Wall", "-Wextra",
         "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
         "-I", os.path.join(ROOT, "common/lib"), "-I", os.path.join(ROOT, "common/include"),
         "-o", str(exe), os.path.join(HERE, "path_host.c"),
         os.path.join(ROOT, "common/lib/path.c")],
        check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "path: OK" in run.stdout

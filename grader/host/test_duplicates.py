"""No block of kernel logic is repeated across lab directories
(common/tools/check-duplicates, which runs the `duplicates` tool).

`duplicates` belongs to the development machines, not to this repository,
so on a machine without it (CI among them) this test is skipped: the check
is a developer-run script, and this test runs it where it can.
"""

import shutil
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.skipif(shutil.which("duplicates") is None,
                    reason="the duplicates tool is not installed (developer machines only)")
def test_no_kernel_logic_repeated_across_labs():
    r = subprocess.run([str(ROOT / "common" / "tools" / "check-duplicates")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr

"""Slowest tests first (grader/ochre/durations.py): the longest tests start
on different xdist workers, side by side, instead of one worker getting
them all in its first block (xdist's own "load" scheduler)."""

import os
import subprocess
import sys
import textwrap

from conftest import ROOT

CONFTEST = textwrap.dedent("""\
    import sys
    sys.path.insert(0, {grader!r})
    from ochre import durations

    KNOWN = {{f"test_order.py::test_quick_{{i}}": 0.1 for i in range(10)}}
    KNOWN.update({{"test_order.py::test_long_a": 10.0, "test_order.py::test_long_b": 9.0}})

    def pytest_collection_modifyitems(items):
        durations.order(items, KNOWN)

    def pytest_xdist_make_scheduler(config, log):
        return durations.make_scheduler(config, log)
    """)

TESTS = textwrap.dedent("""\
    import os

    def record(name):
        with open(os.path.join(os.environ["ORDER_OUT"], name), "w") as f:
            f.write(os.environ.get("PYTEST_XDIST_WORKER", "none"))

    def test_quick_{i}():
        record("quick_{i}")
    """)


def test_longest_tests_start_on_different_workers(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST.format(grader=str(ROOT / "grader")))
    quick = "".join(TESTS.format(i=i).split("\n\n\n", 1)[-1] + "\n\n" for i in range(10))
    head = TESTS.split("def test_quick")[0]
    longs = "".join(f"def test_long_{c}():\n    record('long_{c}')\n\n\n" for c in "ab")
    (tmp_path / "test_order.py").write_text(head + quick + longs)
    out = tmp_path / "out"
    out.mkdir()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                        "test_order.py"], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(os.environ, ORDER_OUT=str(out)), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    worker = {p.name: p.read_text() for p in out.iterdir()}
    assert len(worker) == 12, worker
    assert worker["long_a"] != worker["long_b"], (
        f"both long tests ran on {worker['long_a']}: {worker}")

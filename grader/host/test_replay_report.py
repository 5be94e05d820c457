"""Deterministic replay and the HTML report, on a starter tree whose lab-1
tests fail (test_pagefault panics there).

One grade with --record, as a student types it, then: `make replay` prints
the same serial output as the recording; `make replay-gdb` (on a terminal,
as a student uses it) reaches the panic and steps backwards; the
report.html that grade wrote renders in headless Chromium and shows the
failure. No QEMU is left running after any of them.
"""

import fcntl
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, sh
from test_commands import GDB, Pty

sys.path.insert(0, str(ROOT / "grader"))
from ochre import record, report, scores  # noqa: E402

CHROMIUM = shutil.which("chromium")
TEST = "test_pagefault"


def qemus_of(tree, mode, gdb=False):
    """QEMU processes recording (mode "record") or replaying ("replay") a
    boot of tree, waiting for gdb or not: tests of each kind may run at the
    same time, each checks its own."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        line = " ".join(argv)
        if ("qemu-system" in line and str(tree) in line and f"rr={mode}," in line
                and ("-gdb" in argv) == gdb):
            found.append(line)
    return found


@pytest.fixture(scope="module")
def recorded(starter, tmp_path_factory):
    """A copy of the starter tree (its own build/grade), graded with
    `make grade GRADE_ARGS='--record -k test_pagefault'` in lab1-paging.
    Made once per run, also with pytest -n (shared like `starter`)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    tree = shared / "replay" / "ochre"
    output = shared / "replay" / "grade.out"
    with open(shared / "replay.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not output.exists():
            shutil.copytree(starter, tree, symlinks=True,
                            ignore=shutil.ignore_patterns("grade", "handout-check"))
            r = sh(f"make grade GRADE_ARGS='--record -k {TEST}'", cwd=tree / "lab1-paging")
            assert r.returncode != 0, r.stdout
            output.write_text(r.stdout)
    out = output.read_text()
    assert "kernel PANIC" in out, out
    return tree, out


def test_failure_says_how_to_replay(recorded):
    """A failure recorded with --record ends with the commands that replay
    it; without --record, with the commands that record and replay it."""
    tree, out = recorded
    assert not qemus_of(tree, "record")
    assert re.search(r"^--- replay this recorded boot.*\n"
                     rf"make replay TEST={TEST}\nmake replay-gdb TEST={TEST}$", out, re.M), out
    hint = record.hint(str(tree / "lab1-paging"), f"build/grade/lab1/{TEST}", TEST,
                       recorded=False, cwd=str(tree))
    assert hint[1:] == [f"make -C lab1-paging grade GRADE_ARGS='--record -k {TEST}'",
                        f"make -C lab1-paging replay TEST={TEST}"], hint


def test_replay_prints_the_same_serial_output(recorded):
    """`make replay TEST=...` runs the recorded boot again: byte for byte
    the serial output of the recording, panic included."""
    tree, _ = recorded
    r = sh(f"make replay TEST={TEST}", cwd=tree / "lab1-paging", timeout=120)
    assert r.returncode == 0, r.stdout
    logs = tree / "build" / "grade" / "lab1"
    recorded_log = (logs / f"{TEST}.log").read_bytes()
    replayed_log = (logs / f"{TEST}.replay.log").read_bytes()
    assert b"PANIC: page fault in the kernel" in recorded_log
    assert replayed_log == recorded_log
    assert recorded_log.decode().replace("\r", "") in r.stdout.replace("\r", "")
    assert "the same serial output as the recording" in r.stdout, r.stdout
    assert not qemus_of(tree, "replay")


@pytest.mark.skipif(GDB is None, reason="no gdb (make deps installs gdb-multiarch)")
def test_replay_gdb_reaches_the_panic_and_steps_backwards(recorded):
    """`make replay-gdb TEST=...` on a terminal: gdb continues to the
    kernel's fatal-trap path (the panic) and reverse-stepi goes back to the
    instruction before it, in the page-fault handler; quitting gdb stops
    QEMU."""
    tree, _ = recorded
    # TERM=dumb: gdb's colours would split the words matched below.
    t = Pty(f"TERM=dumb make replay-gdb TEST={TEST}", cwd=tree / "lab1-paging")
    try:
        t.expect(r"\(gdb\) ", timeout=120)
        t.send("continue\n")
        t.expect(r"Breakpoint \d+, trap_fatal ", timeout=120)
        t.expect(r"\(gdb\) ")
        t.send("p/x $pc\n")
        at_panic = int(t.expect(r"= (0x[0-9a-f]+)").group(1), 16)
        t.send("reverse-stepi\n")
        t.expect(r"\(gdb\) ", timeout=120)
        t.send("p/x $pc\n")
        before = int(t.expect(r"= (0x[0-9a-f]+)").group(1), 16)
        t.send("bt 1\n")
        t.expect(r"#0 .*page_fault ")
        t.send("x/i $pc\n")
        t.expect(r"=> 0x[0-9a-f]+ <page_fault\+\d+>:\s+call\s+0x[0-9a-f]+ <trap_fatal>")
        assert before != at_panic
        t.send("quit\n")
        assert t.wait(timeout=60) == 0, t.text
    finally:
        t.kill()
    assert not qemus_of(tree, "replay", gdb=True)


# A student's tree may lack the browser (make deps leaves it out); the
# course's CI never does (make test runs make deps-course first).
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="no chromium (make deps-course installs it)")
def test_html_report_renders_the_failure(recorded, tmp_path):
    """build/grade/lab1/report.html, opened in headless Chromium, shows the
    score, the failing test with its expected and seen lines, the
    symbolized panic, the serial log and the commands that reproduce and
    replay it."""
    tree, out = recorded
    page = tree / "build" / "grade" / "lab1" / "report.html"
    assert "HTML report: ../build/grade/lab1/report.html" in out, out
    dom = dump_dom(page, tmp_path)
    assert "<h1>Ochre grade: labs 0..1 on the lab1-paging kernel</h1>" in dom, dom[:2000]
    text = re.sub(r"<[^>]+>", "", dom)
    for want in ("PARTIAL TOTAL: 0/4", "lab 1: test_pagefault (0/4)",
                 "kernel PANIC while waiting for /^PAGE FAULT",
                 "PANIC: page fault in the kernel",
                 "&lt;ktest_pagefault+0x",           # the symbolized RIP, escaped
                 "make qemu BOOT=direct CMDLINE='ktest=pagefault pf_addr=",
                 f"make replay TEST={TEST}"):
        assert want in text, f"{want!r} not in the rendered page:\n{text[:5000]}"
    # From the serial log (the test reads or writes, at random).
    assert re.search(r"ktest pagefault: (reading|writing) 0x", text), text[:5000]
    assert re.search(r'<td class="fail">FAIL</td><td class="num">0/4</td>', dom), dom[:5000]


def dump_dom(page, tmp_path):
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
                        "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS="/dev/null"))
    assert r.returncode == 0 and r.stdout.startswith("<"), r.stderr[-2000:]
    return r.stdout


# ---- escaping and the batch page (no QEMU) -------------------------------------

class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links, self.text = [], [], ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k == "href"]

    def handle_data(self, data):
        self.text += data


def parse(text):
    p = Tags()
    p.feed(text)
    return p


def test_run_page_escapes_what_the_kernel_printed(tmp_path):
    """Kernel output and test names are text, never markup: a serial log
    with <script> shows as those characters."""
    log = tmp_path / "t.log"
    log.write_text("<script>alert(1)</script> & <marquee>m</marquee>\n")
    board = scores.Scoreboard(1, {1: "lab1-paging"})
    result = scores.TestResult("t.py::test_<u>x", "test_<u>x", 1, 2, "doc <u>", ("t.py", 1))
    result.outcome, result.ran = "failed", True
    result.output = ["headline <em>"]
    result.failures = [{"headline": "got <script>", "seen": "</pre><blink>", "log": str(log),
                        "reproduce": "make qemu CMDLINE='<x>'"}]
    board.results[result.nodeid] = result
    page = parse(report.render_run(board, 1.0))
    assert not {"script", "marquee", "blink", "u", "em"} & set(page.tags), set(page.tags)
    for want in ("<script>alert(1)</script> & <marquee>m</marquee>", "got <script>", "</pre><blink>",
                 "test_<u>x", "make qemu CMDLINE='<x>'"):
        assert want in page.text


def test_batch_page_lists_every_submission(tmp_path):
    """`python3 grader/ochre/report.py batch DIR` writes DIR/report.html: one
    row per results.json (score, failed tests, a link to the submission's
    own page) and the tests failed most often."""
    for name, score, failed in (("alice", 3, []), ("bob", 0, ["lab 1: test_<a>"])):
        d = tmp_path / name
        d.mkdir()
        tests = [{"name": "lab 1: test_<a>", "score": score, "max_score": 3,
                  "status": "failed" if failed else "passed", "output": ""}]
        (d / "results.json").write_text(json.dumps({"score": score, "max_score": 3,
                                                    "tests": tests}))
    (tmp_path / "bob" / "report.html").write_text("<html></html>")
    r = sh(f"{sys.executable} grader/ochre/report.py batch {tmp_path}")
    assert r.returncode == 0, r.stdout
    page = parse((tmp_path / "report.html").read_text())
    assert page.links == ["bob/report.html"], page.links
    for want in ("alice", "3/3", "bob", "0/3", "lab 1: test_<a>", "1/2"):
        assert want in page.text, page.text

"""End-to-end test of the grader plugin with a fake QEMU.

Builds a tiny repository in a temporary directory (a copy of the grader's
machinery, one lab directory, a fake ISO, a kernel ELF that is only a PVH
note, an empty module container and kernel.sym) and runs pytest on
it, in parallel, with OCHRE_QEMU pointing at a script that speaks the
kernel's serial protocol. Checks lab selection, the score table, results.json,
saved logs and the failure messages (ktest failure, panic, triple fault).
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap

import pytest

GRADER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FAKE_QEMU = r'''#!/usr/bin/env python3
import os, sys, time
if os.environ.get("FAKE_PID_DIR"):
    open(os.path.join(os.environ["FAKE_PID_DIR"], str(os.getpid())), "w").close()
argv = sys.argv[1:]
cmdline = ""
debug, debug_log = "", None
for i, a in enumerate(argv):
    if a == "-fw_cfg":
        cmdline = argv[i + 1].split("string=", 1)[1].replace(",,", ",").strip()
    if a == "-d":
        debug = argv[i + 1]
    if a == "-D":
        debug_log = argv[i + 1]
opts = dict(w.split("=", 1) for w in cmdline.split() if "=" in w)
out = sys.stdout
def say(line):
    out.write(line + "\r\n"); out.flush()
say("Ochre fake - a teaching OS")
name = opts.get("ktest")
if name == "pass_me":
    say("KTEST pass_me: PASS"); say("KTEST done: 1 passed, 0 failed"); sys.exit(1)
if name == "fail_me":
    say("KTEST fail_me: FAIL fake.c:3: boom"); say("KTEST done: 0 passed, 1 failed"); sys.exit(3)
if name == "panic_me":
    say("PANIC: out of cheese"); say("  RIP 0xffffffff80100123"); say("PANIC end"); sys.exit(5)
if name == "triple":
    with open(debug_log, "w") as f:
        f.write("CPU Reset (CPU 0)\n")
        if "int" in debug:
            f.write("check_exception old: 0xffffffff new 0xe\n"
                    "     1: v=0e e=0000 i=0 cpl=0 IP=0008:ffffffff80100123 "
                    "pc=ffffffff80100123 SP=0010:ffffffff80200000 CR2=ffffc90000000000\n"
                    "check_exception old: 0xe new 0xd\n"
                    "     2: v=08 e=0000 i=0 cpl=0 IP=0008:ffffffff80100123 "
                    "pc=ffffffff80100123 SP=0010:ffffffff80200000 env->regs[R_EAX]=0\n"
                    "check_exception old: 0x8 new 0xd\n")
        f.write("Triple fault\n")
    sys.exit(0)
if "rescue" in cmdline.split():
    say("bootstrap: no initfs (no AT_OCHRE_INITFS_ADDR/SIZE)")
    say("bootstrap: rescue shell (ls, cat, echo, exit); exit status 70")
    out.write("rescue> "); out.flush()
    time.sleep(60)
if "hang" in cmdline.split():
    # A kernel spinning in map_page with interrupts off, as QEMU's QMP
    # monitor (-qmp unix:PATH,...) shows it.
    import json, socket
    spec = argv[argv.index("-qmp") + 1][len("unix:"):]
    path = spec.split(",server=")[0].split(",abstract=on")[0].replace(",,", ",")
    if ",abstract=on" in spec:      # a deep log directory's socket (no file)
        path = "\0" + path
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    conn = server.accept()[0].makefile("rw")
    conn.write(json.dumps({"QMP": {"version": {}}}) + "\n"); conn.flush()
    regs = ("RAX=0000000000000000 RBX=0000000000000000\n"
            "RIP=ffffffff80100110 RFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n")
    for request in conn:
        request = json.loads(request)
        answer = {}
        if request["execute"] == "stop":
            conn.write(json.dumps({"event": "STOP"}) + "\n")
        if request["execute"] == "human-monitor-command":
            answer = regs if request["arguments"]["command-line"] == "info registers" else ""
        conn.write(json.dumps({"return": answer}) + "\n"); conn.flush()
    time.sleep(60)
say("ochre> ")
time.sleep(60)
'''

TEST_LAB1 = '''
import pytest
pytestmark = pytest.mark.lab(1)

@pytest.mark.points(2)
def test_passes(ochre):
    """Passes."""
    ochre.ktest("pass_me")

@pytest.mark.points(3)
def test_fails(ochre):
    """Fails with a KTEST FAIL line."""
    ochre.ktest("fail_me")

@pytest.mark.points(1)
def test_panics(ochre):
    ochre.ktest("panic_me")

@pytest.mark.points(1)
def test_triple(ochre):
    ochre.ktest("triple")

@pytest.mark.points(1)
def test_plain_assert(ochre):
    m = ochre.boot("")
    m.expect("ochre> ")
    assert 1 + 1 == 3
'''

TEST_LAB2 = '''
import pytest
pytestmark = pytest.mark.lab(2)

@pytest.mark.points(5)
def test_later_lab(ochre):
    ochre.ktest("pass_me")
'''

TEST_FOUNDATION = '''
import pytest
pytestmark = pytest.mark.lab(0)

def test_banner(ochre):
    ochre.boot("").expect("^Ochre ")
'''


def pvh_note_only_elf():
    """An ELF64 file whose one program header is a PT_NOTE holding the PVH
    entry note: all that the grader checks of a kernel before booting it."""
    note = struct.pack("<III4sI", 4, 4, 18, b"Xen\0", 0x100000)
    ehdr = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
            + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x100000, 64, 0, 0, 64, 56, 1, 0, 0, 0))
    phdr = struct.pack("<IIQQQQQQ", 4, 4, 120, 0, 0, len(note), len(note), 4)
    return ehdr + phdr + note


@pytest.fixture
def fake_repo(tmp_path):
    repo = tmp_path / "repo"
    grader = repo / "grader"
    shutil.copytree(os.path.join(GRADER, "ochre"), grader / "ochre",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pytest.ini"):
        shutil.copy(os.path.join(GRADER, name), grader / name)
    (grader / "test_lab1.py").write_text(TEST_LAB1)
    (grader / "test_lab2.py").write_text(TEST_LAB2)
    (grader / "test_foundation.py").write_text(TEST_FOUNDATION)
    (repo / "lab1-fake").mkdir()
    (repo / "lab2-fake").mkdir()
    (repo / "common" / "mk").mkdir(parents=True)
    (repo / "common" / "mk" / "qemu-args").write_text("# fake\n-cdrom {iso}\n-no-reboot\n")
    for name in ("qemu.py", "bootmods.py"):
        shutil.copy(os.path.join(GRADER, "..", "common", "mk", name), repo / "common" / "mk")
    build = repo / "build" / "lab1"
    build.mkdir(parents=True)
    (build / "ochre.iso").write_text("not really an ISO")
    (build / "kernel.elf").write_bytes(pvh_note_only_elf())
    (build / "modules.img").write_bytes(b"OCHREMOD" + bytes(4088))
    (build / "kernel.sym").write_text("ffffffff80100000 T kmain\nffffffff80100100 T map_page\n")
    qemu = tmp_path / "fake-qemu"
    qemu.write_text(FAKE_QEMU)
    qemu.chmod(0o755)
    return repo, str(qemu)


def run_pytest(repo, qemu, *args, **env_extra):
    env = dict(os.environ, OCHRE_QEMU=qemu, PYTHONDONTWRITEBYTECODE="1", **env_extra)
    return subprocess.run([sys.executable, "-m", "pytest", "grader", *args], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=300)


def test_grading_end_to_end(fake_repo):
    repo, qemu = fake_repo
    r = run_pytest(repo, qemu, "--lab", "1", "-n", "2", "--gradescope", "results.json")
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    # pytest's own summary line is still there (lab 2's test is deselected;
    # xdist does not count deselected tests in that line).
    assert "4 failed, 2 passed in" in out
    # The score table.
    table = out[out.index("Ochre score"):]
    assert "PASS    2/2   test_passes" in table
    assert "FAIL    0/3   test_fails" in table
    assert "lab 1 total: 2/8" in table
    assert "TOTAL: 2/8" in table
    assert table.index("test_passes") < table.index("test_fails") < table.index("test_panics")
    # Failure messages.
    assert "in-kernel test fail_me: expected PASS" in out
    assert "make -C lab1-fake qemu BOOT=direct CMDLINE='ktest=fail_me'" in out
    assert "kernel PANIC while waiting for" in out and "[kernel.sym: map_page+0x23]" in out
    assert "Triple fault. It started with #PF page fault" in out
    assert "<map_page+0x23>" in out
    assert "assert (1 + 1) == 3" in out and "Kernel state when the test failed" in out
    # Logs: one per test, named after it.
    logs = sorted(os.listdir(os.path.join(repo, "build", "grade", "lab1")))
    assert "test_passes.log" in logs and "test_banner.log" in logs
    assert "test_triple.qemu.log" in logs and "test_passes.qemu.log" not in logs
    # results.json
    with open(os.path.join(repo, "results.json")) as f:
        data = json.load(f)
    assert data["score"] == 2 and data["max_score"] == 8
    tests = {t["name"]: t for t in data["tests"]}
    assert tests["lab 1: test_passes"]["status"] == "passed"
    assert tests["lab 1: test_fails"]["score"] == 0
    assert tests["lab 1: test_fails"]["output"].startswith("Fails with a KTEST FAIL line.")
    assert tests["lab 0: test_banner"]["max_score"] == 0


TEST_HANG = '''
import pytest
pytestmark = pytest.mark.lab(1)

def test_hangs(ochre):
    ochre.boot("hang", timeout=1).expect("never")
'''


def test_timeout_says_where_the_cpu_is(fake_repo):
    """A graded boot has a QMP socket; at a TIMEOUT the grader asks it
    where the CPU is (here a fake QEMU's: in map_page, interrupts off) and
    says so under the headline. The socket goes with the test."""
    repo, qemu = fake_repo
    (repo / "grader" / "test_lab1_hang.py").write_text(TEST_HANG)
    r = run_pytest(repo, qemu, "--lab", "1", "-n", "0", "-k", "test_hangs")
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert ("TIMEOUT after 1s waiting for /never/\n\nThe CPU is spinning in map_page with "
            "interrupts off: a loop that never ends") in out, out
    assert "kernel mode (CPL 0), interrupts off (RFLAGS.IF=0)" in out
    assert "RIP 0xffffffff80100110 <map_page+0x10>" in out
    logs = os.listdir(os.path.join(repo, "build", "grade", "lab1"))
    assert "test_hangs.log" in logs and not [n for n in logs if n.endswith(".qmp")], logs


def test_unknown_lab_is_a_usage_error(fake_repo):
    repo, qemu = fake_repo
    r = run_pytest(repo, qemu, "--lab", "7")
    assert r.returncode == 4
    assert "--lab 7: there is no lab7-* directory" in r.stderr


def test_missing_iso_is_a_usage_error(fake_repo):
    repo, qemu = fake_repo
    r = run_pytest(repo, qemu, "--lab", "2")
    assert r.returncode == 4
    assert "build/lab2/ochre.iso does not exist: build it first with `make -C lab2-fake`" in r.stderr


def test_kernel_without_pvh_note_is_a_usage_error(fake_repo):
    """The grader boots kernel.elf directly: without the PVH note it says
    so before any test runs; --boot grub still grades the ISO."""
    repo, qemu = fake_repo
    (repo / "build" / "lab1" / "kernel.elf").write_bytes(b"\x7fELF not really")
    r = run_pytest(repo, qemu, "--lab", "1")
    assert r.returncode == 4
    assert "build/lab1/kernel.elf has no PVH entry note" in r.stderr
    r = run_pytest(repo, qemu, "--lab", "1", "--boot", "grub", "-k", "passes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "with build/lab1/ochre.iso" in r.stdout


def test_without_lab_kernel_tests_are_deselected(fake_repo):
    repo, qemu = fake_repo
    r = run_pytest(repo, qemu)
    assert "7 deselected" in r.stdout
    assert "Ochre score" not in r.stdout


def test_rescue_shell_ends_a_test_at_once(fake_repo):
    """A boot that lands in bootstrap's rescue shell fails the test at once
    with that headline, unless the test booted with rescue=True."""
    repo, qemu = fake_repo
    (repo / "grader" / "test_lab1.py").write_text(textwrap.dedent('''
        import pytest
        pytestmark = pytest.mark.lab(1)

        @pytest.mark.timeout(50)
        @pytest.mark.points(1)
        def test_wants_a_shell(ochre):
            ochre.boot("rescue", timeout=100).expect(r"\\$ $")

        @pytest.mark.timeout(50)
        @pytest.mark.points(1)
        def test_wants_the_rescue_shell(ochre):
            ochre.boot("rescue", rescue=True).expect(r"rescue> $")
        '''))
    r = run_pytest(repo, qemu, "--lab", "1", "-k", "wants")
    out = r.stdout
    assert "1 failed, 1 passed, " in out, out + r.stderr
    assert ("bootstrap gave up and started its rescue shell while waiting for /\\$ $/"
            in out)
    assert "bootstrap: no initfs" in out and "Timeout" not in out


def test_per_test_timeout_kills_qemu(fake_repo, tmp_path):
    repo, qemu = fake_repo
    (repo / "grader" / "test_lab1.py").write_text(textwrap.dedent('''
        import pytest
        pytestmark = pytest.mark.lab(1)

        @pytest.mark.timeout(3)
        @pytest.mark.points(1)
        def test_hangs(ochre):
            m = ochre.boot("")
            m.expect("ochre> ")
            m.expect("never", timeout=100)
        '''))
    pids = tmp_path / "pids"
    pids.mkdir()
    r = run_pytest(repo, qemu, "--lab", "1", "-k", "hangs", FAKE_PID_DIR=str(pids))
    assert r.returncode == 1
    assert "Timeout >3.0s" in r.stdout and "Kernel state when the test failed" in r.stdout
    started = [int(p) for p in os.listdir(pids)]
    assert started
    for pid in started:
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z"

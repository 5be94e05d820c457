"""The commands README.md and the handouts name, run for real.

Nothing here compares a command as a string: `make run` is driven through a
pseudo-terminal, `make qemu` boots, gdb connects to `make qemu-gdb`, and the
reproduce command the grader prints under a failure is executed from the
directory the grade ran in. The make-correctness cases (dependencies, the
initfs program list, RETIRES) run on a copy of the tree.

Builds in this repository's build/ are serialized with a lock, so these
tests may run in parallel (pytest -n) with each other.
"""

import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, make, sh

LAB1 = str(ROOT / "lab1-paging")
GDB = shutil.which("gdb-multiarch") or shutil.which("gdb")


# ---- make run, make qemu, make qemu-gdb ---------------------------------------

class Pty:
    """A command on a pseudo-terminal, as on a student's screen."""

    def __init__(self, cmd, cwd=ROOT):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.environ["PWD"] = str(cwd)
            for k in ("CMDLINE", "MAKEFLAGS", "MAKELEVEL"):
                os.environ.pop(k, None)
            os.execvp("/bin/sh", ["/bin/sh", "-c", cmd])
        self.text = ""
        self.pos = 0     # expect() searches after the previous match

    def expect(self, pattern, timeout=180):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            assert left > 0, f"timeout waiting for {pattern!r}; got:\n{self.text[-3000:]}"
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                assert data, f"EOF waiting for {pattern!r}; got:\n{self.text[-3000:]}"
                self.text += data.decode("utf-8", "replace").replace("\r", "")

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:       # keep draining, so the child never blocks on output
                if select.select([self.fd], [], [], 0.1)[0]:
                    self.text += os.read(self.fd, 4096).decode("utf-8", "replace").replace("\r", "")
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        self.kill()
        raise AssertionError(f"did not exit; output:\n{self.text[-3000:]}")

    def kill(self):
        try:
            os.killpg(os.getpgid(self.pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.mark.needs(solved="latest")
def test_make_run(repo_lock):
    """README's first command: `make run` boots the most complete lab on this
    terminal; the shell answers, and `exit` powers off with status 0."""
    t = Pty("make run")
    try:
        t.expect(r"^\$ $")
        t.send("echo ok\r")
        t.expect(r"^ok$")
        t.expect(r"^\$ $")
        t.send("exit\r")
        status = t.wait()
    finally:
        t.kill()
    assert status == 0, t.text[-3000:]
    assert "Error" not in t.text, t.text[-3000:]


@pytest.mark.needs(solved=4)   # profiles the reference fork and exec
def test_make_profile(repo_lock):
    """docs/bench.md's profiler: the trace of each benchmark operation
    accounts for its instructions (the segments add up to what user space
    measured, within the markers' own cost), and fork's shows the child's
    exit giving its frames back. Run as lab 4's handout (§7.2) names it;
    `make profile` at the top runs the same recipe on lab 6. The profiled
    kernel compiles again only the files that name OCHRE_PROF (or include
    one that does) and shares the normal build's other objects: a hook
    left out by mistake would break the sums checked here."""
    r = make("-C lab4-userspace-exec profile", timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    ops = re.findall(r"^prof:   sum (\d+); measured from user space (\d+)$",
                     r.stdout, re.M)
    assert len(ops) == 3, r.stdout[-3000:]
    for total, measured in ops:
        assert abs(int(total) - int(measured)) < 1000, (total, measured)
    fork = r.stdout.split("prof: fork+exit+wait")[1].split("prof: fork+execve")[0]
    freed = re.findall(r"sys_exit\(.*\) = \d+  frames \+(\d+) ", fork)
    assert freed and int(freed[0]) > 0, fork
    assert "prof: done" in r.stdout, r.stdout[-3000:]


@pytest.mark.needs(solved=1)
def test_make_qemu_ktest(repo_lock):
    """The handout's command runs one in-kernel test and exits 0."""
    r = make("-C lab1-paging qemu CMDLINE='ktest=frames_basic'")
    assert "KTEST frames_basic: PASS" in r.stdout, r.stdout
    assert r.returncode == 0, r.stdout
    assert "Error" not in r.stdout, r.stdout


def test_cmdline_passed_exactly(repo_lock):
    """Commas, spaces and quotes in CMDLINE reach the kernel as typed (the
    monitor's `cmdline` command prints what it got)."""
    value = """monitor a,b c=1,,2 'q' "d" """.strip()
    t = Pty(f"make -C lab1-paging qemu CMDLINE={shlex.quote(value)}")
    try:
        t.expect(r"ochre> $")
        t.send("cmdline\r")
        t.expect(r"ochre> $")
        assert value in t.text, t.text[-2000:]
        t.send("poweroff\r")
        assert t.wait() == 0, t.text[-2000:]
    finally:
        t.kill()


@pytest.mark.parametrize("args, message", [
    ("qemu CMDLINE=\"$(printf 'ktest=a\\tb')\"", r"CMDLINE contains '\\t'.*: remove them"),
    ("qemu CMDLINE=\"$(printf 'x%.0s' $(seq 600))\"", r"CMDLINE is 600 bytes.*: shorten it"),
    ("qemu QEMU_ISO=/nonexistent/ochre.iso", r"/nonexistent/ochre.iso does not exist: "
                                            r"build it first with `make -C lab1-paging`"),
    ("qemu OCHRE_QEMU=/nonexistent/qemu", r"/nonexistent/qemu is not installed: run `make deps`"),
])
def test_bad_input_one_line(repo_lock, args, message):
    """A command line the kernel cannot take, a missing ISO, a missing
    QEMU: one line that names the fix, and a failing exit status."""
    r = make(f"-C lab1-paging {args}")
    assert r.returncode != 0
    lines = [l for l in r.stdout.splitlines() if l.startswith("qemu.py: ")]
    assert len(lines) == 1 and re.search(message, lines[0]), r.stdout


@pytest.mark.needs(solved=1)
def test_make_from_another_directory(repo_lock, tmp_path):
    """make -C works from any directory."""
    r = make(f"-C {LAB1} qemu CMDLINE='ktest=frames_basic'", cwd=str(tmp_path))
    assert r.returncode == 0 and "KTEST frames_basic: PASS" in r.stdout, r.stdout


@pytest.mark.needs(solved=2)
def test_lab2_demo(repo_lock):
    """README: `make -C lab2-contexts qemu` shows lab 2's process demo,
    which ends in a clean poweroff."""
    r = make("-C lab2-contexts qemu", timeout=180)
    assert "init: done." in r.stdout and r.returncode == 0, r.stdout[-3000:]


def test_compile_commands(tree_copy):
    """README: `make -C lab1-paging compile_commands.json` writes the
    compile commands of every kernel C file, for clangd."""
    r = make("-C lab1-paging compile_commands.json", cwd=tree_copy)
    assert r.returncode == 0, r.stdout
    entries = json.loads((tree_copy / "compile_commands.json").read_text())
    files = {os.path.basename(e["file"]) for e in entries}
    assert {"mapper.c", "kmain.c", "frame.c"} <= files, files


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(GDB is None, reason="no gdb (make deps installs gdb-multiarch)")
def test_qemu_gdb(repo_lock):
    """`make qemu-gdb` waits for gdb; gdb (batch mode, the gdbinit that
    `make gdb` uses) breaks in a kernel function and shows the backtrace."""
    port = free_port()
    t = Pty(f"make -C lab1-paging qemu-gdb GDBPORT={port} CMDLINE='ktest=frames_basic'")
    try:
        t.expect(r"QEMU waits for gdb on port")
        gdbinit = os.path.join(ROOT, "build", "lab1", "gdbinit")
        deadline = time.monotonic() + 60
        while True:   # QEMU opens the port a moment after make prints that
            g = subprocess.run([GDB, "-q", "-batch", "-nx", "-x", gdbinit,
                                "-ex", "break ktest_frames_basic", "-ex", "continue",
                                "-ex", "bt", "-ex", "kill"],
                               cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=120)
            if "Connection refused" not in g.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        out = g.stdout + g.stderr
        assert re.search(r"Breakpoint 1, .*ktest_frames_basic", out), out + t.text
        assert re.search(r"#0 .*ktest_frames_basic", out), out
        assert re.search(r"#1 .* in run_one ", out), out   # the caller: the ktest runner
    finally:
        t.kill()


# ---- the reproduce command, on a starter tree --------------------------------

def reproduce_from(output):
    """The failure line and the reproduce command of the first failure."""
    failure = re.search(r"^KTEST frames_basic: FAIL.*$", output, re.M)
    cmd = re.search(r"^--- reproduce this boot with ---\n(.+)$", output, re.M)
    assert failure and cmd, output
    return failure.group(0), cmd.group(1)


@pytest.mark.parametrize("where", ["lab1-paging", "."])
@pytest.mark.needs(course=True)
def test_reproduce_command_reproduces(starter, where):
    """Under a failure the grader prints a command; typed in the directory
    `make grade` ran in (inside the lab, or at the top with -C), it boots
    the same kernel with the same command line and shows the same failure.
    The log path printed is valid from there too."""
    cwd = os.path.normpath(os.path.join(starter, where))
    grade = "make grade" if where != "." else "make -C lab1-paging grade"
    r = sh(f"{grade} GRADE_ARGS='-k frames_basic'", cwd=cwd)
    assert r.returncode != 0, r.stdout
    line, cmd = reproduce_from(r.stdout)
    log = re.search(r"\(full log: (\S+)\)", r.stdout).group(1)
    assert os.path.isfile(os.path.join(cwd, log)), (cwd, log)
    assert not re.search(r"^\[gw\d+\] ", r.stdout, re.M)   # no xdist worker line
    again = sh(cmd, cwd=cwd, timeout=120)
    assert line in again.stdout, f"$ {cmd}\n{again.stdout}"
    assert again.returncode != 0


@pytest.mark.needs(course=True)
def test_reproduce_with_build_root(starter, repo_lock):
    """Grading another tree's build (--build-root) from this repository:
    the reproduce command boots the kernel that was graded, not this
    repository's own, and shows the same failure."""
    r = sh(f"{shlex.quote(sys.executable)} -m pytest grader --lab 1 -k frames_basic "
            f"--build-root {starter}/build -p no:cacheprovider")
    line, cmd = reproduce_from(r.stdout)
    assert (f"BOOT=direct QEMU_KERNEL={starter}/build/lab1/kernel.elf "
            f"QEMU_MODULES={starter}/build/lab1/modules.img") in cmd, cmd
    again = sh(cmd, timeout=120)
    assert line in again.stdout, f"$ {cmd}\n{again.stdout}"


# ---- make correctness, on a copy of the tree ---------------------------------

def keep_only(tree, keep):
    """Delete the user programs not named in keep (repository paths without
    .c), so a test builds a few programs instead of all of them."""
    for user in tree.glob("lab*/user"):
        for src in user.glob("*.c"):
            if str(src.relative_to(tree))[:-2] not in keep:
                src.unlink()


@pytest.mark.needs(lab=2)
def test_bundled_program_rebuilds_when_its_header_changes(built_copy):
    """Lab 2 links every program into the bootstrap image: touching a header
    rebuilds exactly the programs that include it (in a copy of lab 2's
    build, with a few programs left)."""
    tree = built_copy("lab2-contexts")
    keep_only(tree, {f"lab2-contexts/user/{p}" for p in
                     ("bootstrap", "bench", "procdemo", "efault", "faults")})
    r = make(f"-j2 -C lab2-contexts {tree}/build/lab2/bootstrap.elf", cwd=str(tree))
    assert r.returncode == 0, r.stdout
    user = tree / "lab2-contexts" / "user"
    progs = sorted(p.stem for p in user.glob("*.c") if p.stem != "bootstrap")
    includers = sorted(p for p in progs if '#include "utest.h"' in (user / f"{p}.c").read_text())
    assert includers and len(includers) < len(progs)
    time.sleep(1.1)
    (tree / "common" / "user" / "utest.h").touch()
    r = make(f"-j2 -C lab2-contexts {tree}/build/lab2/bootstrap.elf", cwd=str(tree))
    assert r.returncode == 0, r.stdout
    rebuilt = sorted(re.findall(r"CC +lab2-contexts/user/(\w+)\.c \(bundled\)", r.stdout))
    assert rebuilt == includers, r.stdout


@pytest.mark.needs(lab=3)
def test_removed_program_leaves_the_initfs_image(built_copy):
    """A program deleted from user/ is gone from the initfs image (in a
    copy of lab 3's build, with a few programs left)."""
    tree = built_copy("lab3-schemes")
    keep_only(tree, {"lab2-contexts/user/bootstrap", "lab2-contexts/user/bench",
                     "lab3-schemes/user/bootstrap", "lab3-schemes/user/cat",
                     "lab3-schemes/user/wc", "lab3-schemes/user/echo"})
    b = tree / "build" / "lab3"
    r = make(f"-j2 -C lab3-schemes {b}/initfs.img", cwd=str(tree))
    assert r.returncode == 0, r.stdout

    def listing():
        out = sh(f"{b}/tools/mkinitfs --check {b}/initfs.img").stdout
        return re.findall(r"\S+$", out, re.M)
    assert "/bin/wc" in listing() or "bin/wc" in " ".join(listing())
    (tree / "lab3-schemes" / "user" / "wc.c").unlink()
    r = make(f"-C lab3-schemes {b}/initfs.img", cwd=str(tree))
    assert r.returncode == 0, r.stdout
    assert not any(p.endswith("/wc") for p in listing()), listing()
    assert any(p.endswith("/cat") for p in listing()), listing()


def kernel_sources(tree, lab):
    r = make(f"-C {lab} -pn", cwd=str(tree))
    m = re.search(r"^KSRCS := (.*)$", r.stdout, re.M)
    assert m, r.stdout[-2000:]
    return m.group(1).split(), r


@pytest.mark.needs(lab=4)
def test_retires_continuation_line(tree_copy):
    """RETIRES is read by make: a continued line, or RETIRES += on a second
    line, retires every file named."""
    mk = tree_copy / "lab4-userspace-exec" / "Makefile"
    text = mk.read_text()
    retires = re.search(r"^RETIRES := (.*)$", text, re.M).group(1).split()
    assert len(retires) >= 3
    mk.write_text(text.replace(" ".join(retires),
                               f"{retires[0]} \\\n\t{retires[1]}\nRETIRES += {' '.join(retires[2:])}"))
    srcs, _ = kernel_sources(tree_copy, "lab4-userspace-exec")
    kernel_retired = [p for p in retires if "/kernel/" in p]
    for p in kernel_retired:
        assert str(tree_copy / p) not in srcs
    assert any(s.endswith("lab4-userspace-exec/kernel/procfile.c") for s in srcs)


@pytest.mark.needs(lab=4)
def test_retires_missing_path_is_an_error(tree_copy):
    """A misspelled RETIRES path stops the build with a message naming it."""
    mk = tree_copy / "lab4-userspace-exec" / "Makefile"
    mk.write_text(mk.read_text().replace("lab2-contexts/kernel/fork.c", "lab2-contexts/kernel/frok.c"))
    r = make("-C lab4-userspace-exec", cwd=str(tree_copy))
    assert r.returncode != 0
    assert "RETIRES names lab2-contexts/kernel/frok.c, which does not exist" in r.stdout, r.stdout


def test_failed_recipe_leaves_no_output(built_copy):
    """.DELETE_ON_ERROR and pipefail: a failing symbol-table pipe
    (nm -n kernel.pass1.elf | symbolize > ksyms.c) leaves no ksyms.c that
    would count as up to date: not when symbolize fails after writing part
    of it, and not when nm fails (without pipefail, symbolize would write
    an empty table and the recipe succeed). In a copy of lab 1's build,
    where ksyms.c exists; only its recipe runs again."""
    tree = built_copy("lab1-paging")
    b = tree / "build" / "lab1"
    ksyms, sym, pass1 = b / "ksyms.c", b / "tools" / "symbolize", b / "kernel.pass1.elf"
    old, real = os.stat(sym), sym.read_bytes()
    for broken in ("symbolize", "nm"):
        if broken == "symbolize":   # writes part of its output, then fails
            sym.write_text("#!/bin/sh\necho partial; exit 1\n")
        else:                       # the real symbolize; nm cannot read pass1
            sym.write_bytes(real)
            pass1.write_text("not an ELF file\n")
            ksyms.write_text("/* as before */\n")
        # symbolize keeps its time (ksyms-empty.c stays up to date); ksyms.c
        # is older than pass1, so its recipe alone runs.
        os.utime(sym, ns=(old.st_atime_ns, old.st_mtime_ns))
        before = os.stat(pass1).st_mtime - 10
        os.utime(ksyms, (before, before))
        r = make(f"-C lab1-paging {ksyms}", cwd=str(tree))
        assert r.returncode != 0 and "ksyms.c] Error" in r.stdout, (broken, r.stdout)
        assert not ksyms.exists(), broken


@pytest.mark.needs(lab=3)
@pytest.mark.skipif(shutil.which("clang") is None, reason="no clang (make deps-course installs it)")
def test_make_clang_checks_each_retired_file_in_its_last_lab(tree_copy):
    """`make clang` compiles the latest lab with clang and, in an earlier
    lab, checks only the files the next lab retires (no other build of
    clang sees them): a retired file clang rejects fails lab 2's check; a
    lab-2 file that later labs still compile is left to the latest lab's
    clang build."""
    probe = "\n#ifdef __clang__\n#error clang_probe\n#endif\n"
    retired = tree_copy / "lab2-contexts" / "kernel" / "debugwrite.c"   # lab 3 RETIRES it
    kept = tree_copy / "lab2-contexts" / "kernel" / "sched.c"
    kept.write_text(kept.read_text() + probe)
    r = make("clang-check-lab2-contexts", cwd=str(tree_copy))
    assert r.returncode == 0, r.stdout
    assert "CHECK lab2-contexts with clang: kernel (only the 1 the next lab retires)" in r.stdout, \
        r.stdout
    retired.write_text(retired.read_text() + probe)
    r = make("clang-check-lab2-contexts", cwd=str(tree_copy))
    assert r.returncode != 0 and "clang_probe" in r.stdout, r.stdout
    # One lab's files, all of them, as the README shows it.
    r = sh("make -C lab2-contexts syntax-check CC=clang", cwd=tree_copy)
    assert r.returncode != 0 and "sched.c" in r.stdout and "clang_probe" in r.stdout, r.stdout

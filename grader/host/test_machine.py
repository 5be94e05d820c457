"""Host tests of the grader's own machinery, against fake "kernels".

A Machine only needs a program that writes to stdout, reads stdin and exits
with a status, so small shell scripts stand in for QEMU here. These tests
run without --lab (they have no lab marker). Only the report of where the
CPU is at a TIMEOUT boots real kernels (this tree's lab 1 and lab 3
builds, each a second of QEMU), since only QEMU's monitor can say it.
"""

import os
import re
import sys
import time

import pytest

GRADER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, GRADER)

from ochre import machine as machine_module  # noqa: E402
from ochre import cpustate, symbols, tree, triage  # noqa: E402
from ochre.machine import GradeFailure, Machine, describe_status  # noqa: E402
from ochre.plugin import RESCUE  # noqa: E402


def sh(script):
    return ["/bin/sh", "-c", script]


@pytest.fixture
def machine(tmp_path):
    """machine(script, **kw) -> started Machine; all closed at teardown."""
    made = []

    def make(script, **kw):
        kw.setdefault("log_path", str(tmp_path / f"m{len(made)}.log"))
        kw.setdefault("reproduce", "make -C lab1-paging qemu CMDLINE='ktest=x'")
        kw.setdefault("default_timeout", 10)
        m = Machine(sh(script), **kw)
        made.append(m)
        return m.start()

    yield make
    for m in made:
        m.close()


def test_expect_returns_match_and_before(machine):
    m = machine("echo hello; echo 'KTEST a: PASS'; echo after")
    found = m.expect(r"^KTEST (\w+): (PASS|FAIL.*)$")
    assert found.group(1) == "a" and found.group(2) == "PASS"
    assert m.before == "hello\n"
    m.expect("after")


def test_lines_are_consumed_in_order(machine):
    m = machine("echo one; echo two; echo one")
    m.expect("one")
    m.expect("two")
    m.expect("one")   # the second "one", not the first again


def test_crlf_line_endings(machine):
    m = machine(r"printf 'KTEST a: PASS\r\nnext\r\n'")
    assert m.expect(r"^KTEST a: (PASS)$").group(1) == "PASS"
    m.expect(r"^next$")


def test_prompt_on_unfinished_line_and_input(machine):
    # Enter is a carriage return, so read a fixed number of bytes.
    m = machine("printf 'ochre> '; line=$(head -c 5 | tr -d '\\r'); echo \"got $line\"; exit 3")
    m.expect(r"ochre> $")
    m.sendline("help")
    m.expect(r"^got help\r?$")
    assert m.wait_exit(status=3) == 3


def test_partial_false_waits_for_the_whole_line(machine):
    m = machine("printf 'KTEST a: PA'; sleep 0.5; echo 'SS'")
    assert m.expect(r"^KTEST a: (\w+)$", partial=False).group(1) == "PASS"


def test_prompt_settles_on_cpu_time(machine, monkeypatch):
    # An idle guest keeps QEMU's CPU busy: its CPU time without output
    # settles a prompt long before the wall-clock SETTLE would.
    monkeypatch.setattr(machine_module, "SETTLE", 60)
    m = machine("printf '$ '; sleep 30")
    spent = iter(range(1000))
    m._cpu_time = lambda: next(spent) * 0.02
    start = time.monotonic()
    m.expect(r"\$ $")
    assert time.monotonic() - start < 10


def test_no_cpu_time_is_not_quiet(machine, monkeypatch):
    # A program that does not run (here: sleeps; in grading, a QEMU that a
    # loaded host does not schedule) gains no CPU time: its unfinished line
    # waits for the wall-clock SETTLE, and the line it goes on to finish
    # is not taken for a prompt.
    monkeypatch.setattr(machine_module, "SETTLE", 1.0)
    m = machine("printf '$ '; sleep 0.3; echo more; printf '$ '; sleep 30")
    m.expect(r"\$ $")
    assert m.before == "$ more\n"


def test_drain_ends_when_a_hung_guest_spins_silently(machine):
    # After a FAIL line the guest may stay hung for ever (a parent blocked
    # on a child that failed); an idle guest keeps QEMU's CPU busy, so
    # drain() stops after DRAIN_QUIET_CPU of it without output instead of
    # spinning a host CPU for its whole timeout.
    m = machine("echo 'prog: FAIL x'; while :; do :; done")
    m.expect(r"^prog: FAIL x$")
    start = time.monotonic()
    m.drain(timeout=20)
    assert time.monotonic() - start < 5
    assert m.status is None     # still running: drain judges nothing


def test_drain_keeps_last_words_that_cost_no_cpu(machine):
    # A program that is not running (a loaded host does not schedule QEMU)
    # gains no CPU time: drain waits on, and its last words are kept.
    m = machine("echo 'prog: FAIL x'; sleep 0.5; echo 'last words'; exit 3")
    m.expect(r"^prog: FAIL x$")
    m.drain(timeout=20)
    assert "last words" in m.output


def test_panic_fails_with_report_and_symbols(machine):
    syms = symbols.Symbols([(0xFFFFFFFF80100000, "kmain"), (0xFFFFFFFF80100100, "oops")])
    m = machine("echo boot; echo 'PANIC: out of frames'; echo '  RIP 0xffffffff80100123';"
                "echo 'PANIC end'; echo later; exit 5", symbols=syms)
    with pytest.raises(GradeFailure) as e:
        m.expect("KTEST")
    text = str(e.value)
    assert "kernel PANIC while waiting for /KTEST/" in text
    assert "PANIC: out of frames" in text
    assert "oops+0x23" in text
    assert "make -C lab1-paging qemu CMDLINE='ktest=x'" in text
    assert "later" not in text.split("--- last")[0]   # report stops at PANIC end


def test_allow_panic(machine):
    m = machine("echo 'PANIC: expected'; echo 'PANIC end'; exit 5")
    m.expect("PANIC: ", allow_panic=True)
    assert m.wait_exit(status=5, allow_panic=True) == 5


def test_panic_during_wait_exit(machine):
    m = machine("echo 'PANIC: late'; echo 'PANIC end'; exit 5")
    with pytest.raises(GradeFailure, match="kernel PANIC while waiting for the kernel to exit"):
        m.wait_exit(status=1)


# What lab 5's bootstrap prints when the initfs daemon fails, then it waits
# for a person at its rescue prompt.
RESCUE_BOOT = ("echo 'initfs: image rejected (crc: stored 0x1, computed 0x2)'; "
               "echo 'bootstrap: initfs daemon failed (status 2)'; "
               "echo 'bootstrap: rescue shell (ls, cat, echo, exit); exit status 71'; "
               "printf 'rescue> '; sleep 30")


def test_rescue_shell_fails_at_once(machine):
    m = machine(RESCUE_BOOT, default_timeout=60, give_up=[RESCUE])
    start = time.monotonic()
    with pytest.raises(GradeFailure) as e:
        m.expect(r"\$ $")
    assert time.monotonic() - start < 10
    text = str(e.value)
    assert text.startswith("bootstrap gave up and started its rescue shell "
                           "while waiting for /\\$ $/")
    assert "the lines before its banner (below) say why" in text
    assert "initfs: image rejected (crc:" in text.split("--- last")[1]
    assert e.value.parts["seen"].startswith("bootstrap: rescue shell (")


def test_rescue_shell_during_wait_exit(machine):
    m = machine(RESCUE_BOOT, default_timeout=60, give_up=[RESCUE])
    with pytest.raises(GradeFailure, match="bootstrap gave up and started its rescue shell "
                                           "while waiting for the kernel to exit"):
        m.wait_exit(status=1)


def test_rescue_shell_expected(machine):
    # A boot that asked for the rescue shell (ochre.boot(rescue=True)) has
    # no give_up lines: the banner is ordinary output.
    m = machine(RESCUE_BOOT.replace("sleep 30", "exit 3"))
    m.expect(r"^bootstrap: initfs daemon failed")
    m.expect(r"rescue> $")
    assert m.wait_exit(status=3) == 3


def test_exit_while_waiting_is_reported_at_once(machine):
    m = machine("echo 'KTEST a: FAIL x.c:1'; exit 3", default_timeout=60)
    start = time.monotonic()
    with pytest.raises(GradeFailure) as e:
        m.expect("never")
    assert time.monotonic() - start < 10
    assert "kernel exited with status 3 (kernel exit code 1: a test failed" in str(e.value)


def test_timeout_message(machine):
    m = machine("echo started; sleep 30")
    with pytest.raises(GradeFailure) as e:
        m.expect(r"^KTEST", timeout=0.5)
    text = str(e.value)
    assert text.startswith("TIMEOUT after 0.5s waiting for /^KTEST/")
    assert "started" in text


def test_status_zero_is_a_reset_and_explained(machine):
    m = machine("echo hi; exit 0", explain_reset=lambda m: "it was a triple fault")
    with pytest.raises(GradeFailure) as e:
        m.wait_exit()
    assert "triple fault or reset" in str(e.value)
    assert "it was a triple fault" in str(e.value)


def test_unexpected_exit_status(machine):
    m = machine("exit 9")
    with pytest.raises(GradeFailure, match=r"status 9 .*but exit status 1 .* was expected"):
        m.wait_exit(status=1)


def test_qemu_error_shows_stderr(machine, tmp_path):
    """QEMU's own errors end it before the guest runs, with status 2 or
    with status 1, a clean poweroff's (a socket path too long did, and a
    whole batch "passed" its boots with no output): both show what QEMU
    said. Status 1 after serial output is a poweroff, warnings or not."""
    m = machine("echo 'qemu: bad option' >&2; exit 1", stderr_path=str(tmp_path / "e"))
    with pytest.raises(GradeFailure) as e:
        m.wait_exit(status=1)
    assert str(e.value).startswith("QEMU could not start the kernel (QEMU exit status 1)")
    assert "QEMU said:\nqemu: bad option" in str(e.value)
    m1 = machine("echo 'qemu: bad option' >&2; exit 1", stderr_path=str(tmp_path / "e1"))
    with pytest.raises(GradeFailure, match=r"^QEMU could not start the kernel .* while waiting"):
        m1.expect("x")
    m2 = machine("echo 'qemu: bad option' >&2; exit 2", stderr_path=str(tmp_path / "e2"))
    with pytest.raises(GradeFailure) as e:
        m2.expect("x")
    assert "QEMU error" in str(e.value) and "qemu: bad option" in str(e.value)
    m3 = machine("echo 'qemu: warning: x' >&2; echo Ochre; exit 1", stderr_path=str(tmp_path / "e3"))
    assert m3.wait_exit(status=1) == 1


def test_failure_shows_only_the_tail(machine):
    m = machine("i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done; exit 3")
    with pytest.raises(GradeFailure) as e:
        m.expect("never")
    text = str(e.value)
    assert "line99" in text and "line75" in text and "line74" not in text


def test_log_has_all_output(machine, tmp_path):
    m = machine("echo a; echo b; echo c", log_path=str(tmp_path / "x.log"))
    m.expect("a")
    m.expect("c")   # not a race with close(): everything printed is logged
    m.close()
    assert open(tmp_path / "x.log").read() == "a\nb\nc\n"


def test_close_kills_the_process_group(machine):
    m = machine("sleep 100 & echo child $!; sleep 100")
    child = int(m.expect(r"child (\d+)").group(1))
    m.close()

    def gone():
        # the child may linger as a zombie of init; /proc tells us if it ran
        try:
            os.kill(child, 0)
            return open(f"/proc/{child}/stat").read().split()[2] == "Z"
        except (ProcessLookupError, FileNotFoundError):
            return True

    deadline = time.monotonic() + 10   # a loaded host may take a moment
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone()


def test_cannot_start(tmp_path):
    m = Machine(["/nonexistent/qemu"], log_path=str(tmp_path / "l"))
    with pytest.raises(GradeFailure, match="cannot start"):
        m.start()


def test_describe_status():
    assert describe_status(1) == "kernel exit code 0: clean poweroff / all ktests passed"
    assert describe_status(5) == "kernel exit code 2: kernel panic"
    assert describe_status(9) == "kernel exit code 4: usage error, e.g. unknown ktest"
    assert describe_status(0) == "guest reset or triple fault"
    assert describe_status(2) == "QEMU error"


# ---- helpers ---------------------------------------------------------------

def test_symbols(tmp_path):
    p = tmp_path / "kernel.sym"
    p.write_text("                 U undefined\n"
                 "0000000000001000 A absolute\n"
                 "ffffffff80100000 T kmain\n"
                 "ffffffff80100040 t helper\n"
                 "ffffffff80200000 B bss_thing\n")
    s = symbols.Symbols.load(str(p))
    assert s.format(0xFFFFFFFF80100000) == "kmain+0x0"
    assert s.format(0xFFFFFFFF80100045) == "helper+0x5"
    assert s.format(0x1000) is None                  # absolute symbols ignored
    assert s.format(0xFFFFFFFF80200000 + (2 << 20)) is None   # too far away
    assert s.address_of("helper") == 0xFFFFFFFF80100040
    assert symbols.Symbols.load(str(tmp_path / "missing")) is None


def test_fw_cfg_and_reproduce():
    assert tree.fw_cfg_cmdline("ktest=a b=1,2") == "name=opt/ochre/cmdline,string=ktest=a b=1,,2"
    assert tree.fw_cfg_cmdline("") == "name=opt/ochre/cmdline,string= "
    cmd = tree.reproduce_command("/r/lab1-paging", "ktest=frames_basic", cwd="/r")
    assert cmd == "make -C lab1-paging qemu CMDLINE='ktest=frames_basic'"
    assert tree.reproduce_command("/r/lab1-paging", "", cwd="/r/lab1-paging") == "make qemu"
    # Graded with --build-root: boot that ISO, from wherever the grade ran.
    cmd = tree.reproduce_command("/r/lab1-paging", "a,b 'c'", cwd="/r/lab1-paging/x",
                                 paths={"QEMU_ISO": "/elsewhere/lab1/ochre.iso"})
    assert cmd == ("make -C .. qemu QEMU_ISO=/elsewhere/lab1/ochre.iso "
                   "CMDLINE='a,b '\"'\"'c'\"'\"''")
    # The grader's own boot: direct, with a test's module container.
    cmd = tree.reproduce_command("/r/lab5-initfs", "", cwd="/r", loader="direct",
                                 paths={"QEMU_MODULES": "/r/build/grade/lab5/t.modules.img"})
    assert cmd == ("make -C lab5-initfs qemu BOOT=direct "
                   "QEMU_MODULES=/r/build/grade/lab5/t.modules.img")


def test_qemu_args_file(tmp_path):
    (tmp_path / "common" / "mk").mkdir(parents=True)
    (tmp_path / "common" / "mk" / "qemu-args").write_text(
        "# comment\n-machine pc\n\n-cdrom {iso}\n-append 'a b'\n")
    args = tree.read_qemu_args(str(tmp_path), "/x/ochre.iso")
    assert args == ["-machine", "pc", "-cdrom", "/x/ochre.iso", "-append", "a b"]
    argv = tree.qemu_argv(args, "ktest=a", "cpu_reset", "/tmp/d.log")
    assert argv[-6:] == ["-icount", "shift=4,sleep=off", "-d", "cpu_reset", "-D", "/tmp/d.log"]
    assert tree.qemu_argv(args + ["-icount", "7"], "", icount=True).count("-icount") == 1


def test_qemu_args_per_loader(tmp_path):
    """Lines tagged grub: or direct: are for that loader only."""
    (tmp_path / "common" / "mk").mkdir(parents=True)
    (tmp_path / "common" / "mk" / "qemu-args").write_text(
        "-m 64M\ngrub: -cdrom {iso}\ndirect: -kernel {kernel}\ndirect: -initrd {modules}\n")
    assert tree.read_qemu_args(str(tmp_path), "/x/ochre.iso") == ["-m", "64M", "-cdrom", "/x/ochre.iso"]
    assert tree.read_qemu_args(str(tmp_path), kernel="/x/k.elf", modules="/x/m.img") == \
        ["-m", "64M", "-kernel", "/x/k.elf", "-initrd", "/x/m.img"]
    assert tree.qemu.memory_bytes(["-m", "64M"]) == 64 << 20
    assert tree.qemu.memory_bytes(["-m", "size=1G"]) == 1 << 30
    assert tree.qemu.memory_bytes([]) == 128 << 20


def test_qemu_args_cd_rom_and_replay(tmp_path):
    """A path inside an option list has its commas doubled; for record and
    replay the ISO's CD-ROM drive goes behind a blkreplay node."""
    (tmp_path / "common" / "mk").mkdir(parents=True)
    (tmp_path / "common" / "mk" / "qemu-args").write_text(
        "grub: -drive file={iso},if=none,id=cd,media=cdrom\n"
        "grub: -device ide-cd,drive=cd,bus=ahci.0,bootindex=0\n-no-reboot\n")
    args = tree.read_qemu_args(str(tmp_path), "/x/a,b.iso")
    assert args[1] == "file=/x/a,,b.iso,if=none,id=cd,media=cdrom"
    assert tree.qemu.replayable_disks(args) == [
        "-drive", "file=/x/a,,b.iso,if=none,id=cd,media=cdrom",
        "-drive", "driver=blkreplay,if=none,image=cd,id=rr-cd,readonly=on",
        "-device", "ide-cd,drive=rr-cd,bus=ahci.0,bootindex=0", "-no-reboot"]


def test_module_container_round_trip():
    """bootmods.py's container: modules page-aligned, names and bytes kept,
    and qemu.py reads the same names and sizes back."""
    mods = [("initfs", b"x" * 5000), ("bootstrap", b"\x7fcode")]
    data = tree.bootmods.pack(mods)
    assert tree.bootmods.unpack(data) == mods
    assert len(data) % 4096 == 0
    assert tree.qemu.container_modules(data) == [("initfs", 5000), ("bootstrap", 5)]
    assert tree.qemu.container_modules(b"junk" * 10) is None
    assert tree.bootmods.unpack(tree.bootmods.pack([])) == []
    with pytest.raises(ValueError):
        tree.bootmods.pack([("n" * 48, b"")])          # no room for the NUL
    with pytest.raises(ValueError):
        tree.bootmods.pack([(str(i), b"") for i in range(9)])


INT_LOG = """\
     5: v=20 e=0000 i=0 cpl=0 IP=0008:ffffffff80100010 pc=ffffffff80100010 SP=0010:ffffffff80200000 env->regs[R_EAX]=0
RAX=0000000000000000
check_exception old: 0xffffffff new 0xe
     6: v=0e e=0002 i=0 cpl=0 IP=0008:ffffffff80100123 pc=ffffffff80100123 SP=0010:ffffffff80200000 CR2=ffffc90000001000
RAX=0000000000000000
check_exception old: 0xe new 0xe
     7: v=08 e=0000 i=0 cpl=0 IP=0008:ffffffff80100123 pc=ffffffff80100123 SP=0010:ffffffff80200000 env->regs[R_EAX]=0
RAX=0000000000000000
check_exception old: 0x8 new 0xe
Triple fault
"""


def test_triple_fault_chain():
    chain = triage.fault_chain(INT_LOG)
    assert [c["vector"] for c in chain] == [0x0E, 0x08]
    assert chain[0]["cr2"] == 0xFFFFC90000001000
    syms = symbols.Symbols([(0xFFFFFFFF80100100, "map_page")])
    text = triage.describe_chain(chain, syms)
    assert "#PF page fault (error code 0x2)" in text
    assert "<map_page+0x23>" in text
    assert "Chain: #PF -> #DF -> triple fault" in text
    assert triage.fault_chain("no fault here\n") == []


# ---- where the CPU is at a TIMEOUT (ochre/cpustate.py) ----------------------

def test_qmp_only_for_graded_boots():
    """The grader's boots get a QMP socket; `make qemu`'s do not (its
    serial port is mon:stdio, the human monitor behind Ctrl-A C)."""
    argv = tree.qemu_argv(["-serial", "stdio", "-monitor", "none"], "", qmp="/t/a,b.qmp")
    assert argv[-2:] == ["-qmp", "unix:/t/a,,b.qmp,server=on,wait=off"]
    assert "-monitor" in argv   # only the default human monitor is off
    typed = tree.qemu.qemu_argv(["-serial", "stdio", "-monitor", "none"], "", interactive=True)
    assert "-qmp" not in typed and "-monitor" not in typed


def test_long_log_directory_gets_an_abstract_socket(tmp_path):
    """A Unix socket's path holds 107 bytes: a deeper log directory (a
    batch's) gets an abstract socket, which has no file and vanishes with
    QEMU. QEMU starts with it (it refuses a path too long, and exits with
    status 1, a clean poweroff's) and the TIMEOUT report reaches it."""
    from ochre import plugin
    path = plugin.monitor_socket(str(tmp_path / ("d" * 120) / "test_x"))
    assert path.startswith("@ochre-qmp-")
    assert f"unix:{path[1:]},abstract=on,server=on,wait=off" in tree.qemu_argv([], "", qmp=path)
    with real_boot(tmp_path, 1, "", qmp=path) as m:
        m.expect(r"ochre> $")
        with pytest.raises(GradeFailure) as e:
            m.expect("never", timeout=0.5)
    assert "\n\nThe CPU is in serial_getc_wait (common/kernel/serial.c:" in str(e.value)
    plugin.remove_monitor_socket(path)      # nothing to remove, and no error
    assert plugin.monitor_socket(str(tmp_path / "t")) == str(tmp_path / "t.qmp")


def test_timeout_without_a_monitor_still_times_out(machine, tmp_path):
    """No socket (QEMU died, or a fake QEMU): the TIMEOUT is reported as
    before; an explain_timeout that raises cannot hide it either."""
    gone = str(tmp_path / "none.qmp")
    m = machine("echo hi; sleep 30",
                explain_timeout=lambda _m: cpustate.describe(gone))
    with pytest.raises(GradeFailure) as e:
        m.expect("never", timeout=0.3)
    assert str(e.value).startswith("TIMEOUT after 0.3s waiting for /never/\n\n--- last")

    def broken(_m):
        raise RuntimeError("monitor broke")
    m = machine("sleep 30", explain_timeout=broken)
    with pytest.raises(GradeFailure) as e:
        m.wait_exit(timeout=0.3)
    assert str(e.value).startswith("TIMEOUT after 0.3s waiting for the kernel to exit")


def test_silent_monitor_costs_at_most_its_limit(machine, tmp_path):
    """A monitor that accepts and never answers: the report is left out
    after ANSWER_TIMEOUT, and the TIMEOUT comes."""
    import socket
    path = str(tmp_path / "silent.qmp")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    try:
        m = machine("sleep 30",
                    explain_timeout=lambda _m: cpustate.describe(path))
        start = time.monotonic()
        with pytest.raises(GradeFailure) as e:
            m.expect("never", timeout=0.1)
        took = time.monotonic() - start
    finally:
        server.close()
    assert "The CPU" not in str(e.value) and str(e.value).startswith("TIMEOUT after 0.1s")
    assert took < cpustate.ANSWER_TIMEOUT + 1.5


def real_boot(tmp_path, lab, cmdline, qmp=None):
    """A Machine booting this tree's build of lab `lab` as the grader does,
    with its QMP monitor (at qmp, default in tmp_path) and the grader's
    TIMEOUT report."""
    build = os.path.join(tree.REPO_ROOT, "build", f"lab{lab}")
    kernel = os.path.join(build, "kernel.elf")
    if not os.path.exists(kernel):
        pytest.skip(f"lab {lab} is not built (make -C lab{lab}-*)")
    args = tree.read_qemu_args(tree.REPO_ROOT, kernel=kernel,
                               modules=os.path.join(build, "modules.img"))
    qmp = qmp or str(tmp_path / "qmp")
    syms = symbols.Symbols.load(os.path.join(build, "kernel.sym"))

    def where(_m):
        return cpustate.describe(qmp, syms, kernel, tree.REPO_ROOT)

    return Machine(tree.qemu_argv(args, cmdline, qmp=qmp), log_path=str(tmp_path / "log"),
                   explain_timeout=where, symbols=syms, default_timeout=30).start()


def test_timeout_names_the_loop_with_interrupts_off(tmp_path):
    """Lab 1's monitor polls the serial port with interrupts off: a test
    that waits for output the kernel will not print without input gets a
    TIMEOUT naming that loop and saying interrupts are off. (A real loop
    that never ends: test_fail_headlines.py's HANG_MISTAKES.)"""
    with real_boot(tmp_path, 1, "") as m:
        m.expect(r"ochre> $")
        with pytest.raises(GradeFailure) as e:
            m.expect("never", timeout=0.5)
    text = str(e.value)
    assert "\n\nThe CPU is in serial_getc_wait (common/kernel/serial.c:" in text, text
    assert "waiting with interrupts off for a key on the serial console" in text, text
    assert "kernel mode (CPL 0), interrupts off (RFLAGS.IF=0)" in text, text
    # serial_getc_wait sets up no frame: its caller comes from the stack top.
    assert re.search(r"#1 0x[0-9a-f]{16} <monitor\+0x[0-9a-f]+> common/kernel/monitor\.c:\d+\n"
                     r"  #2 0x[0-9a-f]{16} <kmain\+0x[0-9a-f]+> common/kernel/kmain\.c:\d+", text), text


@pytest.mark.needs(solved=3)
def test_timeout_of_an_idle_kernel(tmp_path):
    """Lab 3's shell waits for a line, every context blocked: the CPU halts
    in the idle loop with interrupts on, and the TIMEOUT says so."""
    with real_boot(tmp_path, 3, "") as m:
        m.expect(r"\$ $")
        with pytest.raises(GradeFailure) as e:
            m.expect("never", timeout=0.5)
    text = str(e.value)
    assert "\n\nThe CPU is idle (hlt in the idle loop, interrupts on): every context is " \
           "blocked" in text, text
    assert "interrupts on (RFLAGS.IF=1), halted (hlt)" in text, text
    assert "<sched_start+0x" in text, text

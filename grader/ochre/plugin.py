"""The pytest plugin: options, markers, lab selection, scores, `ochre` fixture.

Loaded by grader/conftest.py. See grader/README.md for the big picture.
"""

import os
import re
import secrets
import shutil
import time

import pytest

from . import cpustate, durations, record, report, scores, tree, triage
from .machine import DEFAULT_TIMEOUT, POWEROFF, GiveUp, GradeFailure, Machine
from .symbols import Symbols

GRADING = pytest.StashKey()      # config -> Grading or None
SCOREBOARD = pytest.StashKey()   # config -> Scoreboard
OCHRE = pytest.StashKey()        # item -> Ochre (tests that booted)
STARTED = pytest.StashKey()      # config -> time.monotonic() at start
RECORDER = pytest.StashKey()     # config -> durations.Recorder (not on xdist workers)
TIMES = pytest.StashKey()        # config -> path of durations.json
HTML = pytest.StashKey()         # config -> path of the HTML report written


# ---- options and markers ---------------------------------------------------

def pytest_addoption(parser):
    group = parser.getgroup("ochre", "Ochre grader")
    group.addoption("--lab", type=int, metavar="N",
                    help="grade labs 0..N against lab N's kernel (without it, "
                         "only host tests run)")
    group.addoption("--gradescope", metavar="FILE",
                    help="also write Gradescope's results.json to FILE")
    group.addoption("--build-root", metavar="DIR",
                    help="directory holding labN/ build outputs (default: <repo>/build)")
    group.addoption("--no-icount", action="store_true",
                    help="let guest time follow the host clock (not for grading)")
    group.addoption("--boot", choices=tree.qemu.LOADERS, default="direct",
                    help="how kernels boot: direct (kernel.elf through its PVH note, the "
                         "default) or grub (the ISO, as on a real machine)")
    group.addoption("--record", action="store_true",
                    help="record every boot's QEMU execution for `make replay TEST=name` "
                         "(QEMU record/replay; <test>.rr beside the serial logs)")
    group.addoption("--html", metavar="FILE",
                    help="where the HTML report goes (default: report.html beside the "
                         "serial logs)")


def pytest_configure(config):
    config.addinivalue_line("markers", "lab(n): the lab that introduced the tested behaviour "
                                       "(0 = foundation); runs when grading lab n or later")
    config.addinivalue_line("markers", "points(n): points the test is worth")
    config.addinivalue_line("markers", "visibility(v): who sees the test's result on "
                                       "Gradescope: visible (default), after_due_date, "
                                       "after_published or hidden")
    lab = config.getoption("lab")
    config.stash[GRADING] = Grading(config, lab) if lab is not None else None
    names = {n: os.path.basename(p) for n, p in tree.lab_dirs().items()}
    board = scores.Scoreboard(lab, names, _partial(config))
    config.stash[SCOREBOARD] = board
    config.stash[STARTED] = time.monotonic()
    config.pluginmanager.register(_ScoreCollector(board), "ochre-scores")
    grading = config.stash[GRADING]
    config.stash[TIMES] = (grading.durations if grading else
                           os.path.join(tree.REPO_ROOT, "build", "host-test", durations.FILE))
    if not _is_worker(config):
        config.stash[RECORDER] = durations.Recorder()
        config.pluginmanager.register(config.stash[RECORDER], "ochre-durations")


def _partial(config):
    """What selects only some tests (-k, -m, a file or test named), or None."""
    why = [f"{opt} {val!r}" for opt, val in (("-k", config.option.keyword),
                                              ("-m", config.option.markexpr)) if val]
    why += [a for a in config.args
            if "::" in a or (a.endswith(".py") and os.path.basename(a).startswith("test_"))]
    return ", ".join(why) or None


def _is_worker(config):
    return hasattr(config, "workerinput")


class Grading:
    """What is being graded: the lab, its kernel build, where logs go.

    A build has two bootable forms of the same kernel: the ISO (firmware,
    GRUB, multiboot2) and kernel.elf + modules.img (QEMU's -kernel, PVH).
    Tests boot `loader` (--boot, direct by default: no GRUB, a fraction of
    the time); a test may ask for the other (the foundation's GRUB boot).
    """

    def __init__(self, config, lab):
        labs = tree.lab_dirs()
        if lab not in labs:
            known = ", ".join(str(n) for n in sorted(labs)) or "none"
            raise pytest.UsageError(f"--lab {lab}: there is no lab{lab}-* directory "
                                    f"in {tree.REPO_ROOT} (labs: {known})")
        self.lab = lab
        self.lab_dir = labs[lab]
        build_root = config.getoption("build_root") or os.path.join(tree.REPO_ROOT, "build")
        self.build_dir = os.path.join(os.path.abspath(build_root), f"lab{lab}")
        self.iso = os.path.join(self.build_dir, "ochre.iso")
        self.kernel = os.path.join(self.build_dir, "kernel.elf")
        self.modules = os.path.join(self.build_dir, "modules.img")
        self.loader = config.getoption("boot")
        self.sym_path = os.path.join(self.build_dir, "kernel.sym")
        self.log_dir = os.path.join(os.path.abspath(build_root), "grade", f"lab{lab}")
        self.durations = os.path.join(os.path.abspath(build_root), "grade", durations.FILE)
        self.icount = not config.getoption("no_icount")
        self.record = config.getoption("record")
        if self.record and not self.icount:
            raise pytest.UsageError("--record needs instruction counting: drop --no-icount")
        # The build `make qemu` in the lab directory boots, or False when the
        # grade is of another build (--build-root).
        own_dir = os.path.join(tree.REPO_ROOT, "build", f"lab{lab}")
        self.own_build = os.path.realpath(own_dir) == os.path.realpath(self.build_dir)
        if config.option.collectonly:
            # Listing the tests needs no kernel (the autograder lists them
            # for a submission that does not build).
            self.qemu_args = {}
            self._symbols = None
            return
        hint = f"make -C {os.path.relpath(self.lab_dir)}"
        for path in (self.iso, self.kernel, self.modules):
            if not os.path.exists(path):
                raise pytest.UsageError(f"{os.path.relpath(path)} does not exist: "
                                        f"build it first with `{hint}`")
        qemu = os.environ.get("OCHRE_QEMU", tree.qemu.QEMU_PROGRAM)
        if not shutil.which(qemu):
            raise pytest.UsageError(f"{qemu} is not installed: run `make deps` "
                                    "(Debian package qemu-system-x86)")
        try:
            self.qemu_args = {
                "grub": tree.read_qemu_args(tree.REPO_ROOT, self.iso),
                "direct": tree.read_qemu_args(tree.REPO_ROOT, kernel=self.kernel,
                                              modules=self.modules)}
        except OSError as e:
            raise pytest.UsageError(f"cannot read the QEMU arguments: {e}") from None
        problem = tree.qemu.direct_boot_problem(self.kernel, self.modules,
                                                self.qemu_args["direct"], hint)
        if problem and self.loader == "direct":
            raise pytest.UsageError(problem)
        self._symbols = None

    @property
    def symbols(self):
        if self._symbols is None:
            self._symbols = Symbols.load(self.sym_path) or Symbols([])
        return self._symbols

    def argv(self, cmdline, debug, debug_log, loader=None, modules=None, rr=None, qmp=None):
        """QEMU's argv for a boot by loader (default: --boot's), with
        another module container if modules is given (direct boot). rr:
        (rr, files) from record.prepare: record the boot, of those files.
        qmp: the Unix socket of a QMP monitor (ochre/cpustate.py)."""
        if rr:
            base = tree.read_qemu_args(tree.REPO_ROOT, **rr[1])
        elif modules:
            base = tree.read_qemu_args(tree.REPO_ROOT, kernel=self.kernel, modules=modules)
        else:
            base = self.qemu_args[loader or self.loader]
        return tree.orphan_guard() + tree.qemu_argv(base, cmdline, debug, debug_log,
                                                    icount=self.icount, rr=rr and rr[0],
                                                    qmp=qmp)

    def boot_files(self, loader=None, modules=None):
        """What a boot by loader reads, as read_qemu_args takes it."""
        if modules or (loader or self.loader) == "direct":
            return {"kernel": self.kernel, "modules": modules or self.modules}
        return {"iso": self.iso}

    def replay_hint(self, base, test_name):
        grade_dir = None if self.own_build else self.log_dir
        return record.hint(self.lab_dir, base, test_name, self.record, grade_dir)

    def reproduce(self, cmdline, loader=None, modules=None):
        loader = "direct" if modules else loader or self.loader
        if loader == "grub":
            foreign = {} if self.own_build else {"QEMU_ISO": self.iso}
        else:
            foreign = {} if self.own_build else {"QEMU_KERNEL": self.kernel,
                                                 "QEMU_MODULES": self.modules}
            if modules:
                foreign["QEMU_MODULES"] = modules
        return tree.reproduce_command(self.lab_dir, cmdline, loader=loader, paths=foreign)


def pytest_report_header(config):
    g = config.stash[GRADING]
    if g is None:
        return "ochre: no --lab given: kernel tests are deselected, host tests run"
    image = (os.path.relpath(g.iso) if g.loader == "grub"
             else f"{os.path.relpath(g.kernel)} (direct boot)")
    return (f"ochre: grading labs 0..{g.lab} with {image}; "
            f"serial logs in {os.path.relpath(g.log_dir)}/")


# ---- collection: which tests run -------------------------------------------

def _marker_arg(item, name):
    mark = item.get_closest_marker(name)
    if mark is None:
        return None
    if len(mark.args) != 1 or not isinstance(mark.args[0], int):
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} takes one integer")
    return mark.args[0]


def _doc_summary(item):
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Tests are handed out in the slowest-first order (durations.py), two
    per worker at a time, for graded and host runs alike."""
    if config.getoption("dist", "load") != "load":
        return None
    return durations.make_scheduler(config, log)


def pytest_collection_modifyitems(config, items):
    """--lab N keeps tests of labs 0..N; without --lab only host tests (no lab)."""
    graded = config.getoption("lab")
    keep, drop = [], []
    for item in items:
        lab = _marker_arg(item, "lab")
        points = _marker_arg(item, "points") or 0
        if points and lab is None:
            raise pytest.UsageError(f"{item.nodeid} has points but no lab marker")
        # Every report of this test carries these, also across xdist.
        item.user_properties += [(scores.LAB, lab), (scores.POINTS, points),
                                 (scores.DOC, _doc_summary(item)),
                                 (scores.VISIBILITY, _visibility(item)),
                                 (scores.ORDER, (item.location[0], item.location[1] or 0))]
        if graded is None:
            (keep if lab is None else drop).append(item)
        else:
            (keep if lab is not None and lab <= graded else drop).append(item)
    if config.option.collectonly:
        # No test will report: the scoreboard (and --gradescope) lists them as not run.
        for item in keep:
            config.stash[SCOREBOARD].add_collected(item.nodeid, item.user_properties)
    # Serial logs are named after tests: two kernel tests must not share a name.
    seen = {}
    for item in keep:
        if _marker_arg(item, "lab") is not None:
            key = _log_base(item)
            if key in seen:
                raise pytest.UsageError(f"{item.nodeid} and {seen[key]} would share the log "
                                        f"name {key}.log: rename one")
            seen[key] = item.nodeid
    known = durations.load(config.stash[TIMES])
    if graded is None:      # host tests: a fresh clone starts from the kept copy
        known = {**durations.load(durations.HOST_HINT), **known}
    durations.order(keep, known)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def _visibility(item):
    mark = item.get_closest_marker("visibility")
    if mark is None:
        return scores.VISIBLE
    if len(mark.args) != 1 or mark.args[0] not in scores.VISIBILITIES:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.visibility takes one of "
                                + ", ".join(scores.VISIBILITIES))
    return mark.args[0]


def _log_base(item):
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", item.name).strip("_")


# ---- the ochre fixture -----------------------------------------------------

# A FAIL line of a user test program (common/user/utest.h): "NAME: FAIL
# file:line: what", NAME the program's name, perhaps with " (child)" or the
# like. (A user test boots with init=, never with ktest=: no KTEST lines.)
UTEST_FAIL = r"[^:]+: FAIL .*"
# The kernel's report of a process killed by a fault
# (lab2-contexts/kernel/usertrap.c). For pid 1, the test program itself,
# it is the last thing the test says: nothing will print FAIL after it.
INIT_KILLED = r"ochre: pid 1 \(.*\) killed by .*"
# Bootstrap (lab 3's and lab 5's) falls back to its rescue shell when it
# cannot start init, and then waits for a person at the console: no shell
# prompt, no program's output will come. A boot that did not ask for it
# (ochre.boot(rescue=True)) fails at this line instead of at a timeout.
RESCUE = GiveUp(
    r"^bootstrap: rescue shell \(",
    "bootstrap gave up and started its rescue shell",
    "Bootstrap starts its rescue shell only when it cannot start init: "
    "the lines before its banner (below) say why.")


# A Unix socket's path holds at most 107 bytes (sun_path).
SOCKET_PATH_MAX = 107


def monitor_socket(base):
    """Where a boot's QMP socket goes: beside its log, or, if that path is
    too long for a Unix socket (a batch's deep directories), an abstract
    socket ("@name": Linux's namespace of sockets without a file, which
    vanish with QEMU, so a killed grader leaves nothing behind)."""
    path = base + ".qmp"
    if len(os.fsencode(path)) > SOCKET_PATH_MAX:
        return "@ochre-qmp-" + secrets.token_hex(8)
    if os.path.exists(path):
        os.unlink(path)     # a killed QEMU leaves its socket behind
    return path


def remove_monitor_socket(path):
    """QEMU removes its socket only when it exits by itself."""
    if not path or path.startswith("@"):
        return
    try:
        os.unlink(path)
    except OSError:
        pass


class Ochre:
    """Boots kernels for one test. Every boot is a fresh QEMU."""

    def __init__(self, grading, item):
        self.grading = grading
        self.lab = grading.lab
        self.symbols = grading.symbols
        self.machines = []
        self._base = _log_base(item)
        self._test = item.nodeid
        self._function = getattr(item, "originalname", None) or item.name

    def boot(self, cmdline="", timeout=DEFAULT_TIMEOUT, loader=None, modules=None,
             rescue=False):
        """Start QEMU with this kernel command line; returns a Machine.

        timeout is the default limit for each expect()/wait_exit() on it.
        loader: "grub" or "direct" (default: --boot's, direct). modules
        changes the boot modules (tests of a damaged or missing module,
        e.g. lab 5's initfs images): {name: bytes} replaces or adds a
        module, {name: None} leaves it out; the boot is then direct, with
        the container written beside the log so the reproduce command
        boots exactly it. rescue: the test expects bootstrap's rescue
        shell; otherwise its banner fails the test at once (RESCUE).
        """
        g = self.grading
        n = len(self.machines) + 1
        base = os.path.join(g.log_dir, self._base + ("" if n == 1 else f".{n}"))
        os.makedirs(g.log_dir, exist_ok=True)
        debug_log = base + ".qemu.log"
        container = None
        if modules is not None:
            container = base + ".modules.img"
            with open(g.modules, "rb") as f:
                mods = dict(tree.bootmods.unpack(f.read()))
            mods.update(modules)
            with open(container, "wb") as f:
                f.write(tree.bootmods.pack([(k, v) for k, v in mods.items() if v is not None]))
        rr = None
        if g.record:
            rr = record.prepare(base, cmdline, g.boot_files(loader, container), g.kernel,
                                self._test)
        qmp = monitor_socket(base)
        argv = g.argv(cmdline, "cpu_reset", debug_log, loader, container, rr, qmp)
        reproduce = g.reproduce(cmdline, loader, container)

        def explain_reset(machine):
            return self._explain_reset(machine, cmdline, base, debug_log, loader, container)

        def explain_timeout(machine):
            return cpustate.describe(qmp, g.symbols, g.kernel, tree.REPO_ROOT)

        m = Machine(argv, log_path=base + ".log", stderr_path=base + ".stderr",
                    reproduce=reproduce, replay=g.replay_hint(base, self._function),
                    recording=g.record, default_timeout=timeout,
                    explain_reset=explain_reset, explain_timeout=explain_timeout,
                    symbols=g.symbols,
                    give_up=() if rescue else [RESCUE])
        m.cmdline = cmdline
        m.debug_log = debug_log
        m.qmp = qmp
        self.machines.append(m)
        return m.start()

    def ktest(self, name, extra_cmdline="", timeout=DEFAULT_TIMEOUT):
        """Run the in-kernel test `name`; fail unless it reports PASS.

        Also requires the kernel's summary line and a clean exit afterwards,
        so a test that passes and then breaks the kernel does not count.
        """
        cmdline = f"ktest={name} {extra_cmdline}".strip()
        m = self.boot(cmdline, timeout=timeout)
        result = m.expect(rf"^KTEST {re.escape(name)}: (PASS|FAIL\b.*|NOT FOUND.*)$",
                          partial=False).group(1)
        if result != "PASS":
            m.drain()
            m.fail(f"in-kernel test {name}: expected PASS, got:", f"KTEST {name}: {result}",
                   expected=f"KTEST {name}: PASS", seen=f"KTEST {name}: {result}")
        m.expect(r"^KTEST done: 1 passed, 0 failed", partial=False)
        m.wait_exit(status=POWEROFF)
        return m

    def user(self, prog, timeout=60):
        """Boot with init=prog (a user test program, pid 1) and require its
        "prog: OK" line and a clean power-off with status 0.

        User test programs print "prog: FAIL file:line: what" on failure
        (common/user/utest.h). The first FAIL line of any of its processes
        (a child names itself "prog (child): FAIL ...", a daemon likewise)
        ends the test at once and is the headline: its parent may be
        blocked on that child and would otherwise never say anything.
        """
        m = self.boot(f"init={prog}", timeout=timeout)
        ok = f"{prog}: OK"
        result = m.expect(rf"^({re.escape(ok)}|{UTEST_FAIL}|{INIT_KILLED})$",
                          partial=False)
        if re.fullmatch(INIT_KILLED, result.group(1)):
            m.drain(timeout=2.0)
            m.fail(f"user test {prog} failed: {result.group(1)}",
                   "(the test program itself, pid 1, died before its OK or FAIL line)",
                   expected=ok, seen=result.group(1))
        if result.group(1) != ok:
            m.drain(timeout=2.0)
            m.fail(f"user test {prog} failed: {result.group(0)}",
                   "(the first FAIL line of any of the test's processes ends the test)",
                   expected=ok, seen=result.group(0))
        m.expect(r"^ochre: init exited with status 0", partial=False)
        m.wait_exit(status=POWEROFF)
        return m

    def close(self):
        for m in self.machines:
            m.close()
            # The cpu_reset log only matters after a reset; do not litter.
            if m.status != 0 and os.path.exists(m.debug_log):
                os.unlink(m.debug_log)
            if m.stderr_path and os.path.exists(m.stderr_path) and not os.path.getsize(m.stderr_path):
                os.unlink(m.stderr_path)
            remove_monitor_socket(m.qmp)

    def _explain_reset(self, machine, cmdline, base, debug_log, loader, container):
        if not triage.triple_fault_logged(debug_log):
            return ("QEMU reports a guest reset that is not a triple fault "
                    "(e.g. a keyboard-controller or ACPI reset).")
        int_log = base + ".int.log"
        argv = self.grading.argv(cmdline, "int,cpu_reset", int_log, loader, container)
        triage.rerun_for_int_log(argv, machine.sent, int_log, timeout=machine.default_timeout * 2)
        chain = triage.fault_chain(triage.read_tail(int_log))
        if not chain:
            return ("Triple fault. Booting again with `-d int` to find where it happened "
                    "did not reproduce it, so the faulting RIP is unknown.")
        return (triage.describe_chain(chain, self.symbols)
                + f"\n(QEMU exception log: {os.path.relpath(int_log)})")


@pytest.fixture
def ochre(request):
    """Boot Ochre kernels: ochre.boot(cmdline) -> Machine, ochre.ktest(name)."""
    grading = request.config.stash[GRADING]
    if grading is None:
        pytest.fail("kernel tests need --lab N", pytrace=False)
    o = Ochre(grading, request.node)
    request.node.stash[OCHRE] = o
    yield o
    o.close()


# ---- reports ---------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """GradeFailures are complete explanations: show them without a Python
    traceback. Other failures of a test that booted a kernel (a plain assert,
    the per-test timeout) get the serial tail and reproduce command added."""
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or call.excinfo is None:
        return
    doc = dict(item.user_properties).get(scores.DOC)
    about = f"\n--- what this test checks ---\n{doc}" if doc else ""
    o = item.stash.get(OCHRE, None)
    logs = [m.log_path for m in o.machines] if o is not None else []
    if call.excinfo.errisinstance(GradeFailure):
        rep.longrepr = str(call.excinfo.value) + about
        parts = call.excinfo.value.parts
    elif o is not None and o.machines:
        m = o.machines[-1]
        headline = str(call.excinfo.value).strip().split("\n")[0] or call.excinfo.typename
        parts = m.parts(headline, str(call.excinfo.value))
        rep.longrepr = (f"{rep.longrepr}\n\n" + m.report("Kernel state when the test failed:")
                        + about)
    else:
        parts = {"headline": str(call.excinfo.value).strip().split("\n")[0]}
    # For the HTML report, in the process that writes it (also across xdist).
    rep.user_properties.append((scores.FAILURE, dict(parts, logs=logs)))


class _ScoreCollector:
    """Feeds every test report (from this process or from xdist workers)
    to the scoreboard."""

    def __init__(self, board):
        self.board = board

    def pytest_runtest_logreport(self, report):
        # xdist adds "[gw0] linux -- Python 3.x /usr/bin/python3" above each
        # failure; it says nothing about the kernel, so it goes.
        node = getattr(report, "node", None)
        if node is not None:
            node._workerinfocache = ""
        self.board.add(report)


def pytest_terminal_summary(terminalreporter, config):
    if _is_worker(config):
        return
    lines = config.stash[SCOREBOARD].table()
    if not lines:
        return
    terminalreporter.section("Ochre score")
    for line in lines:
        terminalreporter.write_line(line)
    html = config.stash.get(HTML, None)
    if html:
        terminalreporter.write_line(f"HTML report: {os.path.relpath(html)}")


def pytest_sessionfinish(session):
    config = session.config
    recorder = config.stash.get(RECORDER, None)
    if recorder is not None and not config.option.collectonly:
        durations.save(config.stash[TIMES], recorder.measured)
    if _is_worker(config):
        return
    duration = time.monotonic() - config.stash[STARTED]
    path = config.getoption("gradescope")
    if path:
        config.stash[SCOREBOARD].gradescope(path, duration)
    grading = config.stash[GRADING]
    html = config.getoption("html") or (grading and os.path.join(grading.log_dir, "report.html"))
    if html and config.stash[SCOREBOARD].results and not config.option.collectonly:
        report.write_run(html, config.stash[SCOREBOARD], duration,
                         record=bool(grading and grading.record))
        config.stash[HTML] = html

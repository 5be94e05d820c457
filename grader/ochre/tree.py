"""Where things are: the repository, its labs, build outputs, the QEMU command.

The grader never builds a QEMU command line itself: common/mk/qemu.py does,
for `make qemu` and for the grader alike, so what the grader boots is exactly
what a student boots. The grader only appends what is specific to a test run
(a debug log).
"""

import glob
import importlib.util
import os
import re
import shlex
import shutil

GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(GRADER_DIR)


def lab_dirs(root=REPO_ROOT):
    """{N: absolute path} for every labN-* directory of the tree."""
    labs = {}
    for path in glob.glob(os.path.join(root, "lab*-*")):
        m = re.fullmatch(r"lab(\d+)-.+", os.path.basename(path))
        if m and os.path.isdir(path):
            labs[int(m.group(1))] = path
    return labs


def _load_mk_module(name):
    """common/mk/NAME.py as a module: qemu.py, the one implementation of the
    QEMU command line, and bootmods.py, the module container (make runs
    both as programs)."""
    path = os.path.join(REPO_ROOT, "common", "mk", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"ochre_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


qemu = _load_mk_module("qemu")
bootmods = _load_mk_module("bootmods")
read_qemu_args = qemu.read_qemu_args
fw_cfg_cmdline = qemu.fw_cfg_cmdline
KERNEL_EXIT_CODES = qemu.KERNEL_EXIT_CODES
describe_status = qemu.describe_status
qemu_status = qemu.qemu_status


def qemu_argv(base_args, cmdline, debug=None, debug_log=None, icount=True, rr=None, qmp=None):
    """Full argv for one graded boot (qemu.qemu_argv with the graded -icount).

    debug: QEMU -d flags ("cpu_reset" lets the grader tell a triple fault
    from other resets); debug_log: where -d goes. rr: record the run
    (ochre/record.py; record/replay's own -icount replaces the graded one).
    qmp: the Unix socket of a QMP monitor (ochre/cpustate.py).
    """
    return qemu.qemu_argv(base_args, cmdline, icount=qemu.GRADED_ICOUNT if icount else None,
                          debug=debug, debug_log=debug_log, rr=rr, qmp=qmp)


def orphan_guard():
    """Argv prefix that kills the child if the grader process dies.

    `setpriv --pdeathsig KILL` sets the Linux parent-death signal and then
    execs QEMU in place, so even a grader killed with SIGKILL (or an xdist
    worker that crashes) leaves no QEMU behind. Without setpriv we rely on the
    normal cleanup paths only.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def shell_quote(value):
    """Quote for the reproduce command; always quoted so it reads clearly."""
    if "'" not in value:
        return f"'{value}'"
    return shlex.quote(value)


def reproduce_command(lab_dir, cmdline, cwd=None, loader="grub", paths=None):
    """The command that boots exactly this kernel with this command line,
    typed in cwd (default: the current directory, where the grade started).

    loader "direct" adds BOOT=direct (the grader's boot). paths: make
    variables naming what was graded when it is not what `make qemu` in
    lab_dir builds (QEMU_ISO, or QEMU_KERNEL and QEMU_MODULES, after
    grading with --build-root; QEMU_MODULES for a test's own modules):
    then the command boots those files (absolute paths, since make -C
    changes directory) and builds nothing.
    """
    rel = os.path.relpath(lab_dir, cwd or os.getcwd())
    cmd = "make qemu" if rel == "." else f"make -C {shlex.quote(rel)} qemu"
    if loader == "direct":
        cmd += " BOOT=direct"
    for var, path in (paths or {}).items():
        cmd += f" {var}={shlex.quote(os.path.abspath(path))}"
    if cmdline:
        cmd += f" CMDLINE={shell_quote(cmdline)}"
    return cmd

"""Where things are: the repository, its labs, build outputs, the QEMU command.

The grader never hard-codes a QEMU option: the one list of QEMU arguments is
common/mk/qemu-args, shared with `make qemu`, so what the grader boots is
exactly what a student boots. The grader only appends what is specific to a
test run (the kernel command line and a debug log).
"""

import glob
import os
import re
import shlex
import shutil

GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(GRADER_DIR)

QEMU_PROGRAM = "qemu-system-x86_64"

# Guest time comes from counting instructions, not from the host clock, so a
# loaded or slow host runs the same guest-visible timeline (sleep=off: an
# idle guest jumps straight to its next timer instead of waiting for real time).
# shift=4: one instruction is 16 ns of guest time. shift=0 (1 ns) would make
# SeaBIOS's and GRUB's timed busy-waits cost 2 s per boot; shift=4 costs
# about 0.15 s more than no -icount at all. `make bench` uses shift=0.
ICOUNT_ARGS = ["-icount", "shift=4,sleep=off"]


def lab_dirs(root=REPO_ROOT):
    """{N: absolute path} for every labN-* directory of the tree."""
    labs = {}
    for path in glob.glob(os.path.join(root, "lab*-*")):
        m = re.fullmatch(r"lab(\d+)-.+", os.path.basename(path))
        if m and os.path.isdir(path):
            labs[int(m.group(1))] = path
    return labs


def read_qemu_args(root, iso):
    """The arguments of common/mk/qemu-args with {iso} filled in.

    Each non-comment line holds one option with its value ("-m 128M"); it is
    split like a shell would, so a value with spaces can be quoted.
    """
    path = os.path.join(root, "common", "mk", "qemu-args")
    args = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            args.extend(word.replace("{iso}", iso) for word in shlex.split(line))
    return args


def fw_cfg_cmdline(cmdline):
    """The -fw_cfg value that hands `cmdline` to the kernel.

    QEMU splits option values at commas, so a comma in the command line is
    doubled. QEMU refuses an empty string, so an empty command line is sent as
    one space: it still overrides GRUB's command line, and means "no options".
    """
    value = cmdline.replace(",", ",,") or " "
    return f"name=opt/ochre/cmdline,string={value}"


def qemu_argv(base_args, cmdline, debug=None, debug_log=None, icount=True):
    """Full argv for one boot.

    base_args: read_qemu_args(); debug: QEMU -d flags ("cpu_reset" lets the
    grader tell a triple fault from other resets); debug_log: where -d goes.
    """
    argv = [os.environ.get("OCHRE_QEMU", QEMU_PROGRAM), *base_args]
    argv += ["-fw_cfg", fw_cfg_cmdline(cmdline)]
    if icount and "-icount" not in base_args:
        argv += ICOUNT_ARGS
    if debug:
        argv += ["-d", debug, "-D", debug_log]
    return argv


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


def reproduce_command(lab_dir, cmdline, cwd=None):
    """The command that boots exactly this kernel with this command line."""
    rel = os.path.relpath(lab_dir, cwd or os.getcwd())
    cmd = "make qemu" if rel == "." else f"make -C {rel} qemu"
    if cmdline:
        cmd += f" CMDLINE={shell_quote(cmdline)}"
    return cmd

#!/usr/bin/env python3
"""The one implementation of Ochre's QEMU command line.

`make qemu`, `make qemu-gdb`, `make run`, `make bench` (all through
common/mk/lab.mk) and the grader (grader/ochre/tree.py imports this file)
build the QEMU argv here, so what the grader boots is what a student boots:

    qemu-system-x86_64  <common/mk/qemu-args for the loader, paths filled in>
                        -fw_cfg name=opt/ochre/cmdline,string=<command line>
                        -icount shift=4,sleep=off

Two loaders boot the same kernel (common/mk/qemu-args tags their lines):

    grub    --iso ISO: firmware, then GRUB from the ISO (what real machines
            do; the default of `make qemu` and `make run`)
    direct  --kernel ELF --modules IMG: QEMU loads the kernel ELF itself
            through its PVH entry note and passes the boot modules as one
            container (common/mk/bootmods.py); no GRUB, a minimal firmware.
            What the grader boots; `make qemu BOOT=direct`.

A run can also be recorded and replayed instruction for instruction (QEMU's
record/replay: the grader's --record, common/mk/replay.py for `make replay`):
qemu_argv(rr=...) adds what that needs (rr_args, replayable_disks).

The command line comes from --cmdline or, from make, the CMDLINE variable
(make exports it, so no shell quoting stands between the user and QEMU).
Commas are doubled (QEMU splits option values at commas) and an empty
command line is sent as one space (QEMU refuses an empty string; the kernel
reads it as "no options").

As a program it checks what a student can get wrong (no ISO or kernel, a
kernel without the PVH note, no module container or one too large for the
machine's memory, no QEMU, a command line the kernel cannot take), each
with one line naming the fix, then runs QEMU and turns its exit status into
the kernel's exit code: a clean poweroff exits 0, so make does not report it
as an error.

Only the Python standard library: any python3 runs it.
"""

import argparse
import os
import shlex
import shutil
import signal
import struct
import subprocess
import sys

MK_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(MK_DIR))

QEMU_PROGRAM = "qemu-system-x86_64"

# Guest time comes from counting instructions, not from the host clock, so a
# loaded or slow host runs the same guest-visible timeline (sleep=off: an
# idle guest jumps straight to its next timer instead of waiting for real
# time). shift=4: one instruction is 16 ns of guest time. shift=0 (1 ns)
# would make SeaBIOS's and GRUB's timed busy-waits cost 2 s per boot; shift=4
# costs about 0.15 s more than no -icount at all. `make bench` uses shift=0.
GRADED_ICOUNT = "shift=4,sleep=off"
# A person at an interactive boot with no command line (`make run`, the lab 1
# monitor) leaves the guest idle most of the time, and sleep=off would spin a
# host CPU through that idle time: there, idle time passes in real time.
# Instructions still cost 16 ns of guest time each.
IDLE_ICOUNT = "shift=4"

# Record/replay (`--record` in the grader, `make replay`): QEMU logs every
# nondeterministic input of a run (serial input, where interrupts land, disk
# completions) and can run it again instruction for instruction. QEMU 7.2
# needs: -icount with a fixed shift and sleep on (recording with sleep=off
# hangs); no network card (the default NIC's backend makes the replay stall;
# the kernel has no PCI driver, so it never saw one); disks behind a
# blkreplay node; and, for gdb's reverse-stepi/reverse-continue, a snapshot
# at the start (rrsnapshot) kept in a qcow2 image.
RR_ICOUNT = "shift=4"
RR_SNAPSHOT = "start"

# The kernel's command-line buffer (common/kernel/cmdline.c) holds 511 bytes.
CMDLINE_MAX = 511

# The kernel writes a code to the isa-debug-exit port; QEMU then exits with
# (code << 1) | 1. With -no-reboot a guest reset or triple fault exits 0.
EXIT_POWEROFF = 0       # clean poweroff, all ktests passed, init exited 0
EXIT_TEST_FAILED = 1    # a ktest failed, or init exited non-zero
EXIT_PANIC = 2          # kernel panic
EXIT_USAGE = 4          # usage error, e.g. an unknown ktest
KERNEL_EXIT_CODES = {
    EXIT_POWEROFF: "clean poweroff / all ktests passed",
    EXIT_TEST_FAILED: "a test failed (a KTEST, or the first process exited non-zero)",
    EXIT_PANIC: "kernel panic",
    EXIT_USAGE: "usage error, e.g. unknown ktest",
}


def qemu_status(code):
    """QEMU's exit status when the kernel exits with `code`."""
    return (code << 1) | 1


def describe_status(status):
    """Human meaning of a QEMU exit status."""
    if status is None:
        return "still running"
    if status < 0:
        return f"QEMU killed by signal {-status}"
    if status == 0:
        return "guest reset or triple fault"
    if status & 1:
        code = status >> 1
        meaning = KERNEL_EXIT_CODES.get(code, "unknown kernel exit code")
        return f"kernel exit code {code}: {meaning}"
    return "QEMU error"


LOADERS = ("grub", "direct")


def read_qemu_args(root, iso=None, *, kernel=None, modules=None):
    """The arguments of common/mk/qemu-args for one boot, paths filled in.

    Boots the ISO through GRUB (iso), or the kernel ELF directly (kernel and
    modules). Each non-comment line holds one option with its value ("-m
    128M"); it is split like a shell would, so a value with spaces can be
    quoted. A line that starts with "grub:" or "direct:" is for that loader
    only. {iso}, {kernel} and {modules} are replaced by the paths (commas
    doubled where one stands in an option list, as in file={iso}).
    """
    loader = "direct" if kernel else "grub"
    paths = {"{iso}": iso or "", "{kernel}": kernel or "", "{modules}": modules or ""}
    path = os.path.join(root, "common", "mk", "qemu-args")
    args = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            tag, sep, rest = line.partition(":")
            if sep and tag in LOADERS:
                if tag != loader:
                    continue
                line = rest
            for word in shlex.split(line):
                for key, value in paths.items():
                    if "=" in word.partition(key)[0]:
                        value = qemu_value(value)   # inside an option list: a,,b
                    word = word.replace(key, value)
                args.append(word)
    return args


def cmdline_problem(cmdline):
    """Why the kernel cannot take this command line, or None."""
    if len(cmdline.encode("utf-8")) > CMDLINE_MAX:
        return (f"CMDLINE is {len(cmdline.encode('utf-8'))} bytes; the kernel reads at most "
                f"{CMDLINE_MAX}: shorten it")
    bad = sorted({c for c in cmdline if not " " <= c <= "~"})
    if bad:
        return (f"CMDLINE contains {', '.join(repr(c) for c in bad)}; the kernel takes "
                "printable ASCII words separated by spaces: remove them")
    return None


# ---- direct boot: what QEMU's -kernel needs ----------------------------------

XEN_ELFNOTE_PHYS32_ENTRY = 18
PT_LOAD, PT_NOTE = 1, 4


def _elf_segments(data):
    """(p_type, p_offset, p_paddr, p_filesz, p_memsz) of each program header
    of a little-endian ELF64 file, or None if it is not one."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    segs = []
    for i in range(phnum):
        at = phoff + i * phentsize
        if at + 56 > len(data):
            return None
        p_type, _flags, off, _vaddr, paddr, filesz, memsz = struct.unpack_from("<IIQQQQQ", data, at)
        segs.append((p_type, off, paddr, filesz, memsz))
    return segs


def pvh_entry(data):
    """The PVH entry point of an ELF kernel image (its "Xen" note of type
    XEN_ELFNOTE_PHYS32_ENTRY, the note QEMU's -kernel looks for), or None."""
    for p_type, off, _paddr, filesz, _memsz in _elf_segments(data) or []:
        if p_type != PT_NOTE:
            continue
        at, end = off, min(off + filesz, len(data))
        while at + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, at)
            name = data[at + 12:at + 12 + namesz]
            desc_at = at + 12 + (namesz + 3) // 4 * 4
            if name == b"Xen\0" and ntype == XEN_ELFNOTE_PHYS32_ENTRY and descsz >= 4:
                return struct.unpack_from("<I", data, desc_at)[0]
            at = desc_at + (descsz + 3) // 4 * 4
    return None


def kernel_end(data):
    """The end of the kernel's loaded image in physical memory (bss too)."""
    return max((paddr + memsz for p_type, _o, paddr, _f, memsz in _elf_segments(data) or []
                if p_type == PT_LOAD), default=0)


def container_modules(data):
    """[(name, size)] of a module container (common/mk/bootmods.py), or None."""
    if len(data) < 24 or data[:8] != b"OCHREMOD":
        return None
    count, = struct.unpack_from("<I", data, 8)
    mods = []
    for i in range(min(count, 64)):
        at = 24 + 64 * i
        if at + 64 > len(data):
            return None
        _off, size, name = struct.unpack_from("<QQ48s", data, at)
        mods.append((name.split(b"\0")[0].decode("ascii", "replace"), size))
    return mods


def memory_bytes(base_args):
    """The guest's RAM from -m in the arguments ("64M", "1G", "128")."""
    if "-m" not in base_args:
        return 128 << 20                # QEMU's default
    value = base_args[base_args.index("-m") + 1].split(",")[0].removeprefix("size=")
    units = {"K": 10, "M": 20, "G": 30}
    if value[-1:].upper() in units:
        return int(value[:-1]) << units[value[-1].upper()]
    return int(value) << 20


# Room the kernel needs besides its image and the modules (its frame table,
# page tables, a heap), and what QEMU keeps at the top of RAM for ACPI.
KERNEL_HEADROOM = 4 << 20


def MiB(n):
    return f"{n / (1 << 20):.1f} MiB"


def direct_boot_problem(kernel, modules, base_args, hint):
    """Why QEMU cannot boot this kernel and module container directly, or
    None. hint: the command that builds them."""
    for path in (kernel, modules):
        if not os.path.isfile(path):
            return f"{show(path)} does not exist: build it first with `{hint}`"
    with open(kernel, "rb") as f:
        image = f.read()
    if pvh_entry(image) is None:
        return (f"{show(kernel)} has no PVH entry note (an ELF note \"Xen\" of type "
                f"XEN_ELFNOTE_PHYS32_ENTRY, common/boot/boot.asm), so QEMU cannot boot it "
                "directly: boot its ISO instead (BOOT=grub) or rebuild it")
    with open(modules, "rb") as f:
        container = f.read()
    mods = container_modules(container)
    if mods is None:
        return (f"{show(modules)} is not a boot module container (no OCHREMOD magic): "
                f"rebuild it with `{hint}` (common/mk/bootmods.py writes it)")
    ram = memory_bytes(base_args)
    room = ram - kernel_end(image) - KERNEL_HEADROOM
    if len(container) > room:
        biggest = max(mods, key=lambda m: m[1], default=("?", 0))
        return (f"the boot modules in {show(modules)} take {MiB(len(container))} "
                f"(the largest, '{biggest[0]}', {MiB(biggest[1])}); the machine's "
                f"{MiB(ram)} of RAM (-m in common/mk/qemu-args) leaves {MiB(max(room, 0))} "
                "for them beside the kernel: make the module smaller")
    return None


def fw_cfg_cmdline(cmdline):
    """The -fw_cfg value that hands `cmdline` to the kernel."""
    value = cmdline.replace(",", ",,") or " "
    return f"name=opt/ochre/cmdline,string={value}"


def qemu_value(text):
    """text as part of a QEMU option value (QEMU splits values at commas)."""
    return text.replace(",", ",,")


def replayable_disks(args):
    """args as record/replay needs them: each CD-ROM's drive (the ISO's,
    "-device ide-cd,drive=ID,...") behind a blkreplay node, so its reads
    complete at recorded points."""
    out = []
    for i, arg in enumerate(args):
        opts = arg.split(",")
        if i > 0 and args[i - 1] == "-device" and opts[0] == "ide-cd":
            for k, opt in enumerate(opts):
                if opt.startswith("drive="):
                    drive = opt[len("drive="):]
                    out[-1:] = ["-drive", f"driver=blkreplay,if=none,image={drive},"
                                f"id=rr-{drive},readonly=on", "-device"]
                    opts[k] = f"drive=rr-{drive}"
            arg = ",".join(opts)
        out.append(arg)
    return out


def rr_args(mode, rrfile, snapshots):
    """The -icount value and extra arguments that record (mode "record") or
    replay ("replay") a run in rrfile, with the start snapshot in the qcow2
    image snapshots (see create_snapshot_image)."""
    icount = (f"{RR_ICOUNT},rr={mode},rrfile={qemu_value(rrfile)},"
              f"rrsnapshot={RR_SNAPSHOT}")
    return icount, ["-drive", f"file={qemu_value(snapshots)},if=none,id=rr-snapshots",
                    "-nic", "none"]


def create_snapshot_image(path):
    """An empty qcow2 image for the recording's start snapshot (qemu-img is
    Debian's qemu-utils). Raises OSError or CalledProcessError."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "1G"], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def qemu_argv(base_args, cmdline, *, interactive=False, gdb_port=None,
              icount=GRADED_ICOUNT, debug=None, debug_log=None, rr=None, qmp=None):
    """Full argv for one boot.

    base_args: read_qemu_args(). interactive: the serial port is a terminal
    (-serial mon:stdio: Ctrl-A X quits, Ctrl-A C is QEMU's monitor, so
    "-monitor none" goes). gdb_port: stop before the first instruction and
    wait for gdb on this TCP port (or Unix socket, given as a path). icount: the -icount value (None: the host clock; an
    -icount in qemu-args wins). debug: QEMU -d flags; debug_log: where -d
    goes. rr: (mode, rrfile, snapshots) to record or replay the run
    (rr_args; the -icount value is then record/replay's). qmp: a Unix
    socket's path for a QMP monitor (the grader's boots only: on a TIMEOUT
    it asks where the CPU is, grader/ochre/cpustate.py); "-monitor none"
    stays, as it only drops the default human monitor.
    """
    args = list(base_args)
    extra = []
    if rr:
        args = replayable_disks(args)
        icount, extra = rr_args(*rr)
    if interactive:
        args = ["mon:stdio" if a == "stdio" and i and args[i - 1] == "-serial" else a
                for i, a in enumerate(args)]
        while "-monitor" in args:
            i = args.index("-monitor")
            del args[i:i + 2]
    argv = [os.environ.get("OCHRE_QEMU", QEMU_PROGRAM), *args]
    argv += ["-fw_cfg", fw_cfg_cmdline(cmdline)]
    if icount and "-icount" not in base_args:
        argv += ["-icount", icount]
    argv += extra
    if isinstance(gdb_port, str):   # a Unix socket's path
        argv += ["-S", "-gdb", f"unix:{qemu_value(gdb_port)},server=on,wait=off"]
    elif gdb_port is not None:
        argv += ["-S", "-gdb", f"tcp::{gdb_port}"]
    if debug:
        argv += ["-d", debug, "-D", debug_log]
    if qmp and qmp.startswith("@"):     # an abstract socket (no file)
        argv += ["-qmp", f"unix:{qemu_value(qmp[1:])},abstract=on,server=on,wait=off"]
    elif qmp:
        argv += ["-qmp", f"unix:{qemu_value(qmp)},server=on,wait=off"]
    return argv


def show(path):
    """A path as the user would type it from the current directory."""
    rel = os.path.relpath(path)
    return path if rel.startswith("../..") else rel


def fail(msg):
    print(f"qemu.py: {msg}", file=sys.stderr)
    sys.exit(2)


def run(argv):
    """Run QEMU in the foreground; returns its exit status. Ctrl-C (in a
    non-interactive boot) and SIGTERM reach QEMU, not just us."""
    proc = subprocess.Popen(argv)

    def forward(signum, _frame):
        proc.send_signal(signum)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    return proc.wait()


def main(argv=None):
    p = argparse.ArgumentParser(description="Boot an Ochre kernel in QEMU (see the top of this file).")
    image = p.add_mutually_exclusive_group(required=True)
    image.add_argument("--iso", help="boot this ISO through GRUB")
    image.add_argument("--kernel", help="boot this kernel ELF directly (PVH); needs --modules")
    p.add_argument("--modules", help="the module container of a direct boot (bootmods.py)")
    p.add_argument("--build-hint", default="make",
                   help="the command that builds the image, for the message when it is missing")
    p.add_argument("--cmdline", help="kernel command line (default: $CMDLINE)")
    p.add_argument("--interactive", action="store_true", help="serial console on this terminal")
    p.add_argument("--gdb", type=int, metavar="PORT", help="wait for gdb on PORT")
    p.add_argument("--icount",
                   help=f"-icount value (default: the grader's, {GRADED_ICOUNT}, or "
                        f"{IDLE_ICOUNT} for an interactive boot without a command line); "
                        "'off' for none")
    p.add_argument("--print", action="store_true", help="print the command instead of running it")
    p.add_argument("extra", nargs="*", help="more QEMU arguments")
    args = p.parse_args(argv)

    cmdline = args.cmdline if args.cmdline is not None else os.environ.get("CMDLINE", "")
    problem = cmdline_problem(cmdline)
    if problem:
        fail(problem)
    if args.kernel and not args.modules:
        p.error("--kernel needs --modules (the build's modules.img)")
    if args.iso and not os.path.isfile(args.iso):
        fail(f"{show(args.iso)} does not exist: build it first with `{args.build_hint}`")
    qemu = os.environ.get("OCHRE_QEMU", QEMU_PROGRAM)
    if not shutil.which(qemu):
        fail(f"{qemu} is not installed: run `make deps` (Debian package qemu-system-x86)")
    try:
        base = read_qemu_args(REPO_ROOT, args.iso, kernel=args.kernel, modules=args.modules)
    except OSError as e:
        fail(f"cannot read the QEMU arguments: {e}")
    if args.kernel:
        problem = direct_boot_problem(args.kernel, args.modules, base, args.build_hint)
        if problem:
            fail(problem)
    icount = args.icount or GRADED_ICOUNT
    if not args.icount and args.interactive and not cmdline.strip():
        icount = IDLE_ICOUNT
    if icount == "off":
        icount = None
    cmd = qemu_argv(base, cmdline, interactive=args.interactive, gdb_port=args.gdb,
                    icount=icount) + args.extra
    if args.print:
        print(shlex.join(cmd))
        return 0

    status = run(cmd)
    if status == qemu_status(EXIT_POWEROFF):
        return 0
    print(f"qemu.py: QEMU exited with status {status} ({describe_status(status)})",
          file=sys.stderr)
    return status if status > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Replay a boot the grader recorded (`make grade GRADE_ARGS='--record ...'`).

    make replay TEST=test_pagefault       run it again, instruction for
                                          instruction: the same serial output
    make replay-gdb TEST=test_pagefault   the same, stopped for gdb, which
                                          can step backwards

The grader (grader/ochre/record.py) leaves, beside each serial log,
<test>.rr (QEMU's record/replay log), <test>.rr.qcow2 (the snapshot at the
start) and <test>.rr.json (the command line, QEMU arguments, and the files
that booted, copied so that a rebuild cannot change them). The QEMU
command line comes from common/mk/qemu.py, as for every other boot.

A replay prints the serial output on stdout and into <test>.replay.log, and
then says whether it is byte for byte the recording's. With gdb, QEMU waits
on a Unix socket (no port to collide with), its serial output goes to
<test>.replay-gdb.log, gdb gets the terminal with breakpoints at panic and
trap_fatal, and QEMU is stopped when gdb exits.

Only the Python standard library: any python3 runs it.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402  (common/mk/qemu.py, beside this file)

# Where a failing boot ends: gdb stops there, so the student can step
# backwards. (Not qemu_exit: a replay ends at the recording's last event,
# which can come a few instructions before the exit itself.)
STOPS = ("panic", "trap_fatal")

GDB_HELP = """\
Replaying {test} (recorded; every run of it is the same instructions).
Breakpoints are set where a kernel gives up: panic, trap_fatal.
  continue            run forward to the next breakpoint (the panic)
  reverse-stepi       one instruction backwards
  reverse-continue    backwards to the previous breakpoint (break a function first)
  reverse-finish      back to where the current function was called
The serial output goes to {log}.
"""


def fail(msg):
    print(f"replay.py: {msg}", file=sys.stderr)
    sys.exit(2)


def find(grade_dir, test):
    """The .rr.json of TEST (test_x, x, or test_x.2) in grade_dir."""
    if not test:
        fail("say which test: make replay TEST=test_name " + recorded_list(grade_dir))
    for name in (test, f"test_{test}"):
        path = os.path.join(grade_dir, name + ".rr.json")
        if os.path.isfile(path):
            return path
    fail(f"no recording of {test} in {show(grade_dir)}: record it with "
         f"`make grade GRADE_ARGS='--record -k {test}'` " + recorded_list(grade_dir))


def recorded_list(grade_dir):
    try:
        names = sorted(f[:-len(".rr.json")] for f in os.listdir(grade_dir)
                       if f.endswith(".rr.json"))
    except OSError:
        names = []
    return f"(recorded: {', '.join(names)})" if names else "(nothing is recorded yet)"


def show(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("../..") else rel


def load(path):
    """The recording's facts, with paths made absolute; checks they exist."""
    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    here = os.path.dirname(os.path.abspath(path))
    for key in ("kernel", "rrfile", "snapshots", "log"):
        if info.get(key):
            info[key] = os.path.join(here, info[key])
    info["files"] = {k: os.path.join(here, v) for k, v in info["files"].items()}
    for needed in (info["rrfile"], info["snapshots"], *info["files"].values()):
        if not os.path.isfile(needed):
            fail(f"{show(needed)} is missing: record the test again")
    info["base"] = path[:-len(".rr.json")]
    return info


def replay_argv(info, snapshots, gdb_socket=None):
    """The QEMU command that replays the recording; snapshots: the copy of
    its snapshot image this replay may use (QEMU opens it for writing, so
    two replays cannot share one, and the recording stays untouched)."""
    args = []
    for arg in info["qemu_args"]:
        for key, path in info["files"].items():
            arg = arg.replace(key, path)
        args.append(arg)
    return qemu.qemu_argv(args, info["cmdline"], gdb_port=gdb_socket, icount=None,
                          rr=("replay", info["rrfile"], snapshots))


def scratch(info):
    """A temporary directory with a copy of the snapshot image."""
    tmp = tempfile.mkdtemp(prefix="ochre-replay-")
    snapshots = os.path.join(tmp, "snapshots.qcow2")
    shutil.copyfile(info["snapshots"], snapshots)
    return tmp, snapshots


def compare(info, replay_log):
    """One line: does the replay's serial output equal the recording's?"""
    try:
        with open(info["log"], "rb") as f:
            recorded = f.read()
    except OSError:
        return True, "(the recording's serial log is gone: nothing to compare)"
    with open(replay_log, "rb") as f:
        replayed = f.read()
    if recorded == replayed:
        return True, (f"replay.py: the same serial output as the recording "
                      f"({len(replayed)} bytes, {show(info['log'])})")
    at = next((i for i, (a, b) in enumerate(zip(recorded, replayed)) if a != b),
              min(len(recorded), len(replayed)))
    return False, (f"replay.py: the serial output differs from the recording "
                   f"({show(info['log'])}) from byte {at} on")


def run_replay(info):
    replay_log = info["base"] + ".replay.log"
    tmp, snapshots = scratch(info)
    argv = replay_argv(info, snapshots)
    print(f"replay.py: replaying {info['test']} ({info['cmdline'] or 'no command line'})",
          file=sys.stderr)
    with open(replay_log, "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                start_new_session=True)
        try:
            for chunk in iter(lambda: os.read(proc.stdout.fileno(), 65536), b""):
                log.write(chunk)
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
        except KeyboardInterrupt:
            pass
        finally:
            stop(proc)
            shutil.rmtree(tmp, ignore_errors=True)
    same, line = compare(info, replay_log)
    print(line, file=sys.stderr)
    print(f"replay.py: QEMU exited with status {proc.returncode} "
          f"({qemu.describe_status(proc.returncode)})", file=sys.stderr)
    return 0 if same else 1


def stop(proc):
    """QEMU gone, whatever state it is in (it runs in its own session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def gdbinit(info, socket_path, path):
    lines = ["set pagination off", "set confirm off", "set architecture i386:x86-64"]
    if info.get("kernel"):
        lines.append(f"file {info['kernel']}")
    lines.append(f"target remote {socket_path}")
    lines += [f"break {name}" for name in STOPS]
    help_text = GDB_HELP.format(test=info["test"], log=show(info["base"] + ".replay-gdb.log"))
    lines += ["echo \\n"] + [f"echo {line}\\n" for line in help_text.splitlines()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def run_gdb(info, gdb_args):
    gdb = shutil.which("gdb-multiarch") or shutil.which("gdb")
    if not gdb:
        fail("gdb is not installed: run `make deps` (Debian package gdb-multiarch)")
    tmp, snapshots = scratch(info)
    sock = os.path.join(tmp, "gdb.sock")
    init = os.path.join(tmp, "gdbinit")
    gdbinit(info, sock, init)
    with open(info["base"] + ".replay-gdb.log", "wb") as log:
        proc = subprocess.Popen(replay_argv(info, snapshots, gdb_socket=sock), stdin=subprocess.DEVNULL,
                                stdout=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            if proc.poll() is not None:
                fail(f"QEMU exited with status {proc.returncode} before gdb could attach")
            if time.monotonic() > deadline:
                fail("QEMU did not open its gdb socket within 30 s")
            time.sleep(0.05)
        # gdb owns the terminal; Ctrl-C goes to gdb (it interrupts the guest),
        # not to us.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        status = subprocess.run([gdb, "-q", "-nx", "-x", init, *gdb_args]).returncode
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return status


def main(argv=None):
    p = argparse.ArgumentParser(description="Replay a recorded boot (see the top of this file).")
    p.add_argument("grade_dir", help="where the grader left the logs (build/grade/labN)")
    p.add_argument("test", nargs="?", default="", help="the test's log name, e.g. test_pagefault")
    p.add_argument("--gdb", action="store_true", help="stop for gdb, which can step backwards")
    p.add_argument("--gdb-args", default="", help="more gdb arguments (shell words)")
    p.add_argument("--print", action="store_true", help="print the QEMU command instead")
    args = p.parse_args(argv)
    info = load(find(args.grade_dir, args.test))
    if not shutil.which(os.environ.get("OCHRE_QEMU", qemu.QEMU_PROGRAM)):
        fail("qemu-system-x86_64 is not installed: run `make deps`")
    if args.print:
        print(shlex.join(replay_argv(info, info["snapshots"])))
        return 0
    if args.gdb:
        return run_gdb(info, shlex.split(args.gdb_args))
    return run_replay(info)


if __name__ == "__main__":
    sys.exit(main())

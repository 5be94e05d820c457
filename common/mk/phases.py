#!/usr/bin/env python3
"""Runs the phases of `make test` side by side and says how each went.

    phases.py LOGDIR NAME=COMMAND... [-- NAME=COMMAND...]...

Stages, separated by "--", run one after another (a stage starts only if
the one before passed); the phases of one stage run side by side. After
the labs are built (make test's first stage), its other phases (host
tests, every lab's grade, the handout check, the clang build) need nothing
from each other. One after another they leave a core idle whenever one phase waits (a test waiting for
a guest, a build waiting for its last file, a phase's slowest test running
alone at its end); side by side, one phase's waits are filled by another's
work, and the whole costs about its CPU time divided by the cores.

Each COMMAND runs in its own process group with its output in
LOGDIR/NAME.log; one line is printed as each phase starts and ends (with
its wall time and the CPU time of it and everything it started). A phase
that fails has the end of its log printed (the whole log stays in LOGDIR).
Exit status: 0 if every phase passed, else 1. Ctrl-C or a kill stops every
phase and everything it started.
"""

import os
import signal
import subprocess
import sys
import time

TAIL = 80   # lines of a failed phase's log printed at the end
PROCS = {}  # name -> Popen of every phase started (for stop_all)


def say(text):
    print(text, flush=True)


def start(name, command, logdir):
    log = open(os.path.join(logdir, f"{name}.log"), "w")
    # Its own process group (stop_all kills it whole), in this session: a
    # new session is a new scheduler autogroup on Linux, with as much CPU
    # as all the others, so each phase would get an equal share whatever
    # its work and nice (make test runs all but the longest under nice).
    group = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
    proc = subprocess.Popen(command, shell=True, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, **group)
    log.close()
    say(f"[{name}] started: {command}")
    return proc


def tail(path, n=TAIL):
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    return "\n".join(lines[-n:])


def stop_all():
    for proc in PROCS.values():
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    time.sleep(1)
    for proc in PROCS.values():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(logdir, phases):
    """Runs phases side by side; returns the names of those that failed."""
    os.makedirs(logdir, exist_ok=True)
    began = time.monotonic()
    PROCS.clear()
    for name, command in phases:
        PROCS[name] = start(name, command, logdir)
    names = {proc.pid: name for name, proc in PROCS.items()}
    failed = []
    running = dict(PROCS)
    while running:
        pid, status, usage = os.wait4(-1, 0)
        name = names.get(pid)
        if name is None:
            continue
        del running[name]
        code = os.waitstatus_to_exitcode(status)
        PROCS[name].returncode = code
        cpu = usage.ru_utime + usage.ru_stime
        took = f"{time.monotonic() - began:.0f} s wall, {cpu:.0f} CPU-s"
        if code == 0:
            say(f"[{name}] passed ({took})")
        else:
            say(f"[{name}] FAILED with status {code} ({took}); log: "
                f"{os.path.join(logdir, name + '.log')}")
            failed.append(name)
    for name in failed:
        say(f"\n===== [{name}] failed: the last {TAIL} lines of its log =====")
        say(tail(os.path.join(logdir, f"{name}.log")))
    return failed


def stages_of(args):
    """[[(name, command), ...], ...] from NAME=COMMAND arguments and "--"."""
    stages = [[]]
    for a in args:
        if a == "--":
            stages.append([])
        elif "=" in a:
            stages[-1].append(tuple(a.split("=", 1)))
        else:
            sys.exit(f"phases.py: {a!r} is not NAME=COMMAND or --")
    if not all(stages):
        sys.exit("phases.py: an empty stage")
    return stages


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: phases.py LOGDIR NAME=COMMAND... [-- NAME=COMMAND...]...")
    logdir = argv[0]
    stages = stages_of(argv[1:])

    def interrupted(signum, frame):
        stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    for phases in stages:
        if run(logdir, phases):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""One graded boot, through GRUB and directly, side by side.

    bootbench.py --iso ISO --kernel ELF --modules IMG [--rounds N] [--cmdline C]

Boots the same kernel N times each way, alternating (GRUB first in odd
rounds, direct first in even ones, so a change in host load hits both
alike), with the grader's settings (common/mk/qemu.py builds both command
lines, as for every boot). For each boot it measures host time from
starting QEMU to the first `KTEST ... PASS` line and to QEMU's exit, and
prints the medians and the ratio direct / GRUB. Host time, unlike the
rest of `make bench`: it is what a student waits for, so run it on a quiet
machine; the ratio is the figure that carries over to another one.

Only the Python standard library.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

PASS = re.compile(rb"^KTEST \S+: PASS\r?$")


def one_boot(argv, timeout=60):
    """(seconds to the first PASS line, seconds to exit) of one boot."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    first_pass = None
    try:
        for line in proc.stdout:
            if first_pass is None and PASS.match(line.rstrip(b"\n")):
                first_pass = time.monotonic() - start
        status = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    end = time.monotonic() - start
    if first_pass is None or status != qemu.qemu_status(qemu.EXIT_POWEROFF):
        raise RuntimeError(f"no PASS and clean exit (status {status}): {' '.join(argv)}")
    return first_pass, end


def main(argv=None):
    p = argparse.ArgumentParser(description="Boot time, GRUB ISO vs direct (see the top of this file).")
    p.add_argument("--iso", required=True)
    p.add_argument("--kernel", required=True)
    p.add_argument("--modules", required=True)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--cmdline", default="ktest=frames_basic")
    args = p.parse_args(argv)
    root = qemu.REPO_ROOT
    boots = {
        "GRUB ISO": qemu.read_qemu_args(root, args.iso),
        "direct (PVH)": qemu.read_qemu_args(root, kernel=args.kernel, modules=args.modules),
    }
    problem = qemu.direct_boot_problem(args.kernel, args.modules, boots["direct (PVH)"], "make")
    if problem or not os.path.isfile(args.iso):
        print(f"bootbench.py: {problem or args.iso + ' does not exist'}", file=sys.stderr)
        return 2
    times = {name: [] for name in boots}
    for r in range(args.rounds):
        order = list(boots) if r % 2 == 0 else list(reversed(boots))
        for name in order:
            times[name].append(one_boot(qemu.qemu_argv(boots[name], args.cmdline)))
    med = {}
    for name, got in times.items():
        med[name] = (statistics.median(t[0] for t in got), statistics.median(t[1] for t in got))
        print(f"bench: boot, {name:<13} {med[name][0]:6.3f} s to first PASS, "
              f"{med[name][1]:6.3f} s to exit (median of {len(got)}, '{args.cmdline}')")
    grub, direct = med["GRUB ISO"][1], med["direct (PVH)"][1]
    print(f"bench: boot, direct / GRUB  {direct / grub:6.2f} x (QEMU start to exit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

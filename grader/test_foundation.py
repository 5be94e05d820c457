"""Foundation (lab 0): what every lab's kernel does before any student code.

These tests carry no points, but every other test relies on them: the banner,
the ktest runner's protocol, command-line parsing and the monitor. They must
also pass on the unsolved starter code of every lab.
"""

import re

import pytest

from ochre.machine import POWEROFF, USAGE

pytestmark = pytest.mark.lab(0)

PROMPT = r"ochre> $"

# From lab 2 on, a boot without ktest= starts init; this option asks for the
# kernel monitor instead (in lab 1 the monitor is the default anyway).
MONITOR_CMDLINE = "monitor"


def test_banner(ochre):
    """The kernel prints its banner, a line starting with 'Ochre ', early
    during boot."""
    m = ochre.boot("")
    m.expect(r"^Ochre ", partial=False)


def test_unknown_ktest(ochre):
    """ktest=<a name that does not exist> lists the available tests and exits
    with the usage-error code (4, QEMU status 9) instead of running anything."""
    m = ochre.boot("ktest=no_such_test")
    found = m.expect(r"^KTEST no_such_test: NOT FOUND; available:(.*)$", partial=False)
    names = found.group(1).split()
    if not names:
        m.fail("the NOT FOUND line lists no available tests")
    m.wait_exit(status=USAGE)


def test_unknown_option(ochre):
    """An unknown command-line option gives a warning naming it, and the
    boot goes on (here: to the requested ktest, whatever its result)."""
    m = ochre.boot("ktest=frames_basic bogus=1")
    m.expect(r"^WARNING: unknown command-line option 'bogus(=1)?'", partial=False)
    # Reaching the ktest is what "boot continues" means; on unsolved starter
    # code the test itself may fail or even panic, which is not our business.
    m.expect(r"^KTEST frames_basic: ", partial=False, allow_panic=True)


def test_monitor(ochre):
    """With the `monitor` option the kernel starts its monitor: `help` lists
    the commands, `frames` prints a number, `poweroff` exits cleanly
    (status 1)."""
    m = ochre.boot(MONITOR_CMDLINE)
    m.expect(PROMPT)

    m.sendline("help")
    m.expect(PROMPT)
    missing = [c for c in ("help", "mem", "frames", "walk", "bt", "poweroff")
               if not re.search(rf"\b{c}\b", m.before)]
    if missing:
        m.fail(f"`help` does not list: {', '.join(missing)}")

    m.sendline("frames")
    m.expect(PROMPT)
    if not re.search(r"\d", m.before):
        m.fail("`frames` printed no number", f"it printed: {m.before!r}")

    m.sendline("poweroff")
    m.wait_exit(status=POWEROFF)

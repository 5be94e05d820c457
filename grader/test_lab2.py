"""Lab 2 (contexts): processes, preemption, user mode, in-kernel fork.

Every test boots one user program as the first process (pid 1), chosen with
init=NAME; the programs live in lab2-contexts/user/NAME.c - read them, they
say exactly what is checked. A program prints "NAME: OK" and exits 0 when
all its checks pass, or "NAME: FAIL file:line: what" and exits 1. When pid 1
exits, the kernel powers off with its status. To watch one yourself:
    make -C lab2-contexts qemu CMDLINE='init=forktree'
"""

import re

import pytest

from ochre.machine import POWEROFF

pytestmark = pytest.mark.lab(2)


@pytest.mark.points(2)
def test_first_process(ochre):
    """The kernel loads bootstrap, runs it in ring 3 as pid 1, and the
    process demo (lab 2's default init) forks three children, sleeps and
    waits for them."""
    m = ochre.boot("init=procdemo")
    m.expect(r"^init: Ochre lab 2", partial=False)
    for n in range(3):
        m.expect(rf"^init: pid \d+ exited with status {n}$", partial=False)
    m.expect(r"^init: done", partial=False)
    m.wait_exit(status=POWEROFF)


@pytest.mark.points(4)
def test_preempt(ochre):
    """Two CPU-bound processes that never yield both make progress: the
    timer interrupt takes the CPU from one and gives it to the other."""
    m = ochre.user("preempt")
    steps = re.findall(r"^preempt: ([AB]) step (\d)", m.output, re.M)
    order = [who for who, _ in steps]
    if sorted(order) != ["A"] * 5 + ["B"] * 5:
        m.fail("expected five steps from each of A and B, got:", " ".join(order))
    first_b, last_a = order.index("B"), len(order) - 1 - order[::-1].index("A")
    first_a, last_b = order.index("A"), len(order) - 1 - order[::-1].index("B")
    if not (first_b < last_a and first_a < last_b):
        m.fail("one process ran to the end before the other started:",
               " ".join(order) + "\n(is the timer preempting user code? "
               "HANDOUT.md §4.5)")


@pytest.mark.points(3)
def test_yield(ochre):
    """yield() runs another runnable process at once (a child finishes
    within a few yields of its parent)."""
    ochre.user("yieldtest")


@pytest.mark.points(3)
def test_sleep(ochre):
    """nanosleep sleeps at least as long as asked (checked against the
    kernel's clock, not the host's), sleepers wake in deadline order, and
    bad arguments give EINVAL/EFAULT."""
    m = ochre.user("sleeptest")
    early = m.output.find("sleeptest: early child awake")
    late = m.output.find("sleeptest: late child awake")
    if not 0 <= early < late:
        m.fail("the child sleeping 50 ms must wake before the one sleeping 150 ms")


@pytest.mark.points(4)
def test_forktree(ochre):
    """A tree of 15 processes: fork returns the child's pid to the parent
    and 0 to the child, exit statuses reach waitpid, and waitpid's errors
    (ECHILD, EINVAL, EFAULT) are right."""
    ochre.user("forktree")


@pytest.mark.points(3)
def test_orphans(ochre):
    """Children whose parent exits first are adopted by init (pid 1), which
    can reap them - including one that was already a zombie."""
    ochre.user("orphans")


FAULTS = ["null read", "null write", "kernel read", "kernel write",
          "non-canonical", "write to text", "execute stack", "jump to kernel",
          "cli", "hlt", "port I/O", "ud2", "divide by zero"]


@pytest.mark.points(5)
def test_user_faults(ochre):
    """Bad pointers, kernel addresses, privileged and illegal instructions
    kill only the offending process, with the right signal, and the kernel
    says why; the parent and the kernel carry on."""
    m = ochre.user("faults")
    killed = re.findall(r"^ochre: pid \d+ \(faults\) killed by (SIG[A-Z]+)",
                        m.output, re.M)
    if len(killed) != len(FAULTS):
        m.fail(f"expected the kernel to report {len(FAULTS)} killed "
               f"processes ('ochre: pid N (faults) killed by SIG...'), "
               f"found {len(killed)}")


@pytest.mark.points(4)
def test_efault(ochre):
    """System calls given kernel, unmapped, non-canonical or partly mapped
    pointers return EFAULT; bad numbers, lengths and pids give ENOSYS,
    EINVAL, EBADF, ESRCH - never a panic."""
    ochre.user("efault")


@pytest.mark.points(4)
def test_mmap(ochre):
    """Anonymous mmap gives zeroed, non-overlapping memory; munmap and
    mprotect work on whole pages and holes; the MMU enforces read-only and
    unmapped pages; bad arguments are refused (including W+X)."""
    ochre.user("mmaptest")


@pytest.mark.points(4)
def test_forkleak(ochre):
    """20 fork/exit/wait rounds leave the free-frame count, the kernel
    heap and the context table exactly where they were: no leaked page
    tables, kernel stacks or frames (the counts are exact: one kept by any
    round shows)."""
    ochre.user("forkleak")


@pytest.mark.points(4)
def test_forkbomb(ochre):
    """Forking until the kernel refuses ends with EAGAIN or ENOMEM, not a
    crash; after killing the children everything works again and all
    memory is back."""
    ochre.user("forkbomb", timeout=90)


@pytest.mark.points(3)
def test_kill(ochre):
    """SIGTERM and SIGKILL end running, sleeping (at once: the kill wakes
    it) and waiting processes, the parent sees the signal in waitpid, and a process may only signal
    itself and its descendants."""
    ochre.user("killtest")

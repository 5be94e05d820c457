"""Lab 6 (ptrace): tracing through proc:<pid>/trace, regs/int, regs/float
and mem; stops at system calls, single steps, int3, signals and exit;
EVENT_CLONE with frozen children; nothing hangs when either side dies.

Every test boots one user program from initfs:/bin as the first process
(init=NAME; the sources are lab6-ptrace/user/NAME.c). The programs print
one line per step, so the first step that fails is the headline. To watch
one yourself:
    make -C lab6-ptrace qemu CMDLINE='init=acidtrace'
"""

import re

import pytest
from ochre.machine import POWEROFF
from ochre.plugin import INIT_KILLED, UTEST_FAIL

pytestmark = pytest.mark.lab(6)


def run_steps(ochre, prog, steps, timeout=60):
    """Boot init=prog and require each line of steps (regexes, in order),
    then "prog: OK" and a clean exit. The first missing step fails the test
    and names itself; the FAIL line says why: the program's own, or that of
    any of its processes (a traced child prints "prog (child): FAIL ...",
    and the tracer may be blocked on it), or the kernel's report that the
    program died of a fault. Each of them ends the test at once, as in
    ochre.user."""
    m = ochre.boot(f"init={prog}", timeout=timeout)
    for step in steps:
        got = m.expect(rf"^(?:{re.escape(prog)}: (?P<step>{step})|(?P<stop>{UTEST_FAIL}|"
                       rf"{INIT_KILLED}))$", partial=False)
        if got.group("stop"):
            m.drain(timeout=2.0)
            m.fail(f"{prog}: step '{step}' failed:", got.group("stop"))
    result = m.expect(rf"^(?:{re.escape(prog)}: (?P<ok>OK)|(?P<stop>{UTEST_FAIL}|"
                      rf"{INIT_KILLED}))$", partial=False)
    if not result.group("ok"):
        m.drain(timeout=2.0)
        m.fail(f"user test {prog} failed:", result.group("stop"))
    m.expect(r"^ochre: init exited with status 0", partial=False)
    m.wait_exit(status=POWEROFF)
    return m


@pytest.mark.points(10)
def test_acid(ochre):
    """The acid test, step by step: O_TRUNC attach and the POST of getpid;
    single-step values 1 1 2 2 3 2 1; the stack [1,2,3] read through mem
    (and the mem position after it); SINGLESTEP|PRE gives exactly two
    steps then the PRE, and a step over `syscall` is one step; a fork not
    followed (the child is released, waitpid returns); a fork followed
    (the child's getpid, ESRCH at its exit); a SIGTERM stop dropped with
    IGNORE; an int3 planted in read-only text stops with rip at it (the
    tracer's own text untouched); O_NONBLOCK gives EAGAIN; sysemu makes
    getpid return 123, which the EXIT stop shows; opens over pids 0..300
    give only EPERM or ESRCH."""
    run_steps(ochre, "acidtrace", [
        r"step 1 attach, POST of getpid: ok",
        r"step 2 single-step values 1 1 2 2 3 2 1: ok",
        r"step 3 stack \[1,2,3\] through mem: ok",
        r"step 4 step counts: 2 then PRE; syscall is one step: ok",
        r"step 5 fork not followed: ok",
        r"step 6 fork followed: ok",
        r"step 7 signal stop, signal dropped: ok",
        r"step 8 int3 stop and continue: ok",
        r"step 9 non-blocking EAGAIN: ok",
        r"step 10 sysemu result 123 in the EXIT stop, then ESRCH: ok",
        r"step 11 illegal opens give only EPERM or ESRCH: ok",
    ])


@pytest.mark.points(6)
def test_regs_mem_stops(ochre):
    """PRE shows write's number and arguments; rdx rewritten to 3 at PRE
    makes the tracee print "hel" and see 3; sysemu makes getpid return
    777; mem peeks and pokes a string, gives EFAULT at 0, at the last user
    page and at kernel addresses, and a short count across an unmapped
    page; regs/float shows st0 = sqrt(32) and refuses reserved MXCSR bits;
    register writes refuse a non-canonical or kernel rip/rsp, never change
    cs, ss, IOPL or IF, and rip = alt_path redirects the tracee; regs give
    EBUSY on a tracee that is not stopped; a poke into the initfs daemon's
    read-only, shared (borrowed) image page lands in a private copy."""
    m = run_steps(ochre, "ptregs", [
        r"syscall stops, argument rewritten: ok",
        r"sysemu: ok",
        r"mem peek, poke, EFAULT, short count: ok",
        r"regs/float: ok",
        r"register writes redirect and cannot escalate: ok",
        r"a poke into a shared \(borrowed\) page copies it: ok",
    ])
    if not re.search(r"^hel\r?$", m.output, re.M):
        m.fail("the write rewritten to 3 bytes did not print 'hel' on a line")


@pytest.mark.points(6)
def test_lifetimes(ochre):
    """EVENT_CLONE: the child has run no instruction until the tracer
    attaches, then its first stop is the PRE of getpid; a clone not
    followed runs on (event read, or session closed unread); a tracee
    SIGKILLed while its tracer waits gives ESRCH; a tracer that exits
    leaves its tracee running (O_EXCL: killed), also when SIGKILLed while
    it waits; the EXIT stop carries the
    status; SIGTERM to a parked tracee adds no event, stops at SIGNAL once
    it runs on, and SIGKILL ends a parked tracee; a tracer blocked in read
    returns EINTR on a signal (its own tracer drops the SIGTERM); exec
    queues EVENT_ADDRSPACE_SWITCH with the new entry point, a mem file
    opened before it shows the new image, and a single step starts at
    the new image's first instruction."""
    run_steps(ochre, "ptlife", [
        r"clone event, child frozen until attached: ok",
        r"clone event not followed \(read\): ok",
        r"clone event not followed \(closed unread\): ok",
        r"tracee killed while the tracer waits: ESRCH: ok",
        r"tracer exits, tracee runs on: ok",
        r"tracer exits, tracee killed \(O_EXCL\): ok",
        r"tracer killed, tracee runs on: ok",
        r"EXIT stop with the status: ok",
        r"signals to a parked tracee: ok",
        r"a blocked tracer's read gives EINTR: ok",
        r"exec: ADDRSPACE_SWITCH, mem follows, step at entry: ok",
    ])


@pytest.mark.points(4)
def test_permissions_and_bad_arguments(ochre):
    """Siblings, pid 1 and oneself give EPERM, a missing or reaped pid
    ESRCH, an unknown file ENOENT, a second tracer EBUSY; writes of the
    wrong length or with unknown bits EINVAL, bad buffers EFAULT (an event
    stays queued); a dead tracee gives ESRCH everywhere; 50 sessions
    opened and closed in odd orders leave no frame or heap block behind;
    3000 random reads, writes, seeks and opens with hostile lengths,
    pointers and words on a live tracee's files give errnos, never a
    PANIC."""
    run_steps(ochre, "ptperm", [
        r"permissions: ok",
        r"bad arguments: ok",
        r"tracee death, no leaks: ok",
        r"3000 random operations, no panic: ok",
    ])

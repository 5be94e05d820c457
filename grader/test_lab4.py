"""Lab 4 (userspace exec): the kernel offers process primitives
(thisproc:new, proc:/<pid>/addrspace|filetable|regs|start,
thisproc:new-addrspace, thisproc:exec) and libc builds fork and exec on
them.

Every test boots one user program from initfs:/bin as the first process
(init=NAME; the sources are lab4-userspace-exec/user/NAME.c); it prints
"NAME: OK" when all its checks pass. Bootstrap starts every program with
libc's execve, so nothing runs before the kernel part and libc's exec
work; primtest then needs no fork. To watch one yourself:
    make -C lab4-userspace-exec qemu CMDLINE='init=primtest'
"""

import pytest

pytestmark = pytest.mark.lab(4)


@pytest.mark.points(4)
def test_primitives(ochre):
    """A child built from scratch with the kernel primitives alone (a page
    of code, a page copied with AS_COPY, a stack, registers, start) exits
    with 42; misuse gives EBUSY, EPERM, ESRCH, ENOENT, EINVAL, EFAULT,
    EBADF; SYS_FORK and SYS_EXECVE are gone (ENOSYS)."""
    ochre.user("primtest")


@pytest.mark.points(3)
def test_embryo_teardown(ochre):
    """An embryo never started dies with its handle (closed, or its parent
    exits holding it): the pid is gone and every frame is free again."""
    ochre.user("embryotest")


@pytest.mark.points(4)
def test_fork_memory(ochre):
    """fork copies globals, bss, heap, stack and mmap'd pages, then each
    side's writes are private; a read-only page stays read-only; rbx, rbp
    and r12-r15 survive fork on both sides; the child's stack is aligned."""
    ochre.user("forkmem")


@pytest.mark.points(3)
def test_fork_fds(ochre):
    """The child shares the parent's open files (pipes both ways, shared
    offsets); fds opened after fork are private; libc's own handles never
    reach the child (same fd set before and after fork)."""
    ochre.user("forkfds")


@pytest.mark.points(4)
def test_exec_errors(ochre):
    """Failed execs (ENOENT, EACCES, ENOEXEC, ENOMEM, E2BIG, EFAULT, EBADF)
    leave the caller's memory, fds and name intact; a successful exec
    passes argv/envp, closes O_CLOEXEC fds, keeps the others, renames."""
    ochre.user("execerr")


@pytest.mark.points(3)
def test_fork_exec_leak(ochre):
    """20 fork+exec+wait cycles, 60 failed execs and 20 embryos leave free
    frames and kernel heap blocks exactly at their baseline: the counts are
    exact, so one frame or block kept by any cycle shows."""
    ochre.user("forkexecleak", timeout=120)


# ---- hostile programs: what a user program must never achieve ----------

@pytest.mark.points(2)
def test_embryo_chain(ochre):
    """Hostile: a chain of 200 embryos, each offered the previous one's
    handle with FT_INHERIT (and dup'ed handles): thisproc:/proc: handles
    never leave their creator, so each embryo dies when its creator closes
    the handle; no deep recursion, no panic, everything back at the
    baseline."""
    ochre.user("embryochain", timeout=120)


@pytest.mark.points(2)
def test_embryo_owner(ochre):
    """Hostile: an embryo offered its own handle is destroyed exactly once
    (SIGKILL, then close); 140 creators that exit leave no embryo, context
    slot, frame or scheme name behind; a process in a reused slot gets
    EPERM/ESRCH for the old embryo's files."""
    ochre.user("embryoself", timeout=120)


@pytest.mark.points(2)
def test_bad_arguments(ochre):
    """Hostile: munmap/mprotect with lengths that wrap when rounded up
    (2^64-1) give EINVAL; fds, pids and proc_exec.as_fd with high bits set
    give EBADF/EINVAL; a process name with a newline cannot forge a line in
    sys:/contexts, whether set by exec or by thisproc:name (whose writes of
    0 or 32 bytes are EINVAL, of a bad pointer EFAULT, reads EBADF)."""
    ochre.user("badargs")


@pytest.mark.points(2)
def test_long_copy_preempted(ochre):
    """Hostile: a 16 MiB read from zero: does not hold the CPU for its whole
    length: another process waits at most about 3 time slices, as when the
    reader spins in user mode."""
    ochre.user("longcopy", timeout=120)


@pytest.mark.points(2)
def test_heap_drained(ochre):
    """Hostile: exhausting the kernel heap with open sys: files, three times,
    ends with free frames, heap blocks, heap pages and contexts exactly at
    their baseline, and the heap still works."""
    ochre.user("heapdrain", timeout=120)


@pytest.mark.points(3)
def test_range_edges(ochre):
    """AS_COPY, AS_MAP, AS_UNMAP, AS_PROTECT and AS_WRITE on [lo, hi) touch
    exactly that range: a child built from scratch finds the page at hi
    (and below lo) as it was, and every page inside changed."""
    ochre.user("asedges")


@pytest.mark.points(2)
def test_proc_fuzz(ochre):
    """A fuzzer of the process primitives (30,000 random operations by
    short-lived workers: embryos, proc: files, dup/dup2/close, FT_INHERIT,
    as_ops at edge ranges, regs, start, kill, failed execs) never panics
    the kernel, and frames, heap and contexts end at their baseline.
    docs/fuzzing.md has the long run."""
    ochre.user("procfuzz", timeout=120)

"""A failing check is the headline, wherever it ran: lab 4's solution with
one of the handout's common mistakes put in must fail its test with the
FAIL line of the process that caught it (a child, here), not a TIMEOUT
while the parent waits for that child (before any wait limit ends it).

Maintainers only: the mistakes quote lines of the reference solution, so
`make handout` leaves this file out of the student tree (grader/handout.py,
INSTRUCTOR_ONLY). Each case builds lab 4 in a copy of the tree (starting
from this repository's build of lab 4, so only the edited files compile)
and boots QEMU once.
"""

import re
import shlex
import sys

import pytest

from conftest import make, seed_build, sh

# The solution region that opens __fork_child (spelled in pieces, so that
# only real solution regions look like markers).
FORK_CHILD = "__fork_child:\n; BEGIN LAB" "4 SOLUTION: §5.2 __fork_child\n"

# name: ([(file, text to replace, replacement), ...], test to grade,
#        regex the headline must match)
MISTAKES = {
    # §5.2: __fork_child does not skip the frame's padding: the child pops
    # everything one slot off and returns to a saved register's value. It
    # dies of a page fault; the parent, waiting for it on a pipe, must say so.
    "fork_child_no_add_rsp": (
        [("lab4-userspace-exec/libc/fork.asm",
          FORK_CHILD + "\tadd rsp, 8\n",
          FORK_CHILD)],
        "test_fork_memory",
        r"user test forkmem failed: forkmem: FAIL \S*forkmem\.c:\d+: child \d+ was "
        r"killed by signal 11 \(SIGSEGV\) before it wrote"),
    # §5.2: __fork_child pops two registers in the wrong order; the child's
    # check names the register and shows both values in hex.
    "fork_child_pops_swapped": (
        [("lab4-userspace-exec/libc/fork.asm",
          FORK_CHILD + "\tadd rsp, 8\n"
          "\tpop r15\n\tpop r14\n",
          FORK_CHILD + "\tadd rsp, 8\n"
          "\tpop r14\n\tpop r15\n")],
        "test_fork_memory",
        r"user test forkmem failed: forkmem \(child\): FAIL \S*forkmem\.c:\d+: "
        r"r14 after fork: got 0x6666666666666666, want 0x5555555555555555"),
    # §3.1: AS_COPY does not move the copy's mmap_next past the copied
    # mappings, so the child's next mmap lands on them and malloc fails.
    "as_copy_no_mmap_next": (
        [("lab4-userspace-exec/kernel/procfile.c",
          "\t\tas->mmap_next = MAX(as->mmap_next, cur->as->mmap_next);\n", "")],
        "test_fork_memory",
        r"user test forkmem failed: forkmem \(child\): FAIL \S*forkmem\.c:\d+: "
        r"more && small \(errno 12 ENOMEM"),
    # §5.3 and §3.2: fork's ctl handle opened without O_CLOFORK, and an
    # FT_INHERIT that passes thisproc: handles on, so the child has one more
    # fd than its parent had.
    "ctl_without_clofork": (
        [("lab4-userspace-exec/libc/fork.c",
          'ctl = open("thisproc:new", O_RDWR | HANDLE_FLAGS);',
          'ctl = open("thisproc:new", O_RDWR | O_CLOEXEC);'),
         ("lab4-userspace-exec/kernel/procfile.c",
          "(mine->fdflags[fd] & FD_CLOFORK) || stays_home(f))",
          "(mine->fdflags[fd] & FD_CLOFORK) || (stays_home(f) && false))")],
        "test_fork_fds",
        r"user test forkfds failed: forkfds \(child\): FAIL \S*forkfds\.c:\d+: "
        r"mine == before: got \d+.*, expected"),
}

@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_headline_is_the_failing_check(tree_copy, name):
    """The mistake makes its lab-4 test fail with the child's FAIL line as
    the headline, not a TIMEOUT."""
    edits, test, headline = MISTAKES[name]
    seed_build(tree_copy, 4)      # only the files a mistake edits are compiled
    for path, old, new in edits:
        src = tree_copy / path
        text = src.read_text(encoding="utf-8")
        if "BEGIN LAB" "4 SOLUTION" not in text:  # split: not a marker itself
            pytest.skip("the mistakes target the reference solution (a student tree?)")
        if text.count(old) != 1:
            pytest.fail(f"mistake {name}: {old!r} is not in {path} exactly once; "
                        f"update MISTAKES", pytrace=False)
        src.write_text(text.replace(old, new), encoding="utf-8")

    r = make("-j2 -C lab4-userspace-exec", cwd=tree_copy, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:]
    r = sh(f"{shlex.quote(sys.executable)} -m pytest grader --lab 4 -n 0 "
           f"-p no:cacheprovider -k {test}", cwd=tree_copy, timeout=300)
    out = r.stdout
    assert r.returncode == 1, out[-4000:]
    # No wait limit ended it (the grader says TIMEOUT when one does); host
    # speed is not checked, so a loaded CI machine cannot fail this test.
    assert "TIMEOUT" not in out, out[-4000:]
    assert re.search(headline, out), f"headline /{headline}/ not in:\n{out[-4000:]}"
    # The docstring follows the message (grader/README.md).
    assert "--- what this test checks ---" in out, out[-4000:]

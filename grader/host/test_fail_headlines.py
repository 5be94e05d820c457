"""A failing check is the headline, wherever it ran: lab 4's solution with
one of the seven common mistakes of lab4-userspace-exec/HANDOUT.md §8 put
in must fail its test with the check that caught it as the headline (the
FAIL line of a child or of the program, the kernel's report of the
program's death, or the kernel's panic), never a TIMEOUT while a parent
waits for a child that failed (before any wait limit ends it).

Maintainers only: the mistakes quote lines of the reference solution, so
`make handout` leaves this file out of the student tree (grader/handout.py,
INSTRUCTOR_ONLY). Lab 4 is built once per run (conftest.py, built_copy);
each case copies that build, rebuilds what its mistake touched and boots
QEMU once.
"""

import re
import shlex
import sys

import pytest

from conftest import make, sh

# The solution region that opens __fork_child (spelled in pieces, so that
# only real solution regions look like markers).
FORK_CHILD = "__fork_child:\n; BEGIN LAB" "4 SOLUTION: §5.2 __fork_child\n"

# name: ([(file, text to replace, replacement), ...], test to grade,
#        regex the failure's headline (and the details under it) must match).
# Each is one of HANDOUT.md §8's seven; the §8 text shows what it prints.
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
    # §4: exec_commit leaves the installed space in its handle, so closing
    # libc's as_fd at the commit (close-on-exec) frees the running image:
    # the program dies at its first instruction, and the kernel says so.
    "exec_space_left_in_handle": (
        [("lab4-userspace-exec/kernel/procfile.c",
          "\tpf->as = NULL;\n\tcontext_exec(", "\tcontext_exec(")],
        "test_exec_errors",
        r"user test execerr failed: ochre: pid 1 \(execerr\) killed by SIGSEGV: "
        r"page fault at rip 0x[0-9a-f]+"),
    # §3.3: start does not clear creator_of, so fork's close of the ctl fd
    # destroys a child that is already running: the kernel refuses, loudly.
    "start_keeps_creator": (
        [("lab4-userspace-exec/kernel/procfile.c",
          "\tcreator_of[context_slot(c)] = 0;\t/* a child now, not an embryo */\n", "")],
        "test_fork_memory",
        r"kernel PANIC while waiting for .*\n+PANIC: context_discard: pid \d+ has run "
        r"or is dying"),
    # §6.2: build_stack stores the caller's argv pointers, not the
    # new-space addresses of the copied strings.
    "stack_old_pointers": (
        [("lab4-userspace-exec/libc/fexec.c",
          "\t\t\tw[k++] = at;\n", "\t\t\tw[k++] = (uint64_t)(uintptr_t)v->vec[i];\n")],
        "test_exec_errors",
        r"user test execerr failed: execerr \(exec'd child\): FAIL \S*execerr\.c:\d+: "
        r"argv\[0\] = 0x[0-9a-f]+, not on the new stack"),
}


def headline(out):
    """The first failure's message in pytest's output, up to the serial
    tail: its headline and the details under it."""
    m = re.search(r"^_{3,} test_\w+ _{3,}\n(.*?)^--- ", out, re.M | re.S)
    return m.group(1) if m else ""


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_headline_is_the_failing_check(built_copy, name):
    """The mistake makes its lab-4 test fail with the check that caught it
    as the headline, not a TIMEOUT."""
    edits, test, want = MISTAKES[name]
    tree_copy = built_copy("lab4-userspace-exec")
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
    got = headline(out)
    assert re.match(want, got), f"headline /{want}/ is not:\n{got}\n\n{out[-4000:]}"
    # The docstring follows the message (grader/README.md).
    assert "--- what this test checks ---" in out, out[-4000:]

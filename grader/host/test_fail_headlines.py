"""A failing check is the headline, wherever it ran: a lab's solution with
one of its handout's common mistakes put in must fail the affected test
with the check that caught it as the headline (a KTEST FAIL line, a FAIL
line of whichever process caught it, or a panic that says what it means),
never a TIMEOUT, in normal test time.

Maintainers only: the mistakes quote lines of the reference solution, so
`make handout` leaves this file out of the student tree (grader/handout.py,
INSTRUCTOR_ONLY). Each lab is copied and built once per worker; a mistake
is put in, rebuilt (one file recompiles), graded with -k for the affected
test only (one boot), and taken out again.
"""

import contextlib
import fcntl
import os
import re
import shlex
import shutil
import sys

import pytest

from conftest import ROOT, copy_tree, make, sh

# Solution regions quoted below are spelled in pieces, so that only real
# solution regions look like markers.
FORK_CHILD = "__fork_child:\n; BEGIN LAB" "4 SOLUTION: §5.2 __fork_child\n"

# Each table: name -> ([(file, text to replace, replacement), ...],
#                      test to grade, regex the headline must match).

# Lab 1, HANDOUT.md §8 "Common mistakes": in-kernel tests, KTEST FAIL lines.
LAB1_MISTAKES = {
    # Frames not zeroed: a reused frame still holds the test's pattern.
    "frame_alloc_not_zeroed": (
        [("lab1-paging/kernel/frame.c",
          "\tmemset(phys_to_virt(pa), 0, PAGE_SIZE);\n", "")],
        "test_frames_basic",
        r"KTEST frames_basic: FAIL \S*paging_tests\.c:\d+: assertion failed: "
        r".* && frame_is_zero\(\w+\)"),
    # Never freeing parents: the PT goes, the PD and PDPT stay (they leak).
    "unmap_frees_only_the_pt": (
        [("lab1-paging/kernel/mapper.c",
          "\tfor (int level = deepest; level < PT_LEVELS; level++) {",
          "\tfor (int level = deepest; level < 2; level++) {")],
        "test_map_unmap",
        r"KTEST map_unmap: FAIL \S*paging_tests\.c:\d+: frame_free_count\(\) == "
        r"\w+: got \d+ \(0x[0-9a-f]+\), expected \d+ \(0x[0-9a-f]+\)"),
    # Freeing a table but not clearing its parent's entry (Redox's 2022
    # use-after-free): the PML4 still points at the freed PDPT.
    "free_table_keeps_parent_entry": (
        [("lab1-paging/kernel/mapper.c",
          "\t\ttable_of(path[level + 1])[pt_index(va, level + 1)] = 0;\n", "")],
        "test_map_unmap",
        r"KTEST map_unmap: FAIL \S*paging_tests\.c:\d+: .*\[pt_index\(va, 4\)\] "
        r"== 0: got \d+ \(0x[0-9a-f]+\), expected 0"),
    # Forgetting the flush: the old translation stays in the TLB.
    "commit_without_invlpg": (
        [("lab1-paging/kernel/mapper.c",
          "\t\tfor (int i = 0; i < fl->npages; i++)\n\t\t\tinvlpg(fl->pages[i]);\n",
          "")],
        "test_tlb_flush",
        r"KTEST tlb_flush: FAIL \S*paging_tests\.c:\d+: .*va == 0xbbbb: got \d+ "
        r"\(0xaaaa\), expected \d+ \(0xbbbb\)"),
}

# Lab 2, HANDOUT.md §10 "Common mistakes": user tests, FAIL lines or a
# panic report that says what it means.
LAB2_MISTAKES = {
    # Forgetting rax = 0 in the child: it takes the parent's branch and
    # its waitpid fails with ECHILD.
    "fork_child_rax_not_zero": (
        [("lab2-contexts/kernel/fork.c", "\tchild->tf->rax = 0;\n", "")],
        "test_forktree",
        r"user test forktree failed: forktree: FAIL \S*forktree\.c:\d+: .*"
        r"\(errno 10 ECHILD"),
    # Reaping before copyout succeeds: the EFAULT call lost the child.
    "waitpid_reaps_before_copyout": (
        [("lab2-contexts/kernel/proc.c",
          "\t\t\tif (status_ptr &&\n"
          "\t\t\t    copyout(status_ptr, &status, sizeof(status)) != 0)\n"
          "\t\t\t\treturn -EFAULT;\t/* the child stays a zombie */\n"
          "\t\t\tunlink_child(cur, ch);\n\t\t\tcontext_free(ch);\n",
          "\t\t\tunlink_child(cur, ch);\n\t\t\tcontext_free(ch);\n"
          "\t\t\tif (status_ptr &&\n"
          "\t\t\t    copyout(status_ptr, &status, sizeof(status)) != 0)\n"
          "\t\t\t\treturn -EFAULT;\n")],
        "test_forktree",
        r"user test forktree failed: forktree: FAIL \S*forktree\.c:\d+: "
        r"waitpid\(c, &status, 0\) == c: got -1, expected \d+ \(errno 10 ECHILD\)"),
    # Setting cur and RSP0 after switch_to: a new context never runs that
    # code, so its first interrupt finds no kernel stack.
    "cur_and_rsp0_after_switch_to": (
        [("lab2-contexts/kernel/sched.c",
          "\tcur = next;\n\tuse_kernel_stack_of(next);\n"
          "\tif (next->as != prev->as)\n\t\taddrspace_switch(next->as);\n"
          "\tswitch_to(&prev->saved_rsp, next->saved_rsp);\n",
          "\tif (next->as != prev->as)\n\t\taddrspace_switch(next->as);\n"
          "\tswitch_to(&prev->saved_rsp, next->saved_rsp);\n"
          "\tcur = prev;\n\tuse_kernel_stack_of(prev);\n")],
        "test_forktree",
        r"kernel PANIC while waiting for [^\n]*\n\nPANIC: fatal exception: #DF "
        r"double fault[\s\S]*TSS RSP0 not set for the running context"),
    # Marking a killed sleeper without waking it: it would die only when
    # its 100 s sleep ends; killtest times the wait in guest time.
    "kill_without_wakeup": (
        [("lab2-contexts/kernel/proc.c",
          "\twakeup_one(c);\t\t/* a sleeping context wakes with -EINTR */\n", "")],
        "test_kill",
        r"user test killtest failed: killtest: FAIL \S*killtest\.c:\d+: waitpid "
        r"for the killed sleeper took \d+ ms: the kill did not wake it"),
}

# Lab 3, HANDOUT.md §9 "Common mistakes". A pipe that never wakes its
# reader or writer used to end in a TIMEOUT; utest.h's watchdog
# (CHECK_EQ_SOON) names the call that hangs.
LAB3_MISTAKES = {
    # `..` that pops the root's slash: "initfs:/bin/.." becomes "initfs:".
    "dotdot_pops_the_root": (
        [("lab3-schemes/kernel/path.c",
          "\t\t\tif (o->len > o->root)\n\t\t\t\to->len--;\t/* and its slash */",
          "\t\t\tif (o->len >= o->root)\n\t\t\t\to->len--;\t/* and its slash */")],
        "test_paths",
        r'user test pathtest failed: pathtest: FAIL "initfs:/[^"]*\.\.[^"]*" '
        r'opened as "initfs:bin/echo", expected "initfs:/bin/echo"'),
    # A reader not returning 0 once the writers are gone.
    "pipe_read_no_eof": (
        [("lab3-schemes/kernel/pipe.c",
          "\t\tif (p->writers == 0 || b->len == 0)\n", "\t\tif (b->len == 0)\n")],
        "test_pipes",
        r"user test pipetest failed: pipetest: FAIL \S*pipetest\.c:\d+: "
        r"read\(fds\[0\], buf, sizeof\(buf\)\): still blocked after \d+ ms"),
    # pipe_close waking one side only: a writer blocked on a full pipe
    # never learns that the reader is gone.
    "pipe_close_wakes_readers_only": (
        [("lab3-schemes/kernel/pipe.c",
          "\twakeup(&p->can_write);\n\tif (p->readers == 0 && p->writers == 0)",
          "\tif (p->readers == 0 && p->writers == 0)")],
        "test_pipes",
        r"user test pipetest failed: pipetest: FAIL \S*pipetest\.c:\d+: "
        r"waitpid\(pid, &status, 0\): still blocked after \d+ ms"),
}

# Lab 4, HANDOUT.md §8: a child fails a check while its parent waits for
# it on a pipe; the child's FAIL line is the headline.
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

MISTAKES_BY_LAB = {1: LAB1_MISTAKES, 2: LAB2_MISTAKES, 3: LAB3_MISTAKES, 4: MISTAKES}
CASES = [(lab, name) for lab, table in MISTAKES_BY_LAB.items() for name in sorted(table)]


def lab_dir(lab):
    return next(ROOT.glob(f"lab{lab}-*")).name


@pytest.fixture(scope="session")
def lab_tree(tmp_path_factory):
    """lab -> a context manager that holds that lab's lock and yields a
    copy of the tree in which the lab has been built. One copy per lab
    for the whole run, also with pytest -n (the workers share it through
    their common temporary directory, as conftest's `starter` does), so
    each lab is built from scratch once."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent

    @contextlib.contextmanager
    def hold(lab):
        with open(shared / f"mistakes-lab{lab}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            tree = shared / f"mistakes-lab{lab}" / "ochre"
            if not (tree / "build" / f"lab{lab}" / "ochre.iso").exists():
                shutil.rmtree(tree, ignore_errors=True)
                copy_tree(tree)
                r = make(f"-j2 -C {lab_dir(lab)}", cwd=tree, timeout=900)
                assert r.returncode == 0, r.stdout[-3000:]
            yield tree
    return hold


def headline(out):
    """The message of the first failure, up to the serial tail."""
    m = re.search(r"^_{3,} test_\w+.* _{3,}$\n([\s\S]*?)^--- last ", out, re.M)
    return m.group(1) if m else ""


# The first case of each lab also builds it; the others wait for its lock.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lab,name", CASES)
def test_mistake_headline_is_the_failing_check(lab_tree, lab, name):
    """The mistake makes its test fail with the check that caught it as the
    headline, not a TIMEOUT."""
    edits, test, want = MISTAKES_BY_LAB[lab][name]
    with lab_tree(lab) as tree:
        out, status = grade_with_mistake(tree, lab, name, edits, test)
    assert status == 1, out[-4000:]
    # No wait limit ended it (the grader says TIMEOUT when one does); host
    # speed is not checked, so a loaded CI machine cannot fail this test.
    assert "TIMEOUT" not in out, out[-4000:]
    assert re.search(want, headline(out)), \
        f"headline /{want}/ not in the failure's message:\n{out[-4000:]}"
    # The docstring follows the message (grader/README.md).
    assert "--- what this test checks ---" in out, out[-4000:]


def grade_with_mistake(tree, lab, name, edits, test):
    """Puts the mistake into tree, rebuilds, grades test, and takes the
    mistake out again; returns the grader's output and exit status."""
    originals = {}
    try:
        for path, old, new in edits:
            src = tree / path
            text = originals.setdefault(path, src.read_text(encoding="utf-8"))
            if f"BEGIN LAB{lab}" " SOLUTION" not in text:  # split: not a marker itself
                pytest.skip("the mistakes target the reference solution (a student tree?)")
            text = src.read_text(encoding="utf-8")
            if text.count(old) != 1:
                pytest.fail(f"mistake {name}: {old!r} is not in {path} exactly once; "
                            f"update the lab {lab} table", pytrace=False)
            src.write_text(text.replace(old, new), encoding="utf-8")
        r = make(f"-j2 -C {lab_dir(lab)}", cwd=tree, timeout=900)
        assert r.returncode == 0, r.stdout[-3000:]
        r = sh(f"{shlex.quote(sys.executable)} -m pytest grader --lab {lab} -n 0 "
               f"-p no:cacheprovider -k {test}", cwd=tree, timeout=300)
    finally:
        for path, text in originals.items():
            (tree / path).write_text(text, encoding="utf-8")
    return r.stdout, r.returncode

"""A failing check is the headline, wherever it ran: a lab's solution with
one of its handout's common mistakes put in (labs 1-3: at least three each
from the handout's "Common mistakes"; lab 4: the seven of HANDOUT.md §8)
must fail the affected test with the check that caught it as the headline
(a KTEST FAIL line, the FAIL line of whichever process caught it, the
kernel's report of the program's death, or a panic that says what it
means), never a TIMEOUT while a parent waits for a child that failed or a
call blocks forever (before any wait limit ends it). Mistakes that hang
the whole kernel (HANG_MISTAKES: a loop with interrupts off, every context
blocked) leave no check able to run: their TIMEOUT must say where the CPU
is (ochre/cpustate.py).

Maintainers only: the mistakes quote lines of the reference solution, so
`make handout` leaves this file out of the student tree (grader/handout.py,
INSTRUCTOR_ONLY). Each lab is built once per run (conftest.py,
built_copy); each case copies that build, rebuilds the kernel and boot
modules where its mistake touched them, and boots QEMU once for the
affected test (its grader file, -k).
"""

import os
import re
import shlex
import sys

import pytest

from conftest import ROOT, make, sh

sys.path.insert(0, str(ROOT / "grader"))
from ochre import cpustate, tree  # noqa: E402
from ochre.machine import GradeFailure, Machine  # noqa: E402
from ochre.symbols import Symbols  # noqa: E402

# The solution region that opens __fork_child (spelled in pieces, so that
# only real solution regions look like markers).
FORK_CHILD = "__fork_child:\n; BEGIN LAB" "4 SOLUTION: §5.2 __fork_child\n"

# Each table of labs 1-3: name -> ([(file, text to replace, replacement), ...],
#                      test to grade, regex the headline must match).

# Lab 1, HANDOUT.md §8 "Common mistakes": in-kernel tests, KTEST FAIL lines.
KTEST_FAILED = r"in-kernel test \w+: expected PASS, got:\n\n"
LAB1_MISTAKES = {
    # A new table taken dirty (HANDOUT §8): it holds a freed frame's bytes,
    # here entries that look present, so the walk finds the page mapped.
    "table_from_dirty_frame": (
        [("lab1-paging/kernel/mapper.c",
          "physaddr_t fresh = frame_alloc();", "physaddr_t fresh = frame_alloc_dirty();")],
        "test_map_unmap",
        KTEST_FAILED + r"KTEST map_unmap: FAIL \S*paging_tests\.c:\d+: mapper_map\(root, va, pa, "
        r"PTE_W \| PTE_U, &fl\) == 0: got -17 \(0x[0-9a-f]+, -EEXIST\)"),
    # Never freeing parents: the PT goes, the PD and PDPT stay (they leak).
    "unmap_frees_only_the_pt": (
        [("lab1-paging/kernel/mapper.c",
          "\tfor (int level = deepest; level < PT_LEVELS; level++) {",
          "\tfor (int level = deepest; level < 2; level++) {")],
        "test_map_unmap",
        KTEST_FAILED + r"KTEST map_unmap: FAIL \S*paging_tests\.c:\d+: frame_free_count\(\) == "
        r"\w+: got \d+ \(0x[0-9a-f]+\), expected \d+ \(0x[0-9a-f]+\)"),
    # Freeing a table but not clearing its parent's entry (Redox's 2022
    # use-after-free): the PML4 still points at the freed PDPT.
    "free_table_keeps_parent_entry": (
        [("lab1-paging/kernel/mapper.c",
          "\t\ttable_of(path[level + 1])[pt_index(va, level + 1)] = 0;\n", "")],
        "test_map_unmap",
        KTEST_FAILED + r"KTEST map_unmap: FAIL \S*paging_tests\.c:\d+: .*\[pt_index\(va, 4\)\] "
        r"== 0: got \d+ \(0x[0-9a-f]+\), expected 0"),
    # Forgetting the flush: the old translation stays in the TLB.
    "commit_without_invlpg": (
        [("lab1-paging/kernel/mapper.c",
          "\t\tfor (int i = 0; i < fl->npages; i++)\n\t\t\tinvlpg(fl->pages[i]);\n",
          "")],
        "test_tlb_flush",
        KTEST_FAILED + r"KTEST tlb_flush: FAIL \S*paging_tests\.c:\d+: .*va == 0xbbbb: got \d+ "
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
        # The first system call of a context that never got its kernel
        # stack is caught at entry; if an interrupt comes first, the double
        # fault's hint names the same cause.
        r"kernel PANIC while waiting for [^\n]*\n\nPANIC: (system call with no "
        r"kernel stack: syscall_kernel_rsp is 0\. The scheduler must call "
        r"use_kernel_stack_of\(next\) before switch_to\(\)|fatal exception: #DF "
        r"double fault[\s\S]*TSS RSP0 not set for the running context)"),
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
    # pipe_write that never wakes the reader (HANDOUT.md §5.1): a reader
    # sleeps on an empty pipe while the data sits in it.
    "pipe_write_without_wakeup": (
        [("lab3-schemes/kernel/pipe.c", "\t}\n\twakeup(&p->can_read);\n\treturn (int64_t)n;\n",
          "\t}\n\treturn (int64_t)n;\n"),
         ("lab3-schemes/kernel/pipe.c", "\t\t\twakeup(&p->can_read);\n\t\t\tif (f->flags & O_NONBLOCK)",
          "\t\t\tif (f->flags & O_NONBLOCK)")],
        "test_pipes",
        r"user test pipetest failed: pipetest: FAIL \S*pipetest\.c:\d+: "
        r"reading 100 KiB until end of file: still blocked after \d+ ms"),
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
    # Daemon death that forgets the requests in flight: a client whose
    # request the daemon had read sleeps forever (HANDOUT.md §6.4, §8.4).
    "daemon_death_forgets_inflight": (
        [("lab3-schemes/kernel/user_scheme.c",
          "\twhile (us->inflight) {\n\t\tstruct request *r = us->inflight;\n"
          "\t\tus->inflight = r->next;\n\t\tcomplete(r, -EIO);\n\t}\n", "")],
        "test_daemon_death",
        r"user test daemondeath failed: daemondeath: FAIL \S*daemondeath\.c:\d+: "
        r"open\(NAME \":/x\", O_RDONLY\): still blocked after \d+ ms"),
}

# Lab 4.
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


MISTAKES_BY_LAB = {1: LAB1_MISTAKES, 2: LAB2_MISTAKES, 3: LAB3_MISTAKES, 4: MISTAKES}
CASES = [(lab, name) for lab, table in MISTAKES_BY_LAB.items() for name in sorted(table)]


def lab_dir(lab):
    return next(ROOT.glob(f"lab{lab}-*")).name


def grader_file(tree, lab, test):
    """The grader file of lab `lab` in tree that defines test."""
    for path in sorted((tree / "grader").glob(f"test_lab{lab}*.py")):
        if f"def {test}(" in path.read_text(encoding="utf-8"):
            return path.relative_to(tree)
    pytest.fail(f"no grader/test_lab{lab}*.py defines {test}", pytrace=False)


def headline(out):
    """The first failure's message in pytest's output, up to the serial
    tail: its headline and the details under it."""
    m = re.search(r"^_{3,} test_\w+ _{3,}\n(.*?)^--- ", out, re.M | re.S)
    return m.group(1) if m else ""


def put_mistake(built_copy, lab, name, edits):
    """A copy of the tree with lab built, the mistake put in and the kernel
    and boot modules rebuilt."""
    tree_copy = built_copy(lab_dir(lab))
    for path, old, new in edits:
        src = tree_copy / path
        text = src.read_text(encoding="utf-8")
        if text.count(old) != 1:
            if f"BEGIN LAB{lab}" " SOLUTION" not in text:  # split: not a marker itself
                pytest.skip("the mistakes target the reference solution (a student tree?)")
            pytest.fail(f"mistake {name}: {old!r} is not in {path} exactly once; "
                        f"update the lab {lab} table", pytrace=False)
        src.write_text(text.replace(old, new), encoding="utf-8")

    # What the grader boots (direct boot): the ISO stays the copied
    # solution's, which this test never boots (were it booted, the
    # solution would pass and this test fail, never the other way).
    build = f"{tree_copy}/build/lab{lab}"
    r = make(f"-j2 -C {lab_dir(lab)} {build}/kernel.elf {build}/modules.img",
             cwd=tree_copy, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:]
    return tree_copy


@pytest.mark.timeout(900)   # the first case of a lab also builds it
@pytest.mark.parametrize("lab,name", CASES)
def test_mistake_headline_is_the_failing_check(built_copy, lab, name):
    """The mistake makes its test fail with the check that caught it as the
    headline, not a TIMEOUT."""
    edits, test, want = MISTAKES_BY_LAB[lab][name]
    tree_copy = put_mistake(built_copy, lab, name, edits)
    # The one file that holds the test: pytest imports no other test file.
    r = sh(f"{shlex.quote(sys.executable)} -m pytest {grader_file(tree_copy, lab, test)} "
           f"--lab {lab} -n 0 -p no:cacheprovider -k {test}", cwd=tree_copy, timeout=300)
    out = r.stdout
    assert r.returncode == 1, out[-4000:]
    # No wait limit ended it (the grader says TIMEOUT when one does); host
    # speed is not checked, so a loaded CI machine cannot fail this test.
    assert "TIMEOUT" not in out, out[-4000:]
    got = headline(out)
    assert re.match(want, got), f"headline /{want}/ is not:\n{got}\n\n{out[-4000:]}"
    # The docstring follows the message (grader/README.md).
    assert "--- what this test checks ---" in out, out[-4000:]


# Mistakes that hang the kernel: no check in the guest can run, so the
# grader's wait ends in a TIMEOUT (after 60 s in the grade), and what helps
# is its report of where the CPU is (ochre/cpustate.py). Each boots the
# program the affected test runs, waits for the line before the hang, then
# a short while (HANG_WAIT s), and checks the report's first line.
# name -> ([(file, text to replace, replacement), ...], lab, init program,
#          line before the hang, regex the CPU report's first line must match)
HANG_WAIT = 2
HANG_MISTAKES = {
    # Lab 2, HANDOUT.md §10: a woken sleeper left on `sleepers` (here: the
    # first one, the one sched_tick wakes). The tick finds it due again,
    # wakes it again, forever, in the timer interrupt: every test that
    # sleeps hangs.
    "woken_sleeper_left_on_sleepers": (
        [("lab2-contexts/kernel/sched.c", "\tif (c->wake_at)\n\t\tsleepers_remove(c);\n",
          "\tif (c->wake_at && c != sleepers)\n\t\tsleepers_remove(c);\n")],
        2, "sleeptest", r"^memory: ",
        r"The CPU is spinning in (sched_tick|wakeup_one) \(lab2-contexts/kernel/sched\.c:\d+\)"
        r"(, called from .*,)? with interrupts off: a loop that never ends"),
    # Lab 2, HANDOUT.md §10 (a missing wakeup): do_exit that does not
    # wake its parent. A parent that sleeps in waitpid before its child
    # exits sleeps forever, and soon every context is blocked.
    "exit_without_waking_parent": (
        [("lab2-contexts/kernel/proc.c",
          "\tif (c->parent)\n\t\twakeup(&c->parent->child_exit);\n\tschedule();",
          "\tschedule();")],
        2, "forktree", r"^forktree: start",
        r"The CPU is idle \(hlt in the idle loop, interrupts on\): every context is "
        r"blocked; something was never woken"),
    # Not a mistake: a user program that never ends (preempt's children
    # spin forever), for the report of a CPU in user mode, which reads the
    # kernel's `cur` (ochre/cpustate.py, struct context's layout).
    "user_loop_forever": (
        [("lab2-contexts/user/preempt.c", "\t\tspin(300000);\n", "\t\tfor (;;)\n\t\t\tspin(300000);\n")],
        2, "preempt", r"^preempt: start",
        r"The CPU is in user mode in pid [23] \(preempt\) at rip 0x[0-9a-f]+: the program "
        r"itself is running"),
}


@pytest.mark.timeout(900)   # the first case of a lab also builds it
@pytest.mark.parametrize("name", sorted(HANG_MISTAKES))
def test_hang_timeout_says_where_the_cpu_is(built_copy, tmp_path, name):
    """A mistake that hangs the kernel ends in a TIMEOUT that says where
    the CPU is and what that means."""
    edits, lab, prog, before, want = HANG_MISTAKES[name]
    tree_copy = put_mistake(built_copy, lab, name, edits)
    build = tree_copy / "build" / f"lab{lab}"
    kernel = str(build / "kernel.elf")
    args = tree.read_qemu_args(str(tree_copy), kernel=kernel, modules=str(build / "modules.img"))
    qmp = str(tmp_path / "qmp")
    symbols = Symbols.load(str(build / "kernel.sym"))

    def where(machine):
        return cpustate.describe(qmp, symbols, kernel, str(tree_copy))

    m = Machine(tree.qemu_argv(args, f"init={prog}", qmp=qmp), log_path=str(tmp_path / "log"),
                explain_timeout=where, symbols=symbols, default_timeout=30)
    with m.start():
        m.expect(before)
        with pytest.raises(GradeFailure) as failure:
            m.expect(rf"^{prog}: OK$", timeout=HANG_WAIT)
    message = str(failure.value)
    assert message.startswith(f"TIMEOUT after {HANG_WAIT}s"), message
    assert re.search(r"\n\n" + want, message), message

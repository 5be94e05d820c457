"""Lab 6 (ptrace), the tracer's side: libc's <ptrace.h>, and strace run
from the shell.

The strace tests boot the default system (init, ramfs:, the shell) and
type an strace command line at the prompt, exactly as you would; then they
read strace's lines ("[pid N] name(args) = ret") back from the serial
output. strace's source is lab6-ptrace/user/strace.c; the programs it
traces are lab6-ptrace/user/straceme.c and straceforks.c. To watch one
yourself:
    make -C lab6-ptrace qemu
    $ strace straceme
"""

import re

import pytest

pytestmark = pytest.mark.lab(6)

LINE = re.compile(r"^\[pid (\d+)\] (.*)$")


def run(ochre, command, timeout=90):
    """Boots the shell, runs `command`, returns (machine, exit status,
    [(pid, text)] of strace's lines, all output of the command)."""
    m = ochre.boot("", timeout=timeout)
    m.expect(r"\$ $")
    m.sendline(f"{command}; echo strace-done $?")
    status = int(m.expect(r"^strace-done (\d+)$", partial=False).group(1))
    out = m.before
    lines = []
    for raw in out.splitlines():
        match = LINE.match(raw.strip("\r"))
        if match:
            lines.append((int(match.group(1)), match.group(2)))
    return m, status, lines, out


def no_trace(m, command, out):
    """The headline when strace printed no call at all."""
    hint = ""
    if "-f is not implemented" in out:
        hint = "strace's -f part is yours: HANDOUT.md §7 (follow_clone, trace_many)"
    elif "cannot trace" in out:
        hint = ("strace could not attach (proc:/<pid>/trace); "
                "the kernel part comes first: HANDOUT.md §1, §2, §4")
    m.fail(f"`{command}` printed no `[pid N] name(args) = ret` line. {hint}",
           out.strip()[-1500:])


def find(lines, pid, pattern):
    """Index of the first line of pid matching the regex, or None."""
    rx = re.compile(pattern)
    for i, (p, text) in enumerate(lines):
        if p == pid and rx.search(text):
            return i
    return None


def require(m, lines, pid, pattern, what, out):
    i = find(lines, pid, pattern)
    if i is None:
        shown = "\n".join(f"[pid {p}] {t}" for p, t in lines if p == pid)
        m.fail(f"expected {what} from pid {pid}: a line matching /{pattern}/; "
               f"pid {pid}'s lines were:", shown or "(none)")
    return i


@pytest.mark.points(2)
def test_ptrace_libc(ochre):
    """libc's <ptrace.h> wrappers (given code) on your kernel: a child traced
    from its first getpid to its exit with them alone (the O_TRUNC stop,
    PRE, regs/int and regs/float, mem peek, peekstr and poke, EXIT, ESRCH
    after the end), each misuse giving -1 and the errno HANDOUT.md §8
    lists. The program is lab6-ptrace/user/ptlibc.c."""
    ochre.user("ptlibc")


@pytest.mark.points(3)
def test_strace_simple(ochre):
    """`strace straceme` shows each system call with its decoded name and
    arguments (the string of a write, read through proc:/<pid>/mem; pipe2's
    fds and flags), its result, errors as `-1 ENOENT` / `-1 EBADF` /
    `-1 EINVAL`, the exit call (`= ?`) and
    `+++ exited with 3 +++`; strace itself exits with its program's
    status."""
    command = "strace straceme"
    m, status, lines, out = run(ochre, command)
    if not lines:
        no_trace(m, command, out)
    pids = {p for p, _ in lines}
    if len(pids) != 1:
        m.fail(f"without -f strace traces one process, but lines came from pids "
               f"{sorted(pids)}", out.strip()[-1500:])
    pid = pids.pop()
    steps = [
        (r'^write\(1, "hello from straceme\\n", 20\) = 20$',
         "the write, its string decoded and its result"),
        (r'^open\("initfs:/nosuch", O_RDONLY\) = -1 ENOENT\b',
         "the failed open with its path and -1 ENOENT"),
        (r"^close\(42\) = -1 EBADF\b", "close(42) failing with -1 EBADF"),
        (r"^pipe2\(\[\d+, \d+\], O_CLOEXEC\) = 0$",
         "pipe2(p, O_CLOEXEC): the fds it made and its flags by name"),
        (r"^pipe2\(0x[0-9a-f]+, O_CLOFORK\|0x800\) = -1 EINVAL\b",
         "pipe2 with O_NONBLOCK failing with -1 EINVAL, the unknown bit in hex"),
        (rf"^getpid\(\) = {pid}$", f"getpid() returning the tracee's own pid {pid}"),
        (r"^exit\(3\) = \?$", "the exit call, which never returns (= ?)"),
        (r"^\+\+\+ exited with 3 \+\+\+$", "the exit line"),
    ]
    last = -1
    for pattern, what in steps:
        i = require(m, lines, pid, pattern, what, out)
        if i < last:
            m.fail(f"{what} came before an earlier call of the program:",
                   "\n".join(t for _, t in lines))
        last = i
    if "hello from straceme" not in out:
        m.fail("the traced program's own output (hello from straceme) is missing")
    if status != 3:
        m.fail(f"strace exited with {status}; expected its program's status 3")


@pytest.mark.points(4)
def test_strace_follow_fork(ochre):
    """`strace -f straceforks`: the parent's lines, a clone line naming the
    child, then the child's own calls (getpid returns the child's pid), its
    exit(7) and `+++ exited with 7 +++`; the parent's waitpid returns the
    child's pid and the parent exits with 0. Without the -f part
    (follow_clone, trace_many) only one pid appears."""
    command = "strace -f straceforks"
    m, status, lines, out = run(ochre, command)
    if not lines:
        no_trace(m, command, out)
    said = re.search(r"^straceforks: child (\d+) exited with (\d+)", out, re.M)
    if not said:
        m.fail("straceforks did not finish (no `straceforks: child N exited "
               "with 7` line): is the child released after the clone event?",
               out.strip()[-1500:])
    child = int(said.group(1))
    if said.group(2) != "7":
        m.fail(f"straceforks saw its child exit with {said.group(2)}, expected 7")
    parent = lines[0][0]
    if child == parent:
        m.fail(f"the first traced pid {parent} is the child's?", out.strip()[-1500:])
    clone = require(m, lines, parent, rf"^--- clone: child {child} ---$",
                    f"the clone event naming the child {child}", out)
    first_child = find(lines, child, r".")
    if first_child is None:
        m.fail(f"strace -f printed nothing for the child pid {child}: it did not "
               f"follow the clone (HANDOUT.md §7)", "\n".join(f"[pid {p}] {t}" for p, t in lines))
    if first_child < clone:
        m.fail(f"pid {child} has a line before the clone event that created it")
    require(m, lines, child, rf"^getpid\(\) = {child}$",
            f"getpid() = {child} in the child", out)
    i = require(m, lines, child, r"^exit\(7\) = \?$", "exit(7) in the child", out)
    j = require(m, lines, child, r"^\+\+\+ exited with 7 \+\+\+$",
                "the child's exit line", out)
    if j < i:
        m.fail("the child's exit line came before its exit call")
    require(m, lines, parent, rf"^waitpid\({child}, .*\) = {child}$",
            f"the parent's waitpid returning {child}", out)
    require(m, lines, parent, r"^\+\+\+ exited with 0 \+\+\+$",
            "the parent's exit line", out)
    if status != 0:
        m.fail(f"strace -f exited with {status}; expected straceforks' status 0")


@pytest.mark.points(3)
def test_strace_shell_pipeline(ochre):
    """The finished system: `strace -f sh -c 'echo hi | cat'` traces the
    shell and both programs of its pipeline. hi is printed; sh's two clone
    lines name the children; each child execs (`--- exec`), echo's pid
    writes "hi\\n", cat's pid reads it, and all three exit with 0."""
    command = "strace -f sh -c 'echo hi | cat'"
    m, status, lines, out = run(ochre, command, timeout=120)
    if not lines:
        no_trace(m, command, out)
    if not re.search(r"^hi\r?$", out, re.M):
        m.fail("the pipeline's output `hi` is missing", out.strip()[-1500:])
    sh = lines[0][0]
    children = [int(x.group(1)) for p, t in lines if p == sh
                for x in [re.match(r"^--- clone: child (\d+) ---$", t)] if x]
    if len(children) != 2:
        m.fail(f"expected two clone lines from sh (pid {sh}), one per program of "
               f"the pipeline; got children {children}",
               "\n".join(f"[pid {p}] {t}" for p, t in lines if p == sh))
    writer = [c for c in children
              if find(lines, c, r'^write\(1, "hi\\n", 3\) = 3$') is not None]
    reader = [c for c in children
              if find(lines, c, r'^read\(0, "hi\\n", \d+\) = 3$') is not None]
    if not writer:
        m.fail(f"no child of sh ({children}) shows write(1, \"hi\\n\", 3) = 3 (echo)",
               "\n".join(f"[pid {p}] {t}" for p, t in lines if p in children))
    if not reader:
        m.fail(f"no child of sh ({children}) shows read(0, \"hi\\n\", N) = 3 (cat)",
               "\n".join(f"[pid {p}] {t}" for p, t in lines if p in children))
    for pid in children + [sh]:
        if pid != sh:
            require(m, lines, pid, r"^--- exec", "an exec event", out)
        require(m, lines, pid, r"^\+\+\+ exited with 0 \+\+\+$", "an exit line", out)
    if status != 0:
        m.fail(f"strace -f sh -c ... exited with {status}; expected 0")

"""Every handout names only what the code has: functions and macros with
the number of arguments the handout shows, C names, files, and the tests
of its test table with their points (grader/handout_names.py).
Maintainer test, worth no points.

Drift in a handout that another change is rewriting may be listed in
handout_names_expected.txt (without line numbers); an entry that no
longer occurs fails the test, so the list only shrinks.
"""

import re
import sys

from conftest import HOST, ROOT, sh

sys.path.insert(0, str(ROOT / "grader"))
import handout_names  # noqa: E402

EXPECTED = HOST / "handout_names_expected.txt"


def without_line(problem):
    return re.sub(r"^([^:]+):\d+: ", r"\1: ", problem)


def expected():
    return {line.strip() for line in EXPECTED.read_text().splitlines()
            if line.strip() and not line.startswith("#")}


def test_handouts_name_what_the_code_has():
    """`python3 grader/handout_names.py`, as a maintainer types it, finds
    nothing beyond the listed drift, and all the listed drift is still there."""
    r = sh("python3 grader/handout_names.py", timeout=120)
    lines = r.stdout.splitlines()
    problems = [p for p in lines if re.match(r"^lab[^:]+\.md:\d+: ", p)]
    assert r.returncode == (1 if problems else 0), r.stdout
    new = [p for p in problems if without_line(p) not in expected()]
    assert not new, ("a handout names what the code does not have:\n  " +
                     "\n  ".join(new))
    found = {without_line(p) for p in problems}
    stale = sorted(expected() - found)
    assert not stale, (f"fixed, so remove from {EXPECTED.name}:\n  " +
                       "\n  ".join(stale))


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_checker_finds_each_kind_of_drift(tmp_path):
    """The checker is not vacuous: on a small tree it reports a wrong
    argument count, an unknown name, a missing file, a test the grader
    lacks or scores differently, and nothing else."""
    write(tmp_path / "common/kernel/types.h",
          "#define ALIGN_UP(x, a) ((x) + (a))\n#define O_RDWR 2\n")
    write(tmp_path / "lab9-demo/kernel/demo.c",
          "ssize_t fpath(int fd, char *buf, size_t len)\n{\n\treturn 0;\n}\n"
          "int open(const char *path, int flags, ...);\n"
          "static void idle(void)\n{\n}\n")
    handout = tmp_path / "lab9-demo/HANDOUT.md"
    write(handout,
          "<!-- names from elsewhere: PTRACE_SEIZE -->\n"
          "Call `fpath(fd, buf, sizeof buf)`, then `open(\"x:/a, b\", O_RDWR, 0)`\n"
          "and `idle()`, in `kernel/demo.c`; Linux has `PTRACE_SEIZE`.\n\n"
          "Wrong: `ALIGN_UP(x)`, `fpath(fd)`, `no_such_fn(1)`, `NO_SUCH`,\n"
          "`kernel/gone.c`, `<ochre/gone.h>`.\n\n"
          "```c\nint n = idle(1);\n```\n\n"
          "| test | points |\n|---|---|\n| `boots` | 2 |\n| `halts` | 3 |\n"
          "| `gone` | 1 |\n")
    write(tmp_path / "grader/test_lab9.py",
          "@pytest.mark.points(2)\ndef test_boots(ochre):\n    pass\n\n"
          "@pytest.mark.points(4)\ndef test_halts(ochre):\n    pass\n")
    src = handout_names.Sources(tmp_path)
    got = handout_names.check_handout(handout, src)
    want = [
        "`ALIGN_UP(x)` shows 1 argument; the code's ALIGN_UP takes 2",
        "`fpath(fd)` shows 1 argument; the code's fpath takes 3",
        "`no_such_fn` is not in the sources",
        "`NO_SUCH` is not in the sources",
        "no file `kernel/gone.c`",
        "no file `ochre/gone.h`",
        "`idle(1)` shows 1 argument; the code's idle takes 0",
        "test `halts` is worth 4 points, not 3",
        "test `gone` is not in grader/test_lab9*.py",
    ]
    for w in want:
        assert any(g.endswith(w) for g in got), f"not reported: {w}\ngot: {got}"
    assert len(got) == len(want), f"reported more than the mistakes: {got}"
    assert all(g.startswith("lab9-demo/HANDOUT.md:") for g in got), got

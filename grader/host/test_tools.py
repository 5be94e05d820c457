"""Host tests of the handout stripper (common/tools/handout.c) and of
grader/handout.py's `make`, built with AddressSanitizer and UBSan."""

import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, "common", "tools", "handout.c")
HANDOUT_PY = os.path.join(REPO, "grader", "handout.py")

# The stripper's marker words are assembled at run time so that this file
# never contains a marker line itself (it is copied into handouts too).
B, E, S = "BEGIN", "END", "STARTER:"


@pytest.fixture(scope="session")
def stripper(tmp_path_factory):
    exe = str(tmp_path_factory.mktemp("handout") / "handout")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-o", exe, SOURCE], check=True)
    return exe


def run(stripper, data, *args):
    """Run the stripper on data (bytes or str) through stdin/stdout."""
    if isinstance(data, str):
        data = data.encode()
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")
    return subprocess.run([stripper, *args, "-", "-"], input=data, capture_output=True,
                          env=env)


def strip(stripper, text, *args):
    r = run(stripper, text, *args)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stderr == b"" or b"stripped=" in r.stderr
    return r.stdout.decode()


def error(stripper, text, *args):
    r = run(stripper, text, *args)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == b""
    return r.stderr.decode()


C_SOURCE = f"""\
int frame_alloc(void)
{{
\t/* {B} LAB1 SOLUTION: §3 frame_alloc */
\tint x = pop();
\treturn x;
\t/* {E} LAB1 SOLUTION */
\t/* {S} return -ENOSYS; */
}}
"""


def test_c_region_is_replaced(stripper):
    assert strip(stripper, C_SOURCE) == (
        "int frame_alloc(void)\n{\n"
        "\t/* LAB1: your code here — HANDOUT.md §3 frame_alloc */\n"
        "\treturn -ENOSYS;\n}\n")


def test_keep_solved_keeps_earlier_labs(stripper):
    # Lab 1 < 2: solution kept, markers dropped, STARTER stays a comment.
    assert strip(stripper, C_SOURCE, "--keep-solved", "2") == (
        "int frame_alloc(void)\n{\n"
        "\tint x = pop();\n\treturn x;\n"
        f"\t/* {S} return -ENOSYS; */\n}}\n")
    # Lab 1 >= 1: stripped.
    assert "your code here" in strip(stripper, C_SOURCE, "--keep-solved", "1")


def test_asm_style_and_several_starter_lines(stripper):
    src = (f"ctx_switch:\n    ; {B} LAB2 SOLUTION: §2 switch\n    mov rsp, rdi\n"
           f"    ; {E} LAB2 SOLUTION\n    ; {S} xor eax, eax\n    ; {S} ret\nnext:\n")
    assert strip(stripper, src) == (
        "ctx_switch:\n    ; LAB2: your code here — HANDOUT.md §2 switch\n"
        "    xor eax, eax\n    ret\nnext:\n")


def test_line_comment_style_without_note(stripper):
    src = f"  // {B} LAB3 SOLUTION\n  f();\n  // {E} LAB3 SOLUTION\n"
    assert strip(stripper, src) == "  // LAB3: your code here — HANDOUT.md\n"


def test_mixed_labs(stripper):
    src = (f"/* {B} LAB1 SOLUTION */\none\n/* {E} LAB1 SOLUTION */\n"
           f"/* {B} LAB2 SOLUTION */\ntwo\n/* {E} LAB2 SOLUTION */\n")
    r = run(stripper, src, "--keep-solved", "2", "--stats")
    assert r.returncode == 0
    assert r.stdout.decode() == "one\n/* LAB2: your code here — HANDOUT.md */\n"
    assert r.stderr.decode() == "LAB1 stripped=0 kept=1\nLAB2 stripped=1 kept=0\n"


def test_crlf_is_kept(stripper):
    src = f"a\r\n/* {B} LAB1 SOLUTION */\r\nx\r\n/* {E} LAB1 SOLUTION */\r\n/* {S} y; */\r\n"
    assert strip(stripper, src) == "a\r\n/* LAB1: your code here — HANDOUT.md */\r\ny;\r\n"


def test_files_without_markers_are_copied_byte_for_byte(stripper):
    data = bytes(range(256)) * 3 + b"\n/* BEGIN something else */\nno newline at end"
    r = run(stripper, data)
    assert r.returncode == 0 and r.stdout == data
    # The stripper's own source has no markers.
    with open(SOURCE, "rb") as f:
        own = f.read()
    assert run(stripper, own).stdout == own


def test_empty_input(stripper):
    assert strip(stripper, "") == ""


@pytest.mark.parametrize("text, message", [
    (f"/* {B} LAB1 SOLUTION */\n/* {B} LAB1 SOLUTION */\n/* {E} LAB1 SOLUTION */\n",
     f"<stdin>:2: error: {B} LAB1 SOLUTION inside the LAB1 region opened at line 1"),
    (f"x\n/* {E} LAB1 SOLUTION */\n", f"<stdin>:2: error: {E} LAB1 SOLUTION without"),
    (f"/* {B} LAB1 SOLUTION */\n/* {E} LAB2 SOLUTION */\n",
     f"<stdin>:2: error: {E} LAB2 SOLUTION closes the LAB1 region opened at line 1"),
    (f"a\n/* {B} LAB1 SOLUTION */\nb\n", "<stdin>:2: error: LAB1 solution region opened here "
     "is never closed"),
    (f"x;\n/* {S} y; */\n", "<stdin>:2: error: STARTER line must directly follow"),
    (f"/* {B} LAB1 SOLUTION */\n/* {S} y; */\n/* {E} LAB1 SOLUTION */\n",
     "<stdin>:2: error: STARTER line inside"),
    (f"/* {B} LAB1 SOLUTON */\n", "<stdin>:1: error: malformed marker"),
    (f"/* {B} LAB1 SOLUTION extra */\n", "<stdin>:1: error: malformed marker"),
    (f"/* {E} LAB1 SOLUTION: x */\n", "<stdin>:1: error: malformed marker"),
    (f"/* {B} LAB1 SOLUTION\n", "<stdin>:1: error: marker comment must open and close"),
    (f"x = 1; /* {B} LAB1 SOLUTION */\n", "<stdin>:1: error: a solution marker must be alone"),
])
def test_marker_errors(stripper, text, message):
    assert message in error(stripper, text)


def test_error_names_the_file_and_writes_nothing(stripper, tmp_path):
    src = tmp_path / "bad.c"
    dst = tmp_path / "out.c"
    src.write_text(f"/* {B} LAB1 SOLUTION */\n")
    r = subprocess.run([stripper, str(src), str(dst)], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith(f"{src}:1: error:")
    assert not dst.exists()


@pytest.mark.parametrize("args", [[], ["only-one"], ["--keep-solved"], ["--keep-solved", "x", "a", "b"],
                                  ["--keep-solved", "0", "a", "b"], ["--bogus", "a", "b"],
                                  ["a", "b", "c"]])
def test_usage_errors(stripper, args):
    r = subprocess.run([stripper, *args], capture_output=True, text=True)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_missing_input(stripper, tmp_path):
    r = subprocess.run([stripper, str(tmp_path / "nope"), str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "cannot open" in r.stderr


# ---- handout.py make on a small git repository --------------------------------

def test_handout_make(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    (repo / "common" / "tools").mkdir(parents=True)
    shutil.copy(SOURCE, repo / "common" / "tools" / "handout.c")
    (repo / "lab1-x").mkdir()
    (repo / "lab1-x" / "a.c").write_text(C_SOURCE)
    (repo / "lab1-x" / "notes.md").write_text(C_SOURCE)        # not stripped: not code
    (repo / "lab1-x" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(repo / "lab1-x" / "run.sh", 0o755)
    (repo / ".gitignore").write_text("/build/\nignored.txt\n")
    (repo / "ignored.txt").write_text("secret\n")
    (repo / ".ci").mkdir()
    (repo / ".ci" / "run").write_text("ci\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "lab1-x/a.c"], check=True)
    # lab1-x/notes.md etc. stay untracked (but not ignored): still copied.

    dest = tmp_path / "out"
    r = subprocess.run([sys.executable, HANDOUT_PY, "make", str(dest), "--repo", str(repo)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "lab 1: 1 region(s) stripped, 0 kept solved" in r.stdout
    assert "your code here" in (dest / "lab1-x" / "a.c").read_text()
    assert (dest / "lab1-x" / "notes.md").read_text() == C_SOURCE
    assert os.access(dest / "lab1-x" / "run.sh", os.X_OK)
    assert not (dest / "ignored.txt").exists()
    assert not (dest / ".ci").exists()
    assert not (dest / "build").exists()

    # A non-empty destination is refused without --force.
    r = subprocess.run([sys.executable, HANDOUT_PY, "make", str(dest), "--repo", str(repo)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "--force" in r.stderr

    # A marker error fails the whole handout.
    (repo / "lab1-x" / "bad.c").write_text(f"/* {B} LAB1 SOLUTION */\n")
    r = subprocess.run([sys.executable, HANDOUT_PY, "make", str(dest), "--force",
                        "--repo", str(repo)], capture_output=True, text=True)
    assert r.returncode != 0 and "bad.c:1: error:" in r.stderr


# ---- the starter's scaffolding is the stripper's job -------------------------

def test_mark_unused_marks_only_what_the_strip_left_unused():
    """handout.py marks a static function or variable unused exactly when
    no code (comments do not count) uses it any more."""
    sys.path.insert(0, os.path.join(REPO, "grader"))
    import handout
    text = ("static int helper(int x)\n{\n\treturn x;\n}\n"
            "static void lonely(int a,\n\t\tint b)\n{\n}\n"
            "static struct c *head, *tail;\t/* lonely's list */\n"
            "static long count = 0;\n"
            "static inline int quick(void) { return 0; }\n"
            "int f(void) { return helper(1) + (int)count; }\n"
            "static int prototype(void);\n")
    out = handout.mark_unused(text)
    marked = [line.split("(")[0] for line in out.splitlines() if handout.UNUSED in line]
    assert marked == ["static __attribute__", "static __attribute__"], out
    assert f"static {handout.UNUSED}void lonely(int a," in out
    assert f"static {handout.UNUSED}struct c *head, *tail;" in out
    assert handout.mark_unused(out) == out


def test_solution_has_no_scaffolding_attributes(stripper, tmp_path):
    """No unused attribute in the solution tree that the handout stripper
    would add by itself (grader/handout.py mark_unused): the starter's
    scaffolding is the stripper's job. (An attribute it cannot add, e.g.
    when a parameter elsewhere in the file shares the name, may stay.)"""
    sys.path.insert(0, os.path.join(REPO, "grader"))
    import handout
    pattern = r"^static (__unused |__attribute__\(\(unused\)\) )"
    r = subprocess.run(["git", "-C", REPO, "grep", "-l", "-E", pattern, "--", "*.c"],
                       capture_output=True, text=True)
    redundant = []
    for path in r.stdout.split():
        text = open(os.path.join(REPO, path), encoding="utf-8").read()
        bare = re.sub(pattern, "static ", text, flags=re.M)
        src, dst = tmp_path / "in.c", tmp_path / "out.c"
        src.write_text(bare, encoding="utf-8")
        subprocess.run([stripper, str(src), str(dst)], check=True, capture_output=True)
        stripped = handout.mark_unused(dst.read_text(encoding="utf-8"))
        for m in re.finditer(pattern + r"(.*)$", text, re.M):
            if f"static {handout.UNUSED}{m.group(2)}" in stripped:
                redundant.append(f"{path}: {m.group(0)}")
    assert not redundant, "scaffolding the stripper adds anyway:\n" + "\n".join(redundant)


def test_deps_module_check_tells_present_from_missing():
    """common/mk/deps.sh's module check (find_spec, cheaper than importing
    pytest on every make) finds what is installed and misses what is not."""
    deps = os.path.join(REPO, "common", "mk", "deps.sh")
    define = next(line for line in open(deps, encoding="utf-8") if line.startswith("module()"))
    def check(name):
        return subprocess.run(["sh", "-c", f"{define}\nmodule {name}"]).returncode
    assert check("pytest") == 0
    assert check("ochre_no_such_module") != 0

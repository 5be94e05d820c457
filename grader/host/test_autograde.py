"""The course's grading path: `make handout LAB=N`, `make submit`,
grader/autograde.py on good and bad submissions, hidden tests, and the
Gradescope zip, with every results.json checked against the JSON Schema
written from Gradescope's specification (grader/gradescope/results.schema.json).

Lab 1 is graded throughout: it is the fastest. Grades use --only where the
point is one behaviour (a panic, a flood), so the whole file costs about a
minute of one core.
"""

import contextlib
import fcntl
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT, seed_build, sh

GRADER = ROOT / "grader"
sys.path.insert(0, str(GRADER))
import autograde as autograde_py  # noqa: E402
import handout     # noqa: E402
import submission  # noqa: E402

PY = shlex.quote(sys.executable)
SCHEMA = GRADER / "gradescope" / "results.schema.json"
LAB1_FILES = ["lab1-paging/kernel/frame.c", "lab1-paging/kernel/heap.c",
              "lab1-paging/kernel/mapper.c", "lab1-paging/kernel/pagefault.c"]
# Lab 1 has written questions (QUESTIONS.md): the answers are handed in too.
ANSWERS = "lab1-paging/answers-lab1.txt"
HIDDEN = GRADER / "hidden-example"
HIDDEN_TESTS = {"test_hidden_frames_interleave": "hidden",
                "test_hidden_heap_sizes": "after_due_date",
                "test_hidden_boot_memory": "after_due_date"}
# Tests that grade a submission (a build and some boots): pytest.ini's
# 120 s per test is meant for one boot, and a loaded machine is slow.
GRADES = pytest.mark.timeout(600)
# The lab 1 points of the public tests and of the example's hidden tests.
LAB1_POINTS = 42
HIDDEN_POINTS = 4


def validate(results):
    """results.json against the schema, plus what Ochre always writes."""
    import jsonschema
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(results)
    assert results["visibility"] and results["stdout_visibility"]
    for t in results["tests"]:
        assert t["visibility"] in ("visible", "after_due_date", "after_published", "hidden"), t


def autograde(sub, out, *args, hidden_env=None):
    """grader/autograde.py as the batch grader and run_autograder call it;
    hidden_env: the hidden tests given as OCHRE_HIDDEN."""
    cmd = [str(GRADER / "autograde.py"), "--lab", "1", str(sub),
           "--out", str(out), "-j", "1", *map(str, args)]
    env = {k: v for k, v in os.environ.items() if k != "OCHRE_HIDDEN"}
    if hidden_env:
        env["OCHRE_HIDDEN"] = str(hidden_env)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    path = out / "results.json"
    assert r.returncode == 0, f"{shlex.join(cmd)}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    validate(results)
    return results


def by_name(results):
    return {t["name"].split(": ", 1)[-1]: t for t in results["tests"]}


def solution(path):
    with open(ROOT / path, "rb") as f:
        return f.read()


def tar_with(path, members):
    """A .tar.gz of members: (name, bytes) or (name, ("symlink", target))."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def git_status():
    return subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                          capture_output=True, text=True).stdout


@contextlib.contextmanager
def made(cmd):
    """Run a `make handout ...` command as typed, holding the lock of the
    repository's build/ (other tests make handouts there too) while the
    caller looks at the tree."""
    os.makedirs(ROOT / "build", exist_ok=True)
    with open(ROOT / "build" / ".host-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = sh(cmd)
        assert r.returncode == 0, r.stdout
        yield r


@pytest.fixture(scope="module")
def lab1_tree(tmp_path_factory):
    """`make handout LAB=1` as typed, copied out of build/ (other tests may
    remake it), with `make submit` run in it as typed. Its lab 1 build
    starts from this repository's (conftest.seed_build, as handout-check's
    does): a `make` in it compiles only the files the handout stripped."""
    dest = tmp_path_factory.mktemp("student") / "ochre"
    with made("make handout LAB=1"):
        shutil.copytree(ROOT / "build" / "handout-lab1", dest, symlinks=True)
    seed_build(dest, 1)
    r = sh("make submit", cwd=dest)
    assert r.returncode == 0, r.stdout
    assert "submit-lab1.tar.gz" in r.stdout
    return dest


@pytest.fixture(scope="session")
def seed(_built_bases):
    """Lab 1's course tree built once (autograde's make_seed), for --seed:
    the grades whose point is not the build from nothing start from it, as
    grader/batch's do. Made once per run, also with pytest -n (the workers
    share it through a lock in their common temporary directory)."""
    dest = _built_bases / "autograde-seed"
    with open(_built_bases / "autograde-seed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / "seed.json").exists():
            assert autograde_py.make_seed(1, str(dest)), (dest / "build.log").read_text()
    return dest


# ---- handouts and submit ---------------------------------------------------------

def test_handout_of_one_lab(tmp_path):
    """`make handout LAB=2`: lab 1 solved, lab 2 stripped, later labs absent
    (directories and grader tests), SUBMIT.txt lists lab 2's files; no
    hidden or instructor-only file."""
    tree = tmp_path / "lab2"
    with made("make handout LAB=2") as r:
        assert "build/handout-lab2" in r.stdout
        shutil.copytree(ROOT / "build" / "handout-lab2", tree, symlinks=True)
    names = {p.name for p in tree.iterdir()}
    assert {"lab1-paging", "lab2-contexts"} <= names
    assert not [n for n in names if n.startswith(("lab3", "lab4", "lab5", "lab6"))]
    assert not list((tree / "grader").glob("test_lab[3-6]*.py"))
    assert not list((tree / "grader" / "host").glob("test_lab[3-6]*.py"))
    begin = "BEGIN LAB" "1 SOLUTION"
    frame = (tree / "lab1-paging" / "kernel" / "frame.c").read_text()
    assert begin not in frame and "your code here" not in frame     # solved
    sched = (tree / "lab2-contexts" / "kernel" / "sched.c").read_text()
    assert "LAB2: your code here" in sched                            # stripped
    listed = (tree / "lab2-contexts" / "SUBMIT.txt").read_text().split("\n")
    assert "lab2-contexts/kernel/sched.c" in listed
    assert handout.editable_files(2, str(tree)) == handout.editable_files(2)
    for p in handout.INSTRUCTOR_ONLY:
        assert not (tree / p).exists(), p


def test_tree_of_a_lab_made_again_from_a_handout(tmp_path):
    """The Gradescope zip holds lab N's handout, and autograde makes lab N's
    tree from it: a handout is copied as it is (its solved labs keep STARTER
    comments that the stripper would refuse), SUBMIT.txt and all."""
    first, second = tmp_path / "first", tmp_path / "second"
    handout.make_tree(str(first), lab=2, quiet=True)
    assert handout.is_handout(str(first)) and not handout.is_handout(str(ROOT))
    handout.make_tree(str(second), lab=2, repo=str(first), quiet=True)
    one = sorted(str(p.relative_to(first)) for p in first.rglob("*"))
    two = sorted(str(p.relative_to(second)) for p in second.rglob("*"))
    assert one == two
    for rel in one:
        a, b = first / rel, second / rel
        if a.is_file() and not a.is_symlink():
            assert a.read_bytes() == b.read_bytes(), rel
    assert handout.editable_files(2, str(second)) == handout.editable_files(2)


def test_hidden_tests_never_in_a_handout():
    """No handout contains the hidden tests: not the directory, not a file
    that names one of them (the trees `make handout` and `make handout
    LAB=1` write)."""
    for cmd, dest in (("make handout", "handout"), ("make handout LAB=1", "handout-lab1")):
        with made(cmd):
            leaked = leaks(ROOT / "build" / dest)
        assert not leaked, f"{cmd} ships hidden tests: {leaked}"


def leaks(tree):
    """Files of tree that are, or name, the example's hidden tests."""
    leaked = []
    for top, _, names in os.walk(tree):
        for n in names:
            path = os.path.join(top, n)
            if "hidden-example" in path or os.path.islink(path):
                leaked += [path] if "hidden-example" in path else []
                continue
            with open(path, "rb") as f:
                data = f.read()
            if any(t.encode() in data for t in HIDDEN_TESTS) or \
                    b"hidden_frames_interleave" in data:
                leaked.append(path)
    return leaked


def test_make_submit_as_typed(lab1_tree):
    """`make submit` at the top of a student tree (the fixture) and in the
    lab directory (README's "For students") write submit-lab1.tar.gz at
    the top: the lab's four files, the answers to its questions once they
    exist, and a manifest."""
    with tarfile.open(lab1_tree / "submit-lab1.tar.gz") as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["missing"] == [ANSWERS]
    (lab1_tree / ANSWERS).write_text("1. Because.\n")
    os.unlink(lab1_tree / "submit-lab1.tar.gz")
    r = sh("make submit", cwd=lab1_tree / "lab1-paging")
    assert r.returncode == 0, r.stdout
    with tarfile.open(lab1_tree / "submit-lab1.tar.gz") as tar:
        names = sorted(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    os.unlink(lab1_tree / ANSWERS)
    assert names == sorted(["MANIFEST.json", ANSWERS] + LAB1_FILES)
    assert manifest["lab"] == 1 and manifest["missing"] == []
    assert [f["path"] for f in manifest["files"]] == sorted([ANSWERS] + LAB1_FILES)


# ---- grading ------------------------------------------------------------------------

@GRADES
def test_solution_with_hidden_tests(tmp_path):
    """The solution's files in a zip (under a top directory, as a zipped
    folder is) pass the hidden tests, given by OCHRE_HIDDEN (and the public
    ones chosen: the whole grade of the solution is `make grade-all`'s);
    each test's visibility reaches results.json unchanged."""
    sub = tmp_path / "solution.zip"
    with zipfile.ZipFile(sub, "w") as zf:
        for p in LAB1_FILES:
            zf.writestr("my-ochre/" + p, solution(p))
    results = autograde(sub, tmp_path / "out", "--only",
                        "hidden or frames_basic or seam_provider_missing", hidden_env=HIDDEN)
    tests = by_name(results)
    # Lab 1's tree has no lab 2 to build this foundation test's kernel from:
    # it does not apply (skipped), and it is not shown as a failure.
    seam = tests["test_seam_provider_missing"]
    assert seam["status"] == "passed" and "skipped" in seam["output"], seam
    assert results["score"] == 3 + HIDDEN_POINTS, results["output"]
    for name, vis in HIDDEN_TESTS.items():
        assert tests[name]["visibility"] == vis and tests[name]["status"] == "passed"
    assert tests["test_frames_basic"]["visibility"] == "visible"
    assert results["extra_data"]["taken"] == LAB1_FILES
    assert (tmp_path / "out" / "logs" / "test_frames_basic.log").exists()


@GRADES
def test_starter_cannot_buy_points_by_tampering(tmp_path, lab1_tree):
    """The starter (from `make submit`) plus tampering: a kernel test that
    returns at once (the issue's `return;` in KTEST(frames_basic)), a
    replaced grader test and plugin, paths out of the tree, a symlink in
    place of an editable file, a header (no header is a file to hand in, so a
    submission never changes one). Score 0, every trick listed as ignored, the
    course's tree untouched; the failure output is relative to the tree, has
    no runner noise, and its reproduce command works in the student's tree."""
    before = git_status()
    tests_c = solution("lab1-paging/kernel/paging_tests.c").replace(
        b"KTEST(frames_basic)\n{\n", b"KTEST(frames_basic)\n{\n\treturn;\n", 1)
    assert b"\treturn;\n" in tests_c
    with tarfile.open(lab1_tree / "submit-lab1.tar.gz") as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    escape = "escaped-by-autograde-test.c"
    members += [
        ("lab1-paging/kernel/paging_tests.c", tests_c),
        ("grader/test_lab1.py", b"def test_frames_basic():\n    pass\n"),
        ("grader/ochre/plugin.py", b"raise SystemExit(0)\n"),
        ("common/kernel/frame.h", b"#define frame_alloc() 0\n"),
        ("../" * 12 + escape, b"int x;\n"),
        ("/" + escape, b"int x;\n"),
        ("lab1-paging/kernel/heap.c", ("symlink", "/etc/passwd")),
    ]
    sub = tar_with(tmp_path / "tampered.tar.gz", members)
    results = autograde(sub, tmp_path / "out", "--hidden", HIDDEN,
                        "--only", "frames_basic or hidden")

    assert results["score"] == 0, results["output"]
    ignored = {i["path"]: i["reason"] for i in results["extra_data"]["ignored"]}
    for path in ("lab1-paging/kernel/paging_tests.c", "grader/test_lab1.py",
                 "grader/ochre/plugin.py", "common/kernel/frame.h"):
        assert "course's copy" in ignored[path], ignored
    assert sum("leaves the tree" in r for r in ignored.values()) == 2, ignored
    assert "symbolic link" in ignored["lab1-paging/kernel/heap.c"]
    assert "lab1-paging/kernel/paging_tests.c" in results["output"]
    assert not os.path.exists("/" + escape)
    assert git_status() == before

    text = json.dumps(results)
    assert "/tmp/" not in text and "ochre-autograde" not in text
    assert "[gw" not in text and "linux -- Python" not in text
    out = by_name(results)["test_frames_basic"]["output"]
    assert "full log: build/grade/lab1/test_frames_basic.log" in out
    lines = out.split("\n")
    cmd = lines[lines.index("--- reproduce this boot with ---") + 1]
    assert cmd.startswith("make -C lab1-paging qemu ") and "ktest=frames_basic" in cmd, cmd
    r = sh(cmd, cwd=lab1_tree, timeout=300)
    assert "KTEST frames_basic: FAIL" in r.stdout, r.stdout[-3000:]


@GRADES
def test_submission_that_does_not_build(tmp_path, seed):
    """Score 0, the compiler's error line (path from the tree's top) in a
    'build' entry, and every test of the lab listed as not run. (Built from
    the seed: the submitted file is the one make compiles, and fails.)"""
    frame = solution("lab1-paging/kernel/frame.c") + b"\nint broken = no_such_name;\n"
    sub = tar_with(tmp_path / "broken.tar.gz", [("lab1-paging/kernel/frame.c", frame)])
    results = autograde(sub, tmp_path / "out", "--seed", seed)
    assert compiled_in((tmp_path / "out" / "build.log").read_text()) == LAB1_FILES[:1]
    assert results["score"] == 0
    build = results["tests"][0]
    assert build["name"] == "build: lab1-paging" and build["status"] == "failed"
    assert "lab1-paging/kernel/frame.c:" in build["output"]
    assert "no_such_name" in build["output"] and "error" in build["output"]
    assert sum(t["max_score"] for t in results["tests"]) == LAB1_POINTS
    assert all(t["status"] == "failed" for t in results["tests"][1:] if t["max_score"])
    assert results["extra_data"]["missing"] == sorted(LAB1_FILES[1:] + [ANSWERS])
    assert "/tmp/" not in json.dumps(results)


@GRADES
def test_submission_whose_kernel_panics(tmp_path, seed):
    """A frame allocator that panics: the tests fail with the panic as the
    headline; results.json is complete. Two tests (--only) show it, built
    from the seed: the rest of the grade would only repeat it."""
    frame = solution("lab1-paging/kernel/frame.c").replace(
        b"void frame_init(void)\n{\n",
        b"void frame_init(void)\n{\n\tpanic(\"student bug\");\n", 1)
    sub = tar_with(tmp_path / "panics.tar.gz",
                   [(p, frame if p.endswith("frame.c") else solution(p)) for p in LAB1_FILES])
    results = autograde(sub, tmp_path / "out", "--only", "frames_basic or map_translate",
                        "--seed", seed)
    assert results["score"] == 0
    out = by_name(results)["test_frames_basic"]["output"]
    assert "kernel PANIC" in out and "student bug" in out


@GRADES
def test_kernel_that_prints_forever(tmp_path, seed):
    """A kernel printing in a loop is stopped at 1 MiB of serial output and
    the test says so; the log stays 1 MiB. One test (--only) shows it,
    built from the seed."""
    frame = solution("lab1-paging/kernel/frame.c").replace(
        b"void frame_init(void)\n{\n",
        b"void frame_init(void)\n{\n\tfor (;;)\n\t\tprintk(\"spam spam spam spam\\n\");\n", 1)
    sub = tar_with(tmp_path / "flood.tar.gz", [("lab1-paging/kernel/frame.c", frame)])
    results = autograde(sub, tmp_path / "out", "--only", "frames_basic", "--seed", seed)
    out = by_name(results)["test_frames_basic"]["output"]
    assert "printed more than 1 MiB" in out, out
    assert os.path.getsize(tmp_path / "out" / "logs" / "test_frames_basic.log") == 1 << 20


def compiled_in(build_log):
    """The sources a build compiled, as make names them."""
    return sorted(line.split()[1] for line in build_log.split("\n") if line.startswith("  CC "))


def compiled(tree):
    """make in tree's lab 1: the sources it compiled."""
    r = sh("make -C lab1-paging", cwd=tree)
    assert r.returncode == 0, r.stdout
    return compiled_in(r.stdout)


def loadable(kernel, out):
    """The bytes of kernel.elf that are loaded (objcopy -O binary): its
    debug information names the directory it was compiled in."""
    subprocess.run(["objcopy", "-O", "binary", str(kernel), str(out)], check=True)
    return out.read_bytes()


def includers(build, header):
    """The kernel sources whose dependency files in build name header."""
    found = []
    for dep in build.rglob("obj/**/*.c.d"):
        if f" {header}" in dep.read_text():
            found.append(str(dep.relative_to(next(build.glob("lab*/obj"))))[:-len(".d")])
    return sorted(found)


@GRADES
def test_build_from_a_seed(tmp_path, seed):
    """--seed (grader/batch makes one per run; docs/instructors.md): lab
    1's course tree built once, copied, and given a submission's files (the
    starter's, written again) compiles only those files and links the same
    kernel and modules as the seed's own build from nothing (their loaded
    bytes compared). A header changed in the copy recompiles exactly the
    files that include it, as gcc's dependency files in the seed's build say
    (make_seed points them at the copy): a submitted header would be built
    right too, though none can be submitted (editable files are never
    headers; test_starter_cannot_buy_points_by_tampering submits
    common/kernel/frame.h and sees it ignored). A seed is used again (by
    the next run of a batch) only while it was made from exactly today's
    course files and hidden tests: one changed byte makes it stale. That a
    seeded grade is the unseeded one: test_batch.py's batches are seeded and
    graded against the known outcomes."""
    copy = tmp_path / "copy"
    built = seed / "tree"
    info = autograde_py.tree_from_seed(str(seed), str(copy), 1, None)
    assert info and not autograde_py.tree_from_seed(str(seed), str(tmp_path / "no"), 2, None)
    for p in LAB1_FILES:
        (copy / p).write_bytes((built / p).read_bytes())
    autograde_py.newer_than_seed(str(copy), LAB1_FILES, info)
    assert compiled(copy) == LAB1_FILES
    for name in ("kernel.elf", "modules.img"):
        ours, theirs = copy / "build" / "lab1" / name, built / "build" / "lab1" / name
        if name.endswith(".elf"):
            ours, theirs = loadable(ours, tmp_path / "ours"), loadable(theirs, tmp_path / "theirs")
        else:
            ours, theirs = ours.read_bytes(), theirs.read_bytes()
        assert ours == theirs, f"{name} differs from the seed's"

    header = "common/kernel/frame.h"
    expected = includers(built / "build", built / header)
    assert "common/kernel/kmain.c" in expected and len(expected) > 3, expected
    with open(copy / header, "a") as f:
        f.write("\n/* a submission's change */\n")
    assert compiled(copy) == expected

    assert autograde_py.seed_is_current(str(seed), 1, None)
    assert not autograde_py.seed_is_current(str(seed), 1, str(HIDDEN))
    stale = tmp_path / "stale"
    shutil.copytree(seed, stale, symlinks=True)
    with open(stale / "tree" / "common" / "kernel" / "kmain.c", "a") as f:
        f.write("\n")
    assert not autograde_py.seed_is_current(str(stale), 1, None)


def test_unreadable_submission_and_usage_errors(tmp_path):
    """A damaged archive gets a result (score 0, why); a wrong --lab is a
    usage error (exit 2, no results.json)."""
    bad = tmp_path / "garbage.tar.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    results = autograde(bad, tmp_path / "out")
    assert results["score"] == 0 and "could not be read" in results["output"]
    r = subprocess.run([str(GRADER / "autograde.py"), "--lab", "99",
                        str(bad), "--out", str(tmp_path / "out2")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no lab99" in r.stderr
    assert not (tmp_path / "out2" / "results.json").exists()


def test_submission_reader_refuses_bad_files(tmp_path):
    """What the reader takes and what it ignores, without grading: symlinks
    (file and directory) never followed, oversized files, files of other
    directories, a path out of the tree in a zip, a directory holding one
    archive (Gradescope's layout), files uploaded without their directories."""
    tree = tmp_path / "course"
    (tree / "lab1-paging" / "kernel").mkdir(parents=True)
    for p in LAB1_FILES:
        (tree / p).write_text("starter\n")
    sub = tmp_path / "sub"
    k = sub / "lab1-paging" / "kernel"
    k.mkdir(parents=True)
    (k / "frame.c").write_text("mine\n")
    (k / "heap.c").write_bytes(b"x" * (submission.MAX_FILE + 1))
    os.symlink("/etc/passwd", k / "mapper.c")
    os.symlink("/etc", sub / "lab1-paging" / "etc")
    (sub / "lab1-paging" / "kernel" / "pagefault.c").write_text("mine too\n")
    (sub / "notes").mkdir()
    (sub / "notes" / "todo.txt").write_text("x\n")
    got = submission.read(str(sub), LAB1_FILES, str(tree))
    reasons = {i["path"]: i["reason"] for i in got.ignored}
    assert sorted(got.taken) == ["lab1-paging/kernel/frame.c", "lab1-paging/kernel/pagefault.c"]
    assert "symbolic link" in reasons["lab1-paging/kernel/mapper.c"]
    assert "symbolic link" in reasons["lab1-paging/etc"]
    assert "larger than" in reasons["lab1-paging/kernel/heap.c"]
    assert "notes/" in reasons
    assert got.missing == ["lab1-paging/kernel/heap.c", "lab1-paging/kernel/mapper.c"]

    upload = tmp_path / "upload"
    upload.mkdir()
    with zipfile.ZipFile(upload / "submit-lab1.zip", "w") as zf:
        zf.writestr("lab1-paging/kernel/frame.c", "zipped\n")
        zf.writestr("../../outside.c", "x\n")
        link = zipfile.ZipInfo("lab1-paging/kernel/heap.c")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    got = submission.read(str(upload), LAB1_FILES, str(tree))
    assert got.taken == {"lab1-paging/kernel/frame.c": b"zipped\n"}
    reasons = {i["path"]: i["reason"] for i in got.ignored}
    assert "leaves the tree" in reasons["../../outside.c"]
    assert "symbolic link" in reasons["lab1-paging/kernel/heap.c"]

    # Files uploaded one by one, without their directories.
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "heap.c").write_text("loose\n")
    (loose / "README").write_text("x\n")
    got = submission.read(str(loose), LAB1_FILES, str(tree))
    assert got.taken == {"lab1-paging/kernel/heap.c": b"loose\n"}
    assert "README" in {i["path"] for i in got.ignored}


@pytest.mark.parametrize("source", [
    b'#include "/etc/passwd"\n',
    b'#  include <../../../../etc/passwd>\n',
    b'#include <../x.h>\n',
    b'#define P "/etc/passwd"\n#include P\n',
    b'#inc\\\nlude "/etc/passwd"\n',
    b'#/* hidden */include "/etc/shadow"\n',
    b'%:include "/etc/passwd"\n',
    b'asm(".incbin \\"/etc/passwd\\"");\n',
    b'#include "../../../outside.h"\n',
])
def test_sources_that_read_outside_the_tree(tmp_path, source):
    """A file that would read a file outside the tree when it is compiled
    (and could then print it from the kernel) is not taken: the starter code
    is graded in its place and the reason is given."""
    tree = tmp_path / "course"
    (tree / "lab1-paging" / "kernel").mkdir(parents=True)
    sub = tmp_path / "sub" / "lab1-paging" / "kernel"
    sub.mkdir(parents=True)
    (sub / "frame.c").write_bytes(b'#include "kernel.h"\n' + source)
    got = submission.read(str(tmp_path / "sub"), LAB1_FILES, str(tree))
    assert not got.taken
    assert "not allowed" in got.ignored[0]["reason"], got.ignored


def test_course_sources_pass_the_build_time_check():
    """Every file a student hands in, as the course wrote it, passes the
    check above (it must not refuse a correct solution)."""
    for lab in handout.lab_dirs(str(ROOT)):
        for path in handout.editable_files(lab):
            if os.path.exists(ROOT / path):
                assert submission.build_time_reads(path, (ROOT / path).read_bytes()) is None


# ---- Gradescope -------------------------------------------------------------------

@GRADES
def test_gradescope_zip(tmp_path, lab1_tree):
    """`make gradescope LAB=1 HIDDEN=grader/hidden-example` as typed: the
    zip has setup.sh and run_autograder at its top; unpacked as Gradescope
    does, setup.sh runs, and run_autograder grades an upload (a student's
    archive that does not build: the cheapest complete run) into
    results/results.json, which the schema accepts."""
    r = sh("make gradescope LAB=1 HIDDEN=grader/hidden-example")
    assert r.returncode == 0, r.stdout
    zpath = ROOT / "build" / "gradescope" / "lab1.zip"
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        zf.extractall(root / "source")
    assert "setup.sh" in names and "run_autograder" in names
    assert "hidden/grader/test_lab1_hidden.py" in names
    assert not [n for n in names if n.startswith("ochre/lab2")]
    # Lab 1's tree as students get it: its solution is not in the zip.
    assert "LAB1: your code here" in (root / "source" / "ochre" / "lab1-paging" / "kernel" /
                                      "frame.c").read_text()
    env = dict(os.environ, AUTOGRADER_ROOT=str(root))
    r = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr

    (root / "submission").mkdir()
    frame = (lab1_tree / "lab1-paging" / "kernel" / "frame.c").read_bytes() + b"\n#error oops\n"
    tar_with(root / "submission" / "submit-lab1.tar.gz", [("lab1-paging/kernel/frame.c", frame)])
    r = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(root / "results" / "results.json", encoding="utf-8") as f:
        results = json.load(f)
    validate(results)
    assert results["score"] == 0 and "#error oops" in results["tests"][0]["output"]
    hidden = by_name(results)["test_hidden_frames_interleave"]
    assert hidden["visibility"] == "hidden" and hidden["max_score"] == 2


def test_editable_files_of_a_lab(tmp_path):
    """A lab's files to hand in: those with its solution regions (not an
    earlier lab's), its answers file when it has QUESTIONS.md, and what its
    Makefile adds with SUBMIT_EXTRA; a handout tree says it in SUBMIT.txt."""
    repo = tmp_path / "repo"
    (repo / "lab1-a" / "kernel").mkdir(parents=True)
    (repo / "lab2-b" / "kernel").mkdir(parents=True)
    begin = "/* BEGIN LAB" "{} SOLUTION */\n"
    (repo / "lab1-a" / "kernel" / "one.c").write_text(begin.format(1))
    (repo / "lab2-b" / "kernel" / "two.c").write_text(begin.format(2))
    (repo / "lab2-b" / "kernel" / "given.c").write_text("int given;\n")
    (repo / "lab2-b" / "QUESTIONS.md").write_text("Answer in answers-lab2.txt.\n")
    (repo / "lab2-b" / "Makefile").write_text("LAB := 2\nSUBMIT_EXTRA := lab2-b/notes.md \\\n"
                                              "\tlab2-b/design.txt\n")
    assert handout.editable_files(1, str(repo)) == ["lab1-a/kernel/one.c"]
    assert handout.editable_files(2, str(repo)) == [
        "lab2-b/answers-lab2.txt", "lab2-b/design.txt", "lab2-b/kernel/two.c", "lab2-b/notes.md"]
    (repo / "lab2-b" / "kernel" / "two.c").write_text("/* LAB2: your code here */\n")
    (repo / "lab2-b" / "SUBMIT.txt").write_text("# list\nlab2-b/kernel/two.c\n")
    assert handout.editable_files(2, str(repo)) == ["lab2-b/kernel/two.c"]


def qemus_under(path):
    """PIDs of processes whose command line names path (QEMU boots the
    scratch tree's ISO)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if pid.isdigit() and str(path) in cmd and "qemu-system" in cmd:
            found.append(int(pid))
    return found


@GRADES
def test_stopped_autograde_leaves_nothing_behind(tmp_path, seed):
    """SIGTERM while tests are booting (a batch being stopped): autograde
    exits, its QEMUs die and its scratch tree (here a copy of the seed, as
    in a batch) is removed."""
    import time
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    sub = tar_with(tmp_path / "s.tar.gz", [(p, solution(p)) for p in LAB1_FILES])
    proc = subprocess.Popen([str(GRADER / "autograde.py"), "--lab", "1", str(sub), "--out",
                             str(tmp_path / "out"), "-j", "2", "--seed", str(seed)],
                            env=dict(os.environ, TMPDIR=str(scratch)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not qemus_under(scratch) and time.monotonic() < deadline:
            assert proc.poll() is None, "autograde ended before any QEMU started"
            time.sleep(0.1)
        assert qemus_under(scratch), "no QEMU started within 120 s"
        proc.terminate()
        assert proc.wait(timeout=60) == 128 + 15
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while qemus_under(scratch) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not qemus_under(scratch)
    assert not os.listdir(scratch), os.listdir(scratch)

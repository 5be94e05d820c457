#!/usr/bin/env python3
"""Make the student tree, and prove that the tests test student work.

    handout.py make DEST [--keep-solved N] [--force] [--lab N]
        Copy the tree (git-tracked files plus untracked files that are not
        ignored, so it works before a commit) to DEST, with the solution
        regions stripped by common/tools/handout.c from every C, header,
        assembly and linker-script file. With --keep-solved N, labs below N
        stay solved (that is the tree a student starting lab N would have if
        they had solved the earlier labs). With --lab N, the tree of lab N
        alone: labs 1..N-1 solved, lab N stripped, later labs absent (their
        directories and their grader tests). Each lab directory gets
        SUBMIT.txt, the files `make submit` hands in for that lab.

    handout.py check [LAB...]
        For each lab N that has point tests (grader/test_labN.py): make the
        tree with labs < N solved and lab N stripped under
        build/handout-check/labN, build lab N there (with -Werror, as a
        student would), run the foundation tests (they must pass: the starter
        boots) and lab N's tests (every point-bearing test must fail: the
        tests really test the student's code). Prints a table; exits non-zero
        on a build failure, a foundation failure or an unexpected pass.

Used by `make handout` and `make handout-check`.
"""

import argparse
import concurrent.futures
import filecmp
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(GRADER_DIR)

# Files the stripper processes; everything else is copied as it is.
STRIP_SUFFIXES = (".c", ".h", ".asm", ".S", ".s", ".ld", ".inc")

# Never copied: CI configuration (instructor-only), build outputs, and
# Python caches that may not be git-ignored yet.
EXCLUDED_TOP = ("build", ".ci", ".git")
EXCLUDED_PARTS = ("__pycache__", ".pytest_cache")
# Maintainer files that quote the reference solution (lines, private helper
# names): a student tree must not show them.
INSTRUCTOR_ONLY = ("grader/host/test_mapper_mutations.py",
                   "grader/host/test_fail_headlines.py",
                   "grader/host/test_handout_names.py",
                   "grader/host/handout_names_expected.txt",
                   # names the hidden tests; grades the solution
                   "grader/host/test_autograde.py",
                   # grades the solution (and variants of it) in a batch
                   "grader/host/test_batch.py",
                   # makes handouts from the solution (and its test names
                   # would match a student's -k)
                   "grader/host/test_student_tree.py",
                   # course setup, hidden tests, Gradescope: for the staff
                   "docs/instructors.md",
                   # the host tests' last times (grader/host/conftest.py): it
                   # names the tests above; a student tree records its own
                   "grader/host/durations.json")
# Directories of instructor-only files: the example hidden tests (see
# docs/instructors.md). Everything under them stays out of every handout.
INSTRUCTOR_ONLY_DIRS = ("grader/hidden-example/",)

# A solution region's first line (the stripper's syntax, common/tools/handout.c).
BEGIN_RE = re.compile(r"^[ \t]*(?:/\*|//|;|#)[ \t]*BEGIN LAB(\d+) SOLUTION\b", re.M)
# The list of a lab's files that `make submit` hands in, in each lab directory
# of a handout (generated from the regions, which a handout no longer has).
SUBMIT_LIST = "SUBMIT.txt"
# What a handout is, written into it (grader/host/conftest.py reads it to
# skip the host tests the tree cannot run): "student N..." names the labs
# left for the student (stripped), "solved N..." the labs kept solved.
TREE_FILE = "grader/handout-tree.txt"


def show(path):
    """A path as the user would type it: relative when under the cwd."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def log(msg):
    print(msg, flush=True)


def die(msg):
    print(f"handout: {msg}", file=sys.stderr)
    sys.exit(1)


# ---- the stripper -----------------------------------------------------------

def build_stripper(repo):
    """Compile common/tools/handout.c into build/tools/handout (if stale)."""
    src = os.path.join(repo, "common", "tools", "handout.c")
    exe = os.path.join(repo, "build", "tools", "handout")
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    cc = os.environ.get("CC", "cc")
    # Built beside and renamed into place: processes and threads making
    # handouts at the same time (the host tests, handout.py check's labs side
    # by side) never run a half-written stripper, nor rename each other's.
    tmp = f"{exe}.{os.getpid()}.{threading.get_ident()}"
    cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", tmp, src]
    if subprocess.run(cmd).returncode != 0:
        die("building the stripper failed: " + " ".join(cmd))
    os.replace(tmp, exe)
    return exe


# ---- what the starter needs ----------------------------------------------------

# A file-scope static definition: a function (name followed by "(" on the
# first line, no ";" at its end) or variables ("static T *a, *b;").
_STATIC_FN = re.compile(r"^static\s+(?!inline\b)[^;=(){}\n]*?\b(\w+)\s*\([^;\n]*$", re.M)
_STATIC_VARS = re.compile(r"^static\s+(?!inline\b)([^;=(){}\n]*?)\s*(?:=[^;{}\n]*)?;", re.M)
UNUSED = "__attribute__((unused)) "


def _declared_names(decl):
    """The names a "T *a, *b[4]" declaration declares (after the type)."""
    first, *rest = decl.split(",")
    names = [re.findall(r"(\w+)\s*(?:\[[^\]]*\])?\s*$", first)]
    names += [re.findall(r"(\w+)\s*(?:\[[^\]]*\])?\s*$", r) for r in rest]
    return [n[0] for n in names if n]


def mark_unused(text):
    """Stripping a solution can leave given static helpers (and variables)
    that only the solution used; -Werror would then refuse the starter.
    Mark each such definition __attribute__((unused)), so the solution tree
    needs no scaffolding: a name is unused when it appears nowhere in the
    file but in its own definition."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)   # comments do not use

    def used(name):
        return len(re.findall(rf"\b{re.escape(name)}\b", code)) > 1

    edits = []
    for m in _STATIC_FN.finditer(text):
        if not used(m.group(1)):
            edits.append(m.start())
    for m in _STATIC_VARS.finditer(text):
        names = _declared_names(m.group(1))
        if names and not any(used(n) for n in names):
            edits.append(m.start())
    for at in sorted(set(edits), reverse=True):
        text = text[:at] + "static " + UNUSED + text[at + len("static "):]
    return text


# ---- make ---------------------------------------------------------------------

def tree_files(repo):
    """Repository-relative paths of the files that make up the tree."""
    def git(*args):
        out = subprocess.run(["git", "-C", repo, "ls-files", "-z", *args],
                             capture_output=True, check=True).stdout
        return [p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p]

    if os.path.isdir(os.path.join(repo, ".git")) or os.path.isfile(os.path.join(repo, ".git")):
        try:
            paths = set(git()) | set(git("--others", "--exclude-standard"))
        except (OSError, subprocess.CalledProcessError) as e:
            die(f"cannot list the files of {repo} with git: {e}")
    else:
        # A copy without git (the Gradescope autograder's source): every file.
        paths = set()
        for top, dirs, names in os.walk(repo):
            dirs[:] = [d for d in dirs if d not in EXCLUDED_PARTS]
            rel = os.path.relpath(top, repo)
            links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
            paths |= {os.path.normpath(os.path.join(rel, n)) for n in names + links}
    files = []
    for path in sorted(paths):
        parts = path.split("/")
        if parts[0] in EXCLUDED_TOP or any(p in EXCLUDED_PARTS for p in parts):
            continue
        if path in INSTRUCTOR_ONLY or path.startswith(INSTRUCTOR_ONLY_DIRS):
            continue
        full = os.path.join(repo, path)
        if os.path.islink(full) or os.path.isfile(full):   # skip deleted files
            files.append(path)
    return files


def later_lab_file(path, lab):
    """True for a file that belongs to a lab after `lab`: in its directory
    (labM-*/), or one of its grader tests (grader/test_labM*.py,
    grader/host/test_labM_*.py)."""
    m = (re.match(r"lab(\d+)-[^/]*/", path) or
         re.match(r"grader/(?:host/)?test_lab(\d+)(?:_[^/]*)?\.py$", path))
    return bool(m) and int(m.group(1)) > lab


def editable_files(lab, repo=REPO_ROOT):
    """Paths (from the top) of the files a student edits in lab `lab`: those
    with a lab `lab` solution region; labN-x/answers-labN.txt when the lab
    has written questions (QUESTIONS.md says to answer there); and what the
    lab's Makefile adds with `SUBMIT_EXTRA := path ...` (paths from the top).
    In a handout tree (no regions left) the lab's SUBMIT.txt says it."""
    labdir = lab_dirs(repo).get(lab)
    if labdir is None:
        return []
    listed = os.path.join(repo, labdir, SUBMIT_LIST)
    files = set()
    for path in tree_files(repo):
        if path.endswith(STRIP_SUFFIXES):
            try:
                with open(os.path.join(repo, path), encoding="utf-8", errors="replace") as f:
                    labs = {int(n) for n in BEGIN_RE.findall(f.read())}
            except OSError:
                continue
            if lab in labs:
                files.add(path)
    if not files and os.path.exists(listed):
        with open(listed, encoding="utf-8") as f:
            return sorted(line.strip() for line in f
                          if line.strip() and not line.startswith("#"))
    try:
        with open(os.path.join(repo, labdir, "Makefile"), encoding="utf-8") as f:
            makefile = f.read().replace("\\\n", " ")
    except OSError:
        makefile = ""
    for m in re.finditer(r"^SUBMIT_EXTRA\s*[:+]?=(.*)$", makefile, re.M):
        files.update(m.group(1).split())
    if os.path.exists(os.path.join(repo, labdir, "QUESTIONS.md")):
        files.add(f"{labdir}/answers-lab{lab}.txt")
    return sorted(files)


def is_handout(repo):
    """True for a tree make_tree wrote: its lab directories have SUBMIT.txt."""
    return any(os.path.exists(os.path.join(repo, d, SUBMIT_LIST))
               for d in lab_dirs(repo).values())


def write_submit_lists(dest, repo, upto):
    """Write labN-x/SUBMIT.txt for each lab 1..upto into the handout dest."""
    for lab, labdir in lab_dirs(repo).items():
        if lab > upto or not os.path.isdir(os.path.join(dest, labdir)):
            continue
        with open(os.path.join(dest, labdir, SUBMIT_LIST), "w", encoding="utf-8") as f:
            f.write(f"# The files of lab {lab} that `make submit` hands in (written by\n"
                    f"# `make handout`). Everything else comes from the course's tree.\n")
            for path in editable_files(lab, repo):
                f.write(path + "\n")


def write_tree_file(dest, keep_solved):
    """Write TREE_FILE into the handout dest: its labs, stripped or solved."""
    labs = sorted(lab_dirs(dest))
    solved = [n for n in labs if keep_solved is not None and n < keep_solved]
    student = [n for n in labs if n not in solved]
    path = os.path.join(dest, TREE_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Written by `make handout` (grader/handout.py): the labs that are the\n"
                "# student's work in this tree, and those kept solved.\n"
                f"student {' '.join(map(str, student))}\n"
                f"solved {' '.join(map(str, solved))}\n")


# What every marker line, and every marker mistake the stripper reports,
# contains (common/tools/handout.c): a file with none of them it copies byte
# for byte, so make_tree copies such a file itself.
MARKER_WORDS = (b"BEGIN LAB", b"END LAB", b"STARTER:")


def has_markers(path):
    with open(path, "rb") as f:
        data = f.read()
    return any(word in data for word in MARKER_WORDS)


def make_tree(dest, keep_solved=None, force=False, repo=REPO_ROOT, quiet=False, lab=None):
    """Write the handout tree to dest. Returns {lab: [stripped, kept]}.

    lab: the tree of that lab alone (labs before it solved, later labs absent);
    it implies keep_solved=lab."""
    if lab is not None:
        keep_solved = lab
    dest = os.path.abspath(dest)
    # Anything under build/ is an output and may be replaced; elsewhere a
    # non-empty directory could be someone's work, so ask for --force.
    in_build = not os.path.relpath(dest, os.path.join(repo, "build")).startswith("..")
    if os.path.exists(dest) and os.listdir(dest):
        if not (force or in_build):
            die(f"{dest} exists and is not empty (use --force to replace it)")
        shutil.rmtree(dest)
    # A handout (the Gradescope autograder's source) has no regions left but
    # keeps its solved labs' STARTER comments: copy it, never strip it again.
    strip = not is_handout(repo)
    stripper = build_stripper(repo) if strip else None
    files = tree_files(repo)
    if lab is not None:
        files = [f for f in files if not later_lab_file(f, lab)]
    # Refuse to copy the tree into itself through an untracked path.
    inside = os.path.relpath(dest, repo)
    if not inside.startswith(".."):
        files = [f for f in files if not (f + "/").startswith(inside.rstrip("/") + "/")]

    stats = {}
    stripped_files = 0
    errors = []
    for path in files:
        src = os.path.join(repo, path)
        dst = os.path.join(dest, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
            continue
        if not strip or not path.endswith(STRIP_SUFFIXES) or not has_markers(src):
            shutil.copy2(src, dst)
            continue
        cmd = [stripper, "--stats"]
        if keep_solved is not None:
            cmd += ["--keep-solved", str(keep_solved)]
        result = subprocess.run(cmd + [src, dst], capture_output=True, text=True)
        if result.returncode != 0:
            errors.append(result.stderr.strip() or f"{path}: stripper failed")
            continue
        shutil.copymode(src, dst)
        if path.endswith(".c"):
            with open(dst, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
            marked = mark_unused(text)
            if marked != text:
                with open(dst, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(marked)
        if filecmp.cmp(src, dst, shallow=False):
            # Unchanged by stripping: keep its time too, as for the files
            # copied as they are, so a build seeded from the solution's
            # (seed_build) need not compile it again.
            shutil.copystat(src, dst)
        changed = False
        for m in re.finditer(r"^LAB(\d+) stripped=(\d+) kept=(\d+)$", result.stderr, re.M):
            counts = stats.setdefault(int(m.group(1)), [0, 0])
            counts[0] += int(m.group(2))
            counts[1] += int(m.group(3))
            changed = True
        stripped_files += changed

    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        die(f"{len(errors)} file(s) have marker errors; {dest} is incomplete")
    write_submit_lists(dest, repo, lab if lab is not None else max(lab_dirs(repo), default=0))
    if strip:   # a copy of a handout keeps the file it has
        write_tree_file(dest, keep_solved)

    if not quiet:
        log(f"handout: {len(files)} files copied to {show(dest)}, "
            f"{stripped_files} with solution regions")
        for lab in sorted(stats):
            stripped, kept = stats[lab]
            log(f"  lab {lab}: {stripped} region(s) stripped, {kept} kept solved")
    return stats


# ---- check --------------------------------------------------------------------

def lab_dirs(repo):
    labs = {}
    for name in os.listdir(repo):
        m = re.fullmatch(r"lab(\d+)-.+", name)
        if m and os.path.isdir(os.path.join(repo, name)):
            labs[int(m.group(1))] = name
    return labs


def test_files(repo, lab):
    """grader/test_labN.py and grader/test_labN_*.py (a lab's tests may be
    split by topic, as lab 5's are)."""
    grader = os.path.join(repo, "grader")
    return sorted(os.path.join(grader, f) for f in os.listdir(grader)
                  if f == f"test_lab{lab}.py" or
                  (f.startswith(f"test_lab{lab}_") and f.endswith(".py")))


def graded_labs(repo):
    """Labs that have both a lab directory and point tests."""
    labs = lab_dirs(repo)
    return [n for n in sorted(labs) if test_files(repo, n)]


def tail(text, n=30):
    return "\n".join(text.rstrip("\n").split("\n")[-n:])


def copy_tree(src, dst):
    """Copy the directory src to dst (which must not exist yet), symbolic
    links as links, times and modes kept. cp -a copies each file's data
    inside the kernel; shutil.copytree reads and writes it through Python
    and copies metadata call by call: 0.31 -> 0.03 CPU-s for a lab's build
    (39 MB), which the handout check, autograde's seeds and the host tests
    copy dozens of times."""
    if os.path.lexists(dst):
        raise FileExistsError(dst)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    subprocess.run(["cp", "-a", "--", src, dst], check=True)


def seed_build(repo, tree, lab):
    """Start the starter tree's build of lab N from the solution's build of
    lab N (build/labN, made by `make grade-all` before the check runs), so
    make compiles only what stripping changed: make_tree keeps the times of
    every file it did not change, and the objects are newer than those. The
    dependency files name the solution tree's paths; they are pointed at
    the starter tree's, so a changed header still rebuilds what includes
    it. Without a solution build, make builds everything, as before."""
    src = os.path.join(repo, "build", f"lab{lab}")
    if not os.path.isdir(src):
        return
    dst = os.path.join(tree, "build", f"lab{lab}")
    copy_tree(src, dst)
    # The solution's test times order the starter's tests (ochre/durations.py).
    times = os.path.join(repo, "build", "grade", "durations.json")
    if os.path.exists(times):
        os.makedirs(os.path.join(tree, "build", "grade"), exist_ok=True)
        shutil.copy(times, os.path.join(tree, "build", "grade"))
    repoint_deps(dst, repo, tree)


def repoint_deps(build, old_root, new_root):
    """The dependency files (.d) under build name old_root's paths: make
    them name new_root's, for a build copied from one tree to another."""
    old, new = os.path.join(str(old_root), ""), os.path.join(str(new_root), "")
    for dep in glob.glob(os.path.join(str(build), "**", "*.d"), recursive=True):
        with open(dep, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        if old in text:
            with open(dep, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text.replace(old, new))


def check_lab(lab, repo, workers="auto"):
    """Returns a result dict for the table. workers: pytest -n."""
    labdir = lab_dirs(repo)[lab]
    tree = os.path.join(repo, "build", "handout-check", f"lab{lab}")
    result = {"lab": lab, "tests": 0, "failed": 0, "unexpected": [], "problems": []}

    log(f"== lab {lab}: starter tree with labs < {lab} solved in {show(tree)}")
    make_tree(tree, keep_solved=lab, force=True, repo=repo, quiet=True)
    seed_build(repo, tree, lab)

    build = subprocess.run(["make", f"-j{os.cpu_count() or 2}", "-C", os.path.join(tree, labdir)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if build.returncode != 0:
        result["problems"].append("starter does not build:\n" + tail(build.stdout))
        return result

    results_json = os.path.join(tree, "build", "grade", f"results-lab{lab}.json")
    cmd = [sys.executable, "-m", "pytest", os.path.join(tree, "grader", "test_foundation.py"),
           *test_files(tree, lab), "--lab", str(lab),
           "--build-root", os.path.join(tree, "build"), "--gradescope", results_json,
           "-n", workers, "-q", "--no-header", "-p", "no:cacheprovider"]
    run = subprocess.run(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        with open(results_json, encoding="utf-8") as f:
            tests = json.load(f)["tests"]
    except (OSError, ValueError, KeyError):
        result["problems"].append("the grader did not produce results:\n" + tail(run.stdout))
        return result

    for t in tests:
        if t["name"].startswith("lab 0:"):
            # A foundation test may skip (one that does not apply to this
            # lab); it must not fail.
            skipped = "\nskipped: " in "\n" + t["output"]
            if t["status"] != "passed" and not skipped:
                result["problems"].append(f"foundation test failed on the starter: {t['name']}"
                                          f"\n{tail(t['output'], 15)}")
        elif t["max_score"] > 0:
            result["tests"] += 1
            if t["score"] == 0:
                result["failed"] += 1
            else:
                result["unexpected"].append(t["name"].split(": ", 1)[-1])
    if result["tests"] == 0:
        result["problems"].append(f"no point tests of lab {lab} ran")
    return result


def check(labs, repo=REPO_ROOT, jobs=1):
    """jobs: labs checked at a time (each in its own tree; the most complete
    lab, the longest, starts first), so one lab's build and grader start-up
    overlap another's tests. With labs side by side, each lab's tests run
    in one process: xdist's workers would add only their start-up (about
    half a CPU-second a lab), not more CPUs."""
    available = graded_labs(repo)
    labs = labs or available
    for lab in labs:
        if lab not in available:
            die(f"lab {lab} has no lab directory or no grader/test_lab{lab}[_*].py")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        workers = "0" if jobs > 1 else "auto"
        done = {lab: pool.submit(check_lab, lab, repo, workers)
                for lab in sorted(labs, reverse=True)}
    results = [done[lab].result() for lab in labs]

    log("")
    log("handout check: every point test must fail on the starter code")
    log(f"  {'lab':>3}  {'tests':>5}  {'failed as expected':>18}  unexpected passes")
    ok = True
    for r in results:
        unexpected = ", ".join(r["unexpected"]) or "-"
        log(f"  {r['lab']:>3}  {r['tests']:>5}  {r['failed']:>18}  {unexpected}")
        if r["unexpected"] or r["problems"]:
            ok = False
    for r in results:
        for p in r["problems"]:
            log(f"\nlab {r['lab']}: {p}")
    log("\nhandout check: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_make = sub.add_parser("make", help="write the student tree")
    p_make.add_argument("dest")
    p_make.add_argument("--keep-solved", type=int, metavar="N",
                        help="labs below N stay solved")
    p_make.add_argument("--force", action="store_true", help="replace a non-empty DEST")
    p_make.add_argument("--lab", type=int, metavar="N",
                        help="the tree of lab N: labs < N solved, later labs absent")
    p_check = sub.add_parser("check", help="prove that each lab's tests fail on its starter")
    p_check.add_argument("labs", nargs="*", type=int, metavar="LAB")
    p_check.add_argument("--jobs", type=int, default=1, metavar="J",
                         help="labs checked at a time (default 1)")
    for p in (p_make, p_check):
        p.add_argument("--repo", default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.command == "make":
        if args.lab is not None and args.lab not in lab_dirs(os.path.abspath(args.repo)):
            die(f"--lab {args.lab}: there is no lab{args.lab}-* directory")
        make_tree(args.dest, args.keep_solved, args.force, repo=os.path.abspath(args.repo),
                  lab=args.lab)
        return 0
    return check(args.labs, repo=os.path.abspath(args.repo), jobs=args.jobs)


if __name__ == "__main__":
    sys.exit(main())

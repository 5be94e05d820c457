#!/usr/bin/env python3
"""Grade one submission against the course's own tree of its lab.

    grader/autograde.py --lab N SUBMISSION --out DIR
                        [--hidden DIR] [--jobs J] [--timeout SECONDS]
                        [--only EXPR] [--seed DIR] [--keep-scratch]

SUBMISSION  a directory (a student's tree, or an unpacked `make submit`
            archive) or an archive: .tar.gz, .tgz, .tar or .zip (what `make
            submit` writes). A directory holding one archive and nothing
            else (Gradescope's /autograder/submission) means that archive.
            Files without their directories (uploaded one by one) are
            taken at the one editable path with that name.
--out DIR   created if needed; always gets DIR/results.json (below).
--hidden D  instructor tests to add (default: $OCHRE_HIDDEN, if set): a
            directory laid out like the tree (grader/test_*.py, and kernel
            or user test code where it belongs); new files only, a file that
            would replace one of the tree is refused (exit 2).
--jobs J    QEMUs at a time (pytest -n; default: the number of CPUs).
--timeout S the whole grade's limit (default 1800 s).
--only EXPR grade only the tests pytest -k EXPR selects (regrading one
            test; the total is then marked PARTIAL).
--seed DIR  start from DIR, lab N's course tree already built by make_seed
            below (grader/batch makes one per run): make then compiles only
            the submitted files and what includes them, not the whole lab.
            A seed made for another lab or other hidden tests is not used.

What is graded: the tree of lab N made from this repository by
grader/handout.py (labs < N solved, lab N's starter code, later labs
absent), plus the hidden tests, plus, from the submission, only the files a
student edits in lab N (`handout.editable_files`: those with lab N
solution regions, and a lab's SUBMIT_EXTRA). Kernel tests, user test
programs, libc, common/ and the grader always come from this repository;
the submission's other files are listed as ignored. All of it happens in a
scratch copy; nothing a submission contains or does reaches this tree.

Output, in DIR:
  results.json     Gradescope's format (score, tests with visibility,
                   output), written in every case: a submission that does
                   not build scores 0 and shows the compiler's errors, a
                   grader that fails or times out scores 0 and says so.
                   extra_data holds {lab, taken, missing, ignored, status}.
  build.log        the build's output (paths from the top of the tree)
  grade.log        the grader's output
  logs/            the serial log of every test (build/grade/labN/)
  submitted/       the files taken from the submission (answers to a lab's
                   written questions among them, for the staff to read)

Exit status: 0 when results.json was written (whatever the score, also for
a submission that cannot be read: score 0 and why); 2 for a usage error (no
such lab, bad --hidden), with no results.json.

Paths in the output are relative to the top of the tree and reproduce
commands are typed there (`make -C lab1-paging qemu CMDLINE='...'`), so
they work in the student's own tree.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)
import handout      # noqa: E402  (grader/handout.py: trees and editable files)
import submission   # noqa: E402  (grader/submission.py: reading what was handed in)

DEFAULT_TIMEOUT = 1800
# How much of the build's error output results.json shows.
MAX_ERROR_LINES = 40
# A build that prints more than this is cut (the log keeps head and tail).
MAX_BUILD_LOG = 4 << 20
# Limits of the build, which compiles a submission's code: a lab builds in
# well under a minute and 1 GiB; source that makes the compiler loop or
# grow stops at these instead of at the machine's.
BUILD_TIMEOUT = 600
BUILD_MEMORY = 4 << 30      # address space of each process
BUILD_FILE_SIZE = 512 << 20  # largest file a build process may write
# xdist's line above each failure, and pytest's "rootdir:" lines: no help to a student.
RUNNER_NOISE = re.compile(r"^(\[gw\d+\] .*Python .*|rootdir: .*|plugins: .*)\n?", re.M)


class Usage(Exception):
    """A mistake in how autograde was called: no results.json, exit 2."""


def log(msg):
    print(f"autograde: {msg}", flush=True)


# ---- the scratch tree --------------------------------------------------------

def add_hidden(tree, hidden):
    """Copy the instructor's hidden files into the scratch tree; new files only."""
    added = []
    for top, dirs, names in os.walk(hidden):
        dirs[:] = [d for d in dirs if d not in handout.EXCLUDED_PARTS]
        for name in names:
            src = os.path.join(top, name)
            rel = os.path.relpath(src, hidden)
            dst = os.path.join(tree, rel)
            if os.path.lexists(dst):
                raise Usage(f"--hidden {hidden}: {rel} would replace the tree's own file; "
                            "hidden tests only add files")
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
            added.append(rel)
    return sorted(added)


def build(tree, labdir, jobs, out):
    """make -C labdir; returns (ok, error lines). The log goes to out/build.log."""
    path = os.path.join(out, "build.log")
    status = run_child(["make", f"-j{jobs}", "-C", os.path.join(tree, labdir)], tree, path,
                       BUILD_TIMEOUT, preexec_fn=limit_build)
    text = read_capped(path, MAX_BUILD_LOG)
    text = relative_paths(text, tree)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    if status == 0:
        return True, []
    if status is None:
        return False, [f"the build did not finish in {BUILD_TIMEOUT} s (something in the "
                       "submission makes the compiler loop)"] + error_lines(text)[-10:]
    return False, error_lines(text)


# Variables a caller's environment may hold that would change the build or
# the grader (make reads every environment variable as a make variable).
UNSAFE_ENV = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "B", "LAB", "CC", "EXTRA_CFLAGS",
              "EXTRA_RETIRES", "CMDLINE", "QEMU_ISO", "GRADE_ARGS", "GRADE_FROM")


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in UNSAFE_ENV and not k.startswith(("OCHRE_", "PYTEST_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_child(argv, cwd, log_path, timeout, preexec_fn=None):
    """Run argv in its own process group with its output in log_path;
    returns its exit status, or None if it ran out of time. The whole group
    (make and compilers, or pytest and its workers, whose QEMUs die with
    them) is killed on a timeout or when autograde itself is stopped."""
    with open(log_path, "wb") as f:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=clean_env(),
                                start_new_session=True, preexec_fn=preexec_fn)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def limit_build():
    """In the build's process (before exec): the limits above."""
    resource.setrlimit(resource.RLIMIT_AS, (BUILD_MEMORY, BUILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (BUILD_FILE_SIZE, BUILD_FILE_SIZE))


def read_capped(path, limit):
    """The file's text; if longer than limit, its head and tail."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if size <= limit:
            data = f.read()
        else:
            head = f.read(limit // 2)
            f.seek(size - limit // 2)
            data = head + f"\n[... {size - limit} bytes cut ...]\n".encode() + f.read()
    return data.decode("utf-8", errors="replace")


def error_lines(text):
    """The compiler's and make's error lines, with the line after each
    (gcc's source excerpt), at most MAX_ERROR_LINES."""
    lines = text.split("\n")
    keep = []
    for i, line in enumerate(lines):
        if re.search(r"\berror\b|\*\*\*|undefined reference", line):
            keep.append(line)
            if "error:" in line and i + 1 < len(lines) and lines[i + 1].startswith(" "):
                keep.append(lines[i + 1])
    if not keep:
        keep = lines[-20:]
    if len(keep) > MAX_ERROR_LINES:
        keep = keep[:MAX_ERROR_LINES] + [f"[... {len(keep) - MAX_ERROR_LINES} more lines "
                                         "in build.log ...]"]
    return keep


def relative_paths(text, tree):
    """Paths in the scratch tree written from its top, as the student's tree
    has them, and the runner's noise dropped."""
    for root in {os.path.realpath(tree), os.path.abspath(tree)}:
        text = text.replace(root + "/", "").replace(root, ".")
    return RUNNER_NOISE.sub("", text)


# ---- seeds: the course's tree built once for many submissions ----------------
#
# A seed is DIR/tree, lab N's tree as make_tree writes it plus the hidden
# tests, built, and DIR/seed.json saying what it is. Only the course's own
# files are in it. A submission's tree is a copy of it (file times kept, so
# make sees the build as up to date) with the submitted files written after
# the build, hence newer than every object: make compiles them, and through
# the dependency files (pointed at the copy) whatever includes them.

def make_seed(lab, dest, hidden=None, jobs=None, repo=handout.REPO_ROOT):
    """Make and build the seed of lab N in dest (replaced); True when it
    built (its build.log is in dest either way)."""
    remove(dest)
    tree = os.path.join(dest, "tree")
    handout.make_tree(tree, lab=lab, repo=repo, quiet=True)
    added = add_hidden(tree, hidden) if hidden else []
    ok, _ = build(tree, handout.lab_dirs(repo)[lab], jobs or os.cpu_count() or 2, dest)
    if ok:
        built = max(os.lstat(os.path.join(top, n)).st_mtime_ns
                    for top, _, names in os.walk(os.path.join(tree, "build")) for n in names)
        with open(os.path.join(dest, "seed.json"), "w", encoding="utf-8") as f:
            json.dump({"lab": lab, "hidden": hidden, "hidden_files": added,
                       "built_ns": built}, f)
    return ok


def seed_info(seed, lab, hidden):
    """The seed's seed.json, or None if seed is not a built seed of this lab
    with these hidden tests."""
    try:
        with open(os.path.join(seed, "seed.json"), encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("lab") != lab or info.get("hidden") != hidden:
        return None
    return info


def seed_is_current(seed, lab, hidden, repo=handout.REPO_ROOT):
    """True when seed (an earlier run's) was made from exactly the files
    make_seed would take today: the course's tree of lab N and the hidden
    tests, compared byte for byte (its build/ aside)."""
    if seed_info(seed, lab, hidden) is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "tree")
        handout.make_tree(fresh, lab=lab, repo=repo, quiet=True)
        if hidden:
            add_hidden(fresh, hidden)
        return tree_contents(fresh) == tree_contents(os.path.join(seed, "tree"))


def tree_contents(tree):
    """{path: bytes, or ("link", target)} of a tree, build/ left out."""
    found = {}
    for top, dirs, names in os.walk(tree):
        if top == tree:
            dirs[:] = [d for d in dirs if d != "build"]
        for name in names + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, tree)
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            else:
                with open(path, "rb") as f:
                    found[rel] = f.read()
    return found


def tree_from_seed(seed, tree, lab, hidden):
    """Copy the seed's tree to tree; returns its seed.json, or None (and no
    tree) if seed is not one for this lab and these hidden tests."""
    info = seed_info(seed, lab, hidden)
    if info is None:
        return None
    handout.copy_tree(os.path.join(seed, "tree"), tree)
    handout.repoint_deps(os.path.join(tree, "build"), os.path.join(seed, "tree"), tree)
    return info


def newer_than_seed(tree, paths, info):
    """The submitted files' times after the seed's build (they are, unless
    the clock went back): make must compile every one of them."""
    after = info["built_ns"] + 1_000_000_000
    for path in paths:
        full = os.path.join(tree, path)
        if os.stat(full).st_mtime_ns <= info["built_ns"]:
            os.utime(full, ns=(after, after))


# ---- grading -----------------------------------------------------------------

def run_grader(tree, lab, jobs, timeout, out, collect_only=False, only=None):
    """Run the pytest grader in the scratch tree; returns (raw results or
    None, why not). collect_only lists the tests without running any (the
    result of a submission that does not build still names every test)."""
    raw = os.path.join(os.path.dirname(tree), "raw-results.json")
    if os.path.exists(raw):
        os.unlink(raw)
    cmd = [python(tree), "-m", "pytest", "grader", "--lab", str(lab),
           "--gradescope", raw, "-p", "no:cacheprovider", "-q",
           "--basetemp", os.path.join(os.path.dirname(tree), "pytest-tmp")]
    cmd += ["--collect-only"] if collect_only else ["-n", str(jobs)]
    cmd += ["-k", only] if only else []
    logname = "collect.log" if collect_only else "grade.log"
    status = run_child(cmd, tree, os.path.join(out, logname), timeout)
    if status is None:
        return None, f"the grader did not finish within {timeout} s"
    try:
        with open(raw, encoding="utf-8") as f:
            return json.load(f), ""
    except (OSError, ValueError):
        text = read_capped(os.path.join(out, logname), 1 << 20)
        tail = "\n".join(relative_paths(text, tree).rstrip().split("\n")[-30:])
        return None, f"the grader stopped with status {status}:\n{tail}"


def python(tree):
    """The Python that has pytest (common/mk/find-python, as make grade uses)."""
    try:
        return subprocess.run([os.path.join(tree, "common", "mk", "find-python")],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return sys.executable


def sanitize(results, tree):
    """Every text of results.json relative to the tree's top, without noise."""
    results["output"] = relative_paths(results.get("output", ""), tree)
    for t in results.get("tests", []):
        t["output"] = relative_paths(t.get("output", ""), tree)
    return results


def build_failed_results(collected, labdir, errors):
    """Score 0: a 'build' entry with the errors, every test listed as not run."""
    head = {"name": f"build: {labdir}", "score": 0, "max_score": 0, "status": "failed",
            "visibility": "visible",
            "output": f"{labdir} does not build, so no test ran. The compiler said:\n\n"
                      + "\n".join(errors)
                      + f"\n\nBuild it in your tree with `make -C {labdir}` to see all of it."}
    tests = [head]
    for t in (collected or {}).get("tests", []):
        t = dict(t, score=0, status="failed",
                 output=(t.get("output", "") + "\n\nnot run: the submission does not build"
                         ).lstrip())
        tests.append(t)
    return {"score": 0, "output": f"{labdir} does not build: score 0.\n\n" + "\n".join(errors),
            "tests": tests}


def unreadable_results(why):
    return {"score": 0,
            "output": f"Your submission could not be read: {why}\n"
                      "Hand in the archive `make submit` writes.",
            "tests": [{"name": "submission", "score": 0, "max_score": 0, "status": "failed",
                       "visibility": "visible", "output": why}]}


def grader_failed_results(why):
    return {"score": 0,
            "output": f"The autograder could not grade this submission: {why}\n"
                      "This is not a verdict on your code; tell the course staff.",
            "tests": [{"name": "autograder", "score": 0, "max_score": 0, "status": "failed",
                       "visibility": "visible", "output": why}]}


def describe_files(taken, missing, ignored, lab, labdir, tree):
    lines = [f"Graded as lab {lab} ({labdir}). From your submission, these files were used:"]
    lines += [f"  {p}" for p in taken] or ["  (none)"]
    if missing:
        lines.append("Not in your submission:")
        lines += [f"  {p}" + (" (the starter code was used)"
                              if os.path.exists(os.path.join(tree, p)) else "")
                  for p in missing]
    if ignored:
        lines.append("Ignored (only the files above are graded; everything else comes "
                     "from the course's tree):")
        lines += [f"  {i['path']}: {i['reason']}" for i in ignored[:50]]
        if len(ignored) > 50:
            lines.append(f"  ... and {len(ignored) - 50} more (extra_data.ignored)")
    return "\n".join(lines)


def finish(results, out, extra, started, file_note):
    """Complete results.json (visibility, extra data, time) and write it."""
    results.setdefault("max_score", sum(t.get("max_score", 0) for t in results.get("tests", [])))
    results.setdefault("visibility", "visible")
    results.setdefault("stdout_visibility", "hidden")
    for t in results.get("tests", []):
        t.setdefault("visibility", "visible")
    results["output"] = file_note + "\n\n" + results.get("output", "")
    results["execution_time"] = round(time.monotonic() - started)
    results["extra_data"] = extra
    tmp = os.path.join(out, "results.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "results.json"))


def autograde(lab, sub_path, out, hidden=None, jobs=None, timeout=DEFAULT_TIMEOUT,
              keep_scratch=False, repo=handout.REPO_ROOT, only=None, seed=None):
    started = time.monotonic()
    labs = handout.lab_dirs(repo)
    if lab not in labs:
        raise Usage(f"--lab {lab}: there is no lab{lab}-* directory in {repo}")
    labdir = labs[lab]
    if hidden and not os.path.isdir(hidden):
        raise Usage(f"--hidden {hidden}: not a directory")
    jobs = jobs or os.cpu_count() or 2
    os.makedirs(out, exist_ok=True)
    for stale in ("results.json", "build.log", "grade.log", "collect.log", "logs", "submitted"):
        remove(os.path.join(out, stale))   # a result never mixes two grades

    scratch = tempfile.mkdtemp(prefix=f"ochre-autograde-lab{lab}-")
    tree = os.path.join(scratch, "tree")
    try:
        seeded = seed and tree_from_seed(seed, tree, lab, hidden)
        if seeded:
            log(f"lab {lab}: the course's tree, built, copied from the seed {seed} to {tree}")
            hidden_files = seeded["hidden_files"]
        else:
            if seed:
                log(f"--seed {seed}: not a seed of lab {lab} with these hidden tests; not used")
            log(f"lab {lab}: making the course's tree in {tree}")
            try:
                handout.make_tree(tree, lab=lab, repo=repo, quiet=True)
            except SystemExit:   # handout.die(): the course's tree is broken, not the submission
                why = "making the course's tree of the lab failed (see the autograder's stdout)"
                finish(grader_failed_results(why), out, {"lab": lab, "status": "grader failed"},
                       started, f"Graded as lab {lab} ({labdir}).")
                return 0
            hidden_files = add_hidden(tree, hidden) if hidden else []
        try:
            sub = submission.read(sub_path, handout.editable_files(lab, repo), tree)
        except submission.Unreadable as e:
            log(f"unreadable submission: {e}")
            finish(unreadable_results(str(e)), out, {"lab": lab, "status": "unreadable"},
                   started, f"Graded as lab {lab} ({labdir}).")
            return 0
        place_files(sub, lab, tree, out)
        if seeded:
            newer_than_seed(tree, sub.taken, seeded)
        extra = {"lab": lab, "taken": sorted(sub.taken), "missing": sub.missing,
                 "ignored": sub.ignored, "notes": sub.notes, "hidden_files": len(hidden_files)}
        note = describe_files(sorted(sub.taken), sub.missing, sub.ignored, lab, labdir, tree)
        note += "".join("\n" + n for n in sub.notes)
        log(f"{len(sub.taken)} file(s) taken, {len(sub.missing)} missing, "
            f"{len(sub.ignored)} ignored; building {labdir}")
        results, extra["status"] = grade(tree, lab, labdir, jobs, timeout, out, only)
        logs = os.path.join(tree, "build", "grade", f"lab{lab}")
        if os.path.isdir(logs):
            shutil.copytree(logs, os.path.join(out, "logs"))
        finish(sanitize(results, tree), out, extra, started, note)
        log(f"score {results.get('score', 0)}; {os.path.join(out, 'results.json')}")
    finally:
        if keep_scratch:
            log(f"scratch tree kept: {tree}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def place_files(sub, lab, tree, out):
    """The taken files into the scratch tree, and a copy in out/submitted/."""
    made_for = (sub.manifest or {}).get("lab")
    if made_for is not None and made_for != lab:
        sub.notes.append(f"Note: this archive was made by `make submit` for lab {made_for}; "
                         f"it was graded as lab {lab}.")
    for path, data in sub.taken.items():
        for top in (tree, os.path.join(out, "submitted")):
            os.makedirs(os.path.dirname(os.path.join(top, path)), exist_ok=True)
            with open(os.path.join(top, path), "wb") as f:
                f.write(data)


def grade(tree, lab, labdir, jobs, timeout, out, only):
    """Build, then run the grader: (results, status for extra_data)."""
    ok, errors = build(tree, labdir, jobs, out)
    if not ok:
        log("the submission does not build: score 0")
        collected, _ = run_grader(tree, lab, jobs, timeout, out, collect_only=True, only=only)
        return build_failed_results(collected, labdir, errors), "build failed"
    log(f"grading with {jobs} QEMU(s) at a time")
    results, why = run_grader(tree, lab, jobs, timeout, out, only=only)
    if results is None:
        log(why.split("\n")[0])
        return grader_failed_results(why), "grader failed"
    return results, "graded"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the top of grader/autograde.py and docs/instructors.md.")
    p.add_argument("--lab", type=int, required=True, metavar="N")
    p.add_argument("submission", metavar="SUBMISSION")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--hidden", metavar="DIR", default=os.environ.get("OCHRE_HIDDEN") or None)
    p.add_argument("--jobs", "-j", type=int, metavar="J")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS")
    p.add_argument("--only", metavar="EXPR", help="only the tests pytest -k EXPR selects")
    p.add_argument("--seed", metavar="DIR", help="start from this built course tree "
                   "(make_seed; grader/batch makes one)")
    p.add_argument("--keep-scratch", action="store_true", help="keep the scratch tree")
    args = p.parse_args(argv)
    # SIGTERM (a batch stopping, Gradescope's limit) unwinds like Ctrl-C: the
    # running build or grader is killed and the scratch tree removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        return autograde(args.lab, args.submission, os.path.abspath(args.out),
                         hidden=args.hidden and os.path.abspath(args.hidden), jobs=args.jobs,
                         timeout=args.timeout, keep_scratch=args.keep_scratch, only=args.only,
                         seed=args.seed and os.path.abspath(args.seed))
    except Usage as e:
        print(f"autograde: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""What the host tests share: paths, compiling C for the host (with ASan and
UBSan) or with the kernel's own flags, running what was built, running make
as a student would, and trees to run it in.

Test files import the helpers (`from conftest import compile_c, run`); the
fixtures (repo_lock, starter, tree_copy, built_copy) pytest finds by itself.
"""

import contextlib
import fcntl
import functools
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "grader" / "host"

CC = shlex.split(os.environ.get("HOSTCC") or "cc")
SANITIZE = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
            "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
            "-I", str(ROOT / "common" / "include")]
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
SANITIZER_REPORTS = ("Sanitizer", "runtime error", "property violated")


@functools.lru_cache(maxsize=None)
def kernel_flags():
    """The flags kernel code is compiled with, read from the build
    (common/mk/lab.mk KERNEL_CODE_FLAGS), plus common/include."""
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT / "lab1-paging"),
                        "print-KERNEL_CODE_FLAGS"], capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        pytest.fail(f"cannot read the kernel's flags from the build:\n{r.stdout}{r.stderr}",
                    pytrace=False)
    return shlex.split(r.stdout) + ["-I", str(ROOT / "common" / "include")]


def compiler_include(cc):
    """The compiler's own header directory (stddef.h etc.), as the build
    passes it with -isystem."""
    return subprocess.run([cc, "-print-file-name=include"], capture_output=True,
                          text=True).stdout.strip()


def compilers():
    """The C compilers the build supports that are installed."""
    return [cc for cc in ("gcc", "clang") if shutil.which(cc)]


def compile_c(sources, out, flags=SANITIZE, cc=CC):
    """Compile sources into out (an executable, or an object with -c);
    a failure fails the test with the command and the compiler's output."""
    cmd = [*cc, *flags, *map(str, sources), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        pytest.fail(f"compiling failed:\n  {shlex.join(cmd)}\n{proc.stdout}{proc.stderr}\n"
                    f"(ASan/UBSan need the compiler's sanitizer runtimes, e.g. Debian's "
                    f"libasan8 and libubsan1)", pytrace=False)
    return out


def run(argv, check_sanitizers=True, text=True, timeout=120, **kw):
    """Run a host program built by compile_c; a sanitizer report (or a
    driver's "property violated") fails the test."""
    env = dict(os.environ, **SANITIZER_ENV)
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=text, env=env,
                          cwd=ROOT, timeout=timeout, **kw)
    if check_sanitizers:
        out = proc.stdout + proc.stderr
        if not text:
            out = out.decode(errors="replace")
        for report in SANITIZER_REPORTS:
            assert report not in out, out
    return proc


# ---- make, as a student runs it ----------------------------------------------

def typed_env(cwd=ROOT, **extra):
    """The environment of a command typed in cwd: nothing inherited from an
    outer make; extra variables added."""
    env = dict(os.environ, PWD=str(cwd), **extra)
    # make puts its command line's variables in the environment too: make
    # test's HOST_JOBS=4 made a nested `make host-test` start 4 workers.
    for var in ("CMDLINE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "HOST_JOBS", "HOST_ARGS", "JOBS"):
        env.pop(var, None)
    return env


def sh(cmd, cwd=ROOT, timeout=300):
    """Run a shell command as a student would type it in cwd (stdout and
    stderr together, no terminal, nothing inherited from an outer make)."""
    return subprocess.run(cmd, shell=True, cwd=str(cwd), env=typed_env(cwd),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def make(args, cwd=ROOT, **kw):
    return sh(f"make --no-print-directory {args}", cwd=cwd, **kw)


@contextlib.contextmanager
def locked_repo():
    """Holds this repository's build/ lock (see repo_lock)."""
    os.makedirs(ROOT / "build", exist_ok=True)
    with open(ROOT / "build" / ".host-tests.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield
        fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture
def repo_lock():
    """One test at a time builds or boots from this repository's build/."""
    with locked_repo():
        yield


def seed_build(tree, lab):
    """Start tree's build of lab N from this repository's build/labN
    (grader/handout.py seed_build): a tree copied with its files' times
    then compiles only what a test changes in it, not the whole lab. No
    build here: tree's build starts from nothing, as before."""
    with locked_repo():
        handout().seed_build(str(ROOT), str(tree), lab)


def handout():
    """grader/handout.py as a module (seed_build, repoint_deps)."""
    if str(ROOT / "grader") not in sys.path:
        sys.path.insert(0, str(ROOT / "grader"))
    import handout as module
    return module


@pytest.fixture(scope="session")
def starter(tmp_path_factory):
    """The student tree from `make handout` (every lab stripped), with lab 1
    built: its lab-1 tests fail. Made once per run, also with pytest -n (the
    workers share it through a lock in their common temporary directory)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    dest = shared / "starter" / "ochre"
    with open(shared / "starter.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / "build" / "lab1" / "ochre.iso").exists():
            r = sh(f"{shlex.quote(sys.executable)} grader/handout.py make {dest} --force")
            assert r.returncode == 0, r.stdout
            seed_build(dest, 1)   # compile only what stripping changed
            r = make("-j2 -C lab1-paging", cwd=dest)
            assert r.returncode == 0, r.stdout
    return str(dest)


def copy_sources(dest):
    """This tree's sources (no build/, no .git) copied to dest."""
    shutil.copytree(ROOT, dest, symlinks=True, ignore=shutil.ignore_patterns(
        "build", ".git", "__pycache__", "compile_commands.json"))
    return dest


@pytest.fixture(scope="session")
def _built_bases(tmp_path_factory):
    return shared_dir(tmp_path_factory)


def shared_dir(tmp_path_factory):
    """The directory of this run that every xdist worker sees."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    return shared


def built_once(tmp_path_factory, name, build):
    """build(path) makes the file `name` once per run, for every xdist
    worker (a lock; the others wait and share it): each worker compiling
    the same host driver cost make test's four workers ~1 CPU-s a copy.
    Returns its path."""
    shared = shared_dir(tmp_path_factory) / "built-once"
    shared.mkdir(exist_ok=True)
    path = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = shared / f"{name}.tmp"
            build(tmp)
            os.replace(tmp, path)
    return path


def sanitized_objects(tmp_path_factory, sources, flags):
    """Each source compiled to an object with flags once per run, for every
    xdist worker (built_once): the fuzz tests link the same engine and
    target with a different parser each; compiling them again per case
    cost ~0.8 CPU-s a case. Returns the objects' paths."""
    tag = hashlib.sha1("\0".join(map(str, flags)).encode()).hexdigest()[:10]
    return [built_once(tmp_path_factory, f"{Path(src).stem}-{tag}.o",
                       lambda out, src=src: compile_c([src], out, [*flags, "-c"]))
            for src in sources]


@pytest.fixture
def built_copy(_built_bases, tmp_path):
    """built_copy("lab4-userspace-exec") -> a copy of this tree, in tmp_path,
    with that lab already built, to change and rebuild with `make`: only
    what a change touches is rebuilt. The build is made once per run (the
    xdist workers share it through a lock) in a tree nobody changes; each
    test gets its own copy (timestamps kept, so make sees the build as up
    to date)."""
    def get(lab):
        base = _built_bases / ("built-" + lab) / "ochre"
        with open(_built_bases / f"built-{lab}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = base.parent / "done"
            if not done.exists():
                shutil.rmtree(base, ignore_errors=True)
                copy_sources(base)
                seed_build(base, int(lab[3]))   # from this repository's build of it
                r = make(f"-j2 -C {lab}", cwd=base, timeout=900)
                assert r.returncode == 0, r.stdout[-3000:]
                done.touch()
        dest = tmp_path / "ochre"
        handout().copy_tree(base, dest)
        handout().repoint_deps(dest / "build", base, dest)   # a header edit rebuilds
        return dest
    return get


@pytest.fixture
def tree_copy(tmp_path):
    """A copy of this tree (sources only) to change and build."""
    return copy_sources(tmp_path / "ochre")


# ---- what this tree is, and what a test needs of it --------------------------
#
# A student's tree (`make handout LAB=N`) has labs 1..N-1 solved, lab N
# stripped and no later labs. A host test that cannot run in such a tree says
# what it needs, and is skipped with a reason when the tree lacks it:
#
#     pytestmark = pytest.mark.needs(lab=5)      # lab 5's directory
#     @pytest.mark.needs(solved=2)               # lab 2's reference solution
#     @pytest.mark.needs(solved="latest")        # ... of the lab `make run` boots
#     @pytest.mark.needs(course=True)            # the solution regions (no handout)
#
# A test of a lab's code that only needs the lab (needs(lab=N), or nothing
# for lab 1) runs on the student's code in their tree, as the grade does.
# `-m needs` selects every test that declares a need.

def tree_labs():
    """The labs this tree has: its labN-* directories."""
    return set(handout().lab_dirs(str(ROOT)))


def student_labs():
    """The labs that are the student's work in this tree, as `make handout`
    wrote them into it (grader/handout.py TREE_FILE); none in the course's
    own tree, which has no such file."""
    path = ROOT / handout().TREE_FILE
    if not path.exists():
        return set()
    for line in path.read_text().splitlines():
        if line.startswith("student"):
            return {int(n) for n in line.split()[1:]}
    return set()


def unmet_need(lab=None, solved=None, course=False):
    """Why this tree cannot run a test that needs these, or None."""
    if course and (ROOT / handout().TREE_FILE).exists():
        return ("needs the course's own tree, with the reference solution's regions; "
                "a handout has none")
    if solved == "latest":
        solved = max(tree_labs(), default=None)
    for n in (lab, solved):
        if n is not None and n not in tree_labs():
            return f"needs lab {n}, which this tree does not have yet"
    if solved is not None and solved in student_labs():
        return (f"checks the reference solution; in your tree lab {solved} is yours "
                f"(`make grade` in its directory tests it)")
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(lab=N, solved=N, course=True): what a host "
                            "test needs of the tree; skipped where it is missing (conftest.py)")


def pytest_collection_modifyitems(items):
    # A skip mark (not pytest.skip here): -rs then names the test, not this file.
    for item in items:
        for mark in item.iter_markers("needs"):
            reason = unmet_need(**mark.kwargs)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
                break

"""Batch grading (grader/batch, make batch, grader/batch.sbatch on Slurm) of
four lab-1 submissions: a batch killed half-way and started again grades
only what was missing, each submission gets its right score, and no QEMU of
theirs is left running afterwards.

The four (lab 1 is the cheapest lab to grade; 42 points), in the order a
batch grades them:

    correct   the reference solution, as a .tar.gz             42/42
    garbled   an archive that is not one                        0/0   unreadable
    nobuild   the solution with a syntax error                  0/42  build failed
    wrong     the solution with two mistakes:                  30/42
              kfree panics: the heap tests (2 + 4 + 2 points)
              fail at once, with the panic as the headline;
              pagefault_report stops the timer and halts
              forever with interrupts off after the report's
              first line: test_pagefault (4) times out waiting
              for the second. It also "fixes" the kernel tests
              to return at once and adds a file of lab 2: both
              ignored, or it would get 42

Each graded submission costs about 21 QEMU boots (lab 0 and lab 1 tests),
so only two of them boot; the test's CPU time is mostly theirs. wrong is
named to be graded last, after the kill, so that its boots and its 10 s
wait are paid once. (The two mistakes in one submission cost a grade less
than two; a batch of the starter code, 0/42, would add nothing of the
batch's own: every point test failing on the starter is handout-check's
proof.)
"""

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import time
import uuid

import pytest

from conftest import ROOT, sh, typed_env

sys.path.insert(0, str(ROOT / "grader"))
import handout  # noqa: E402

# Lab 1's files with code to write (its answers file, also handed in, is
# not in this tree: the submissions leave it out).
LAB_FILES = [p for p in handout.editable_files(1) if (ROOT / p).exists()]
EXPECTED = {   # submission -> (score, max, status)
    "correct": (42, 42, "graded"),
    "garbled": (0, 0, "unreadable"),
    "nobuild": (0, 42, "build failed"),
    "wrong": (30, 42, "graded"),
}
ARCHIVES = ("correct", "garbled")
# The tests each broken submission must fail (and no others).
FAILING = {
    "wrong": {"test_heap_basic", "test_heap_stress", "test_heap_reuse", "test_pagefault"},
}


def solution_region(text, title):
    """The index just after the BEGIN line of the solution region titled
    title (the marker is spelled in pieces so this file has none)."""
    begin = "/* BEGIN LAB" + "1 SOLUTION: " + title + " */\n"
    return text.index(begin) + len(begin)


def write_files(dest, files):
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def make_submissions(dest, scratch, names=tuple(EXPECTED)):
    """The submissions of the module docstring that names lists, in dest."""
    solved = {p: (ROOT / p).read_text() for p in LAB_FILES}
    subs = {}
    subs["correct"] = solved

    wrong = dict(solved)
    heap = wrong["lab1-paging/kernel/heap.c"]
    at = solution_region(heap, "§5 kfree")
    wrong["lab1-paging/kernel/heap.c"] = (heap[:at] + "\tif (p)\n\t\tpanic(\"kfree: "
                                          "this submission panics\");\n" + heap[at:])
    tests = "lab1-paging/kernel/paging_tests.c"
    tampered, n = re.subn(r"^(KTEST\(\w+\)\n\{)$", r"\1 return;",
                          (ROOT / tests).read_text(), flags=re.M)
    assert n >= 10, f"{tests}: the KTEST pattern matched {n} times"
    wrong.update({tests: tampered, "lab2-contexts/kernel/extra.c": "int tampered;\n"})
    pf = wrong["lab1-paging/kernel/pagefault.c"]
    # After the report's first line: test_pagefault then waits 10 s, not 30,
    # for the RIP line. QEMU's PIT ticks from reset, and under -icount
    # sleep=off QEMU spins a core through a halted guest's wait, warping
    # from tick to tick (7 CPU-s in 8 s); with the PIT stopped it sleeps.
    at = pf.index("\tprintk(\"  RIP", solution_region(pf, "§6 pagefault_report"))
    stop_pit = "\toutb(0x43, 0x30);\n\toutb(0x40, 1);\n\toutb(0x40, 0);\n"
    wrong["lab1-paging/kernel/pagefault.c"] = (pf[:at] + "\tasm volatile(\"cli\");\n" + stop_pit
                                               + "\tfor (;;)\n\t\tasm volatile(\"hlt\");\n"
                                               + pf[at:])
    subs["wrong"] = wrong

    nobuild = dict(solved)
    nobuild["lab1-paging/kernel/frame.c"] += "\nint this is not C;\n"
    subs["nobuild"] = nobuild

    dest.mkdir(parents=True)
    for name in names:
        if name == "garbled":
            (dest / "garbled.tar.gz").write_bytes(b"not an archive\n")
        elif name in ARCHIVES:      # as `make submit` writes one
            write_files(scratch / name, subs[name])
            with tarfile.open(dest / f"{name}.tar.gz", "w:gz") as tar:
                tar.add(scratch / name, arcname=name)
        else:
            write_files(dest / name, subs[name])


# ---- what the tests check ----------------------------------------------------

def tagged(tag, var="BATCH_TEST_TAG"):
    """[(pid, command)] of the processes whose environment has var=tag:
    with the default var, those a batch of this test started (autograde,
    pytest, QEMU all inherit it), and no one else's."""
    mark = f"{var}={tag}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                found.append((int(pid), f.read().replace(b"\0", b" ").decode()[:200]))
        except OSError:
            pass     # gone meanwhile, or a zombie
    return found


def assert_none_left(tag, what):
    """No process of the batch is left a few seconds after it ended (the
    kernel kills a PID namespace's processes asynchronously)."""
    deadline = time.monotonic() + 10
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = tagged(tag)
    assert not left, f"left running after {what}:\n" + "\n".join(f"  {p} {c}" for p, c in left)


def roster(out):
    with open(out / "roster.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["submission", "score", "max", "status"], rows[0]
    return {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows[1:]}


def results(out, name):
    with open(out / "submissions" / name / "results.json") as f:
        return json.load(f)


def outcomes(out, name):
    """{test name: (score, status)} of one graded submission."""
    return {t["name"]: (t["score"], t["status"]) for t in results(out, name)["tests"]}


def check_grades(out, names=tuple(EXPECTED)):
    """Each submission has its expected score, and the broken ones fail
    exactly the tests their mistake breaks."""
    got = roster(out)
    assert {n: got.get(n) for n in names} == {n: EXPECTED[n] for n in names}
    for name, tests in FAILING.items():
        if name not in names:
            continue
        failed = {t.split(": ")[-1] for t, (_, status) in outcomes(out, name).items()
                  if status == "failed"}
        assert failed == tests, f"{name}: failed {sorted(failed)}, expected {sorted(tests)}"
    if "nobuild" in names:
        assert "this is not C" in results(out, "nobuild")["output"]
    if "wrong" in names:
        output = {t["name"].split(": ")[-1]: t["output"] for t in results(out, "wrong")["tests"]}
        assert "this submission panics" in output["test_heap_basic"], output["test_heap_basic"]
        assert "TIMEOUT after 10s waiting for" in output["test_pagefault"], output["test_pagefault"]
        ignored = {i["path"] for i in results(out, "wrong")["extra_data"]["ignored"]}
        assert "lab1-paging/kernel/paging_tests.c" in ignored, ignored
        assert any(p.startswith("lab2-contexts") for p in ignored), ignored


def finished(out):
    """{name: (inode, mtime) of its results.json} of the graded submissions."""
    done = {}
    for d in (out / "submissions").iterdir() if (out / "submissions").exists() else []:
        st = os.stat(d / "results.json")
        done[d.name] = (st.st_ino, st.st_mtime_ns)
    return done


@pytest.fixture
def batch_env(tmp_path, monkeypatch):
    """HOME is tmp_path (the commands say ~/subs as docs/instructors.md
    does) and every process started carries a tag of its own."""
    tag = uuid.uuid4().hex
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("BATCH_TEST_TAG", tag)
    return tag


# ---- one machine -------------------------------------------------------------

def start(command, tag, log):
    """command typed at the top of the tree, in the background, every
    process of it tagged with tag, its output in the file log."""
    with open(log, "w") as f:
        return subprocess.Popen(["bash", "-c", command], cwd=ROOT,
                                env=typed_env(BATCH_TEST_TAG=tag), stdin=subprocess.DEVNULL,
                                stdout=f, stderr=subprocess.STDOUT)


def wait_ok(proc, log):
    assert proc.wait(timeout=900) == 0, log.read_text()
    return log.read_text()


@pytest.mark.timeout(900)
def test_batch_killed_and_resumed(tmp_path, batch_env):
    """Four submissions: `grader/batch --lab 1 ~/subs --out ~/out`, typed as
    docs/instructors.md shows it, is killed half-way (`kill PID`: SIGTERM)
    while a QEMU of it runs; no QEMU of it is left and the roster lists what
    it finished. `make batch SUBMISSIONS=~/subs LAB=1 OUT=~/out`, typed as
    the same page shows it, then grades only what is missing (the finished
    ones are not graded again), from the course tree the killed run built
    (the course is unchanged), and leaves no QEMU. In the end every
    submission has its right score and the broken one fails exactly the
    tests its mistakes break (check_grades): the known right outcomes are
    the oracle, so a second, uninterrupted batch to compare with would
    prove nothing more."""
    tag = batch_env
    make_submissions(tmp_path / "subs", tmp_path / "scratch")
    out = tmp_path / "out"
    proc = start("grader/batch --lab 1 ~/subs --out ~/out", tag, tmp_path / "killed.log")
    deadline = time.monotonic() + 600
    while len(finished(out)) < len(EXPECTED) // 2 or \
            not any("qemu-system" in c for _, c in tagged(tag)):
        assert proc.poll() is None, (tmp_path / "killed.log").read_text()
        assert time.monotonic() < deadline, "no half-way point with a QEMU running in 600 s"
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)     # bash execs grader/batch: `kill PID`
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM, (tmp_path / "killed.log").read_text()
    assert_none_left(tag, "grader/batch was killed")
    done = finished(out)
    assert len(done) < len(EXPECTED), "everything finished before the kill"
    assert set(roster(out)) == set(done)

    log = tmp_path / "resumed.log"
    text = wait_ok(start("make batch SUBMISSIONS=~/subs LAB=1 OUT=~/out", tag, log), log)
    assert f"{len(done)} already graded, not regraded: {' '.join(sorted(done))}" in text
    assert "built by an earlier run, is unchanged" in text, text
    now = finished(out)
    assert {n: now[n] for n in done} == done, "a finished submission was graded again"
    assert_none_left(tag, "make batch")
    assert set(roster(out)) == set(EXPECTED)
    check_grades(out)


# ---- Slurm -------------------------------------------------------------------

SLURM_CONF = """\
ClusterName=ochretest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={dir}/munge.socket
CredType=cred/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
NodeName=ochretest1 NodeHostname=localhost NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=test Nodes=ochretest1 Default=YES MaxTime=INFINITE State=UP
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def slurm(tmp_path, monkeypatch):
    """A one-node Slurm (Debian's slurm-wlm and munge) with everything of
    its own in a temporary directory: munge key and socket, configuration,
    state; SLURM_CONF points at it. The daemons run in the foreground as
    this test's children and are stopped and reaped afterwards."""
    if os.geteuid() != 0:
        pytest.skip("slurmd must run as root to start jobs as the user who submits them; "
                    "this test starts Slurm's daemons itself")
    d = tmp_path / "slurm"
    for sub in ("state", "spool"):
        (d / sub).mkdir(parents=True)
    (d / "munge").mkdir(mode=0o700)
    key = d / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = d / "slurm.conf"
    conf.write_text(SLURM_CONF.format(dir=d, ctld_port=free_port(), slurmd_port=free_port(),
                                      cpus=os.cpu_count()))
    monkeypatch.setenv("SLURM_CONF", str(conf))
    # The daemons are not the batch's: without its tag (jobs get the tag
    # from sbatch, which passes on the environment of whoever submits).
    env = {k: v for k, v in os.environ.items() if k != "BATCH_TEST_TAG"}
    quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                 env=env)
    daemons = [subprocess.Popen(
        ["munged", "--foreground", "--force", f"--socket={d}/munge.socket",
         f"--key-file={key}", f"--pid-file={d}/munged.pid", f"--log-file={d}/munged.log",
         f"--seed-file={d}/munged.seed"], **quiet)]
    try:
        wait_for(lambda: (d / "munge.socket").exists(), 10, "munged's socket", d)
        daemons.append(subprocess.Popen(["slurmctld", "-D", "-c", "-f", str(conf)], **quiet))
        daemons.append(subprocess.Popen(["slurmd", "-D", "-N", "ochretest1", "-f", str(conf)],
                                        **quiet))
        wait_for(lambda: subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True,
                                        text=True).stdout.strip() == "idle",
                 30, "the node to be idle (sinfo)", d)
        assert len(tagged(str(conf), var="SLURM_CONF")) >= 3, "the check below sees nothing"
        yield d
    finally:
        for proc in reversed(daemons):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # slurmd's step daemons (slurmstepd) detach from it; they have its
    # environment, SLURM_CONF included.
    left = tagged(str(conf), var="SLURM_CONF")
    assert not left, "Slurm processes left:\n" + "\n".join(f"  {p} {c}" for p, c in left)


def wait_for(ready, seconds, what, logs):
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            text = "".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in
                           sorted(logs.glob("*.log")))
            pytest.fail(f"no {what} after {seconds} s\n{text}", pytrace=False)
        time.sleep(0.2)


def documented_commands(section):
    """The ```sh block of a section of docs/instructors.md."""
    text = (ROOT / "docs" / "instructors.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", body, re.S).group(1)


@pytest.mark.timeout(600)
def test_slurm_array(tmp_path, batch_env, slurm):
    """docs/instructors.md's Slurm commands, as typed, on a one-node Slurm
    over three submissions (the solution, one that does not build, an
    archive that cannot be read): one array task grades each, the final job
    writes the roster and grades nothing again."""
    tag = batch_env
    make_submissions(tmp_path / "subs", tmp_path / "scratch",
                     names=("correct", "nobuild", "garbled"))

    r = sh(documented_commands("Slurm"), timeout=60)
    assert r.returncode == 0, r.stdout
    wait_for(lambda: not subprocess.run(["squeue", "-h"], capture_output=True,
                                        text=True).stdout.strip(),
             600, "end of the jobs (squeue)", slurm)
    out = tmp_path / "graded"
    logs = sorted(p.name for p in (out / "logs").glob("slurm-*.log"))
    tasks = [n for n in logs if "_" in n]
    assert len(tasks) == 3 and len(logs) == 4, logs
    final = next((out / "logs" / n).read_text() for n in logs if "_" not in n)
    assert "3 already graded, not regraded" in final, final
    names = ("correct", "nobuild", "garbled")
    assert set(roster(out)) == set(names)
    check_grades(out, names)
    assert_none_left(tag, "the Slurm jobs")


def test_batch_killed_outright_leaves_no_qemu(tmp_path, batch_env):
    """grader/batch killed with SIGKILL while a QEMU of it runs: nothing it
    started survives (each autograde is PID 1 of a PID namespace that dies
    with it), and nothing is counted as graded."""
    tag = batch_env
    make_submissions(tmp_path / "subs", tmp_path / "scratch", names=("correct",))
    proc = subprocess.Popen(["bash", "-c", "grader/batch --lab 1 ~/subs --out ~/out"], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while not any("qemu-system" in c for _, c in tagged(tag)):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no QEMU of the batch in 300 s"
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    assert_none_left(tag, "grader/batch was killed with SIGKILL")
    assert finished(tmp_path / "out") == {}


def test_batch_hidden_tests_count(tmp_path, batch_env):
    """make batch HIDDEN=dir reaches autograde: the example's hidden tests
    (4 points) are in the maximum, also for a submission that does not
    build (the cheapest one to grade)."""
    make_submissions(tmp_path / "subs", tmp_path / "scratch", names=("nobuild",))
    r = sh("make batch SUBMISSIONS=~/subs LAB=1 OUT=~/out HIDDEN=grader/hidden-example",
           timeout=300)
    assert r.returncode == 0, r.stdout
    assert roster(tmp_path / "out") == {"nobuild": (0, 46, "build failed")}
    names = [t["name"] for t in results(tmp_path / "out", "nobuild")["tests"]]
    assert any("hidden" in n for n in names), names

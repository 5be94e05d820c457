"""Host tests of common/mk/phases.py, which runs make test's phases: stages
one after another, the phases of a stage side by side, each phase's output
in its own log, a failed phase's log tail shown, and nothing left running
when it is stopped."""

import os
import signal
import subprocess
import sys
import time

from conftest import ROOT

PHASES = str(ROOT / "common" / "mk" / "phases.py")


def phases(logdir, *args, **kw):
    return subprocess.run([sys.executable, PHASES, str(logdir), *args],
                          capture_output=True, text=True, timeout=60, **kw)


def test_stages_run_in_order_and_phases_side_by_side(tmp_path):
    """Both phases of the first stage run at once (each waits for the
    other's file), the second stage starts after them; each phase's output
    is in its own log and each start and end is reported."""
    a, b = tmp_path / "a", tmp_path / "b"
    wait_for = "for i in $(seq 100); do [ -e {0} ] && break; sleep 0.05; done; [ -e {0} ]"
    run = phases(tmp_path / "logs",
                 f"one=touch {a}; {wait_for.format(b)}; echo one done",
                 f"two=touch {b}; {wait_for.format(a)}; echo two done",
                 "--", f"three=[ -e {a} ] && [ -e {b} ] && echo three done")
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("one", "two", "three"):
        assert f"[{name}] started: " in run.stdout
        assert f"[{name}] passed (" in run.stdout
        assert (tmp_path / "logs" / f"{name}.log").read_text() == f"{name} done\n"
    out = run.stdout
    assert out.index("[two] passed") < out.index("[three] started")
    assert out.index("[one] passed") < out.index("[three] started")


def test_failed_phase_stops_later_stages_and_shows_its_log(tmp_path):
    """A failed phase: its status, its log's tail, exit status 1; the other
    phases of its stage still finish, and the next stage never starts."""
    run = phases(tmp_path / "logs", "bad=echo the reason; exit 3", "good=echo fine",
                 "--", f"later=touch {tmp_path / 'ran'}")
    assert run.returncode == 1
    assert "[bad] FAILED with status 3" in run.stdout
    assert "[good] passed" in run.stdout
    assert "===== [bad] failed: the last 80 lines of its log =====\nthe reason" in run.stdout
    assert "[later]" not in run.stdout
    assert not (tmp_path / "ran").exists()


def test_usage_errors(tmp_path):
    for args in ([], ["x"], ["a=true", "--"], ["--", "a=true"]):
        run = phases(tmp_path / "logs", *args)
        assert run.returncode != 0 and run.stderr.strip(), args


def test_stopped_leaves_nothing_running(tmp_path):
    """SIGTERM to phases.py (Ctrl-C does the same) stops every phase and
    what each started, although each runs in its own process group."""
    # Sleeps of lengths no other process here uses, so pgrep finds only them.
    naps = [str(3000 + os.getpid() % 1000 * 3 + i) for i in range(3)]
    proc = subprocess.Popen([sys.executable, PHASES, str(tmp_path / "logs"),
                             f"a=sleep {naps[0]} & sleep {naps[1]}; echo a",
                             f"b=sleep {naps[2]}; echo b"],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while len(sleepers(naps)) < 3:
        assert time.monotonic() < deadline, "the phases did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10
    while sleepers(naps):
        assert time.monotonic() < deadline, f"a phase's process survived: {sleepers(naps)}"
        time.sleep(0.1)


def sleepers(naps):
    """The pids of the phases' sleep processes still running."""
    out = subprocess.run(["pgrep", "-x", "-f", f"sleep ({'|'.join(naps)})"],
                         capture_output=True, text=True).stdout
    return out.split()

"""A student's tree runs `make host-test`: the host tests it cannot run skip
themselves with a reason (pytest.mark.needs, conftest.py), the ones it can
run test the student's code.

Each test makes the tree of one lab (`make handout LAB=N`: labs before N
solved, lab N stripped, later labs absent) and runs `make host-test` in it
as a student types it. `-k needs` selects every test that declares a need of
the tree (the only ones the tree's shape decides); the rest of the suite
does not depend on it (a full `make host-test` in a lab-2 tree: no failure,
no error; too slow to repeat here).
"""

import re

import pytest

from conftest import handout, make, seed_build, sh

# Makes handouts from the solution; a nested pytest, slow on a loaded machine.
pytestmark = [pytest.mark.needs(course=True), pytest.mark.timeout(600)]


def handout_tree(tmp_path, lab, seeded=()):
    """The tree a student starting lab `lab` gets, and what it says it is.
    The builds of the labs in seeded start from this repository's
    (conftest.seed_build, as handout-check's do): make compiles only the
    files the handout changed, and the tree is the same."""
    dest = tmp_path / f"handout-lab{lab}"
    handout().make_tree(str(dest), lab=lab, quiet=True)
    for n in seeded:
        seed_build(dest, n)
    text = (dest / handout().TREE_FILE).read_text()
    assert f"\nstudent {lab}\n" in text, text
    assert f"\nsolved {' '.join(map(str, range(1, lab)))}\n" in text, text
    return dest


def summary(out):
    """{"passed": n, "failed": n, ...} from pytest's summary line (the last
    line with the run's time: what a test printed cannot count)."""
    lines = re.findall(r"^.*\bin [\d.]+s\b.*$", out, re.M)
    assert lines, out[-3000:]
    counts = {}
    for n, what in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", lines[-1]):
        counts[what.rstrip("s") if what.startswith("error") else what] = int(n)
    return counts


@pytest.mark.parametrize("lab, command", [
    (1, "make host-test HOST_ARGS='-k accounting'"),
    (3, "make host-test HOST_ARGS='-k path_canon'"),
])
def test_handout_command_tests_the_students_code(tmp_path, lab, command):
    """The host test a lab's HANDOUT names runs, as typed there, on the
    student's code: the starter fails it (it is not skipped)."""
    tree = handout_tree(tmp_path, lab)
    labdir = handout().lab_dirs(str(tree))[lab]
    assert command in (tree / labdir / "HANDOUT.md").read_text()
    r = sh(command, cwd=tree)
    counts = summary(r.stdout)
    assert r.returncode != 0 and counts.get("failed", 0) > 0, r.stdout[-3000:]
    assert not counts.get("skipped") and not counts.get("error"), r.stdout[-3000:]


def test_lab2_tree_skips_what_it_cannot_run(tmp_path):
    """In a lab-2 tree every test that needs something of the tree passes or
    skips with a reason a student understands; lab 1's test runs and passes
    (lab 1 is solved there). The tests that run build labs 1 and 2 in the
    tree: those builds are seeded."""
    tree = handout_tree(tmp_path, 2, seeded=(1, 2))
    # One seed of lab 1's accounting test (-rsp: skips and passes listed).
    r = make("host-test HOST_ARGS=\"-k 'needs or accounting[42]' -rsp\"", cwd=tree)
    counts = summary(r.stdout)
    assert r.returncode == 0, r.stdout[-3000:]
    assert not counts.get("failed") and not counts.get("error"), r.stdout[-3000:]
    assert re.search(r"^PASSED \S*test_mapper_accounting\[42\]", r.stdout, re.M), \
        r.stdout[-3000:]
    for reason in ("in your tree lab 2 is yours", "needs lab 3, which this tree does not have",
                   "needs lab 5, which this tree does not have", "a handout has none"):
        assert reason in r.stdout, r.stdout[-3000:]


def test_lab6_tree_runs_earlier_labs_tests(tmp_path):
    """In a lab-6 tree the host tests of solved labs 3 and 5 run there (not
    skipped) and pass."""
    tree = handout_tree(tmp_path, 6)
    r = make("host-test HOST_ARGS=\"-k 'path_canon or canon_other_seeds'\"", cwd=tree)
    counts = summary(r.stdout)
    assert r.returncode == 0, r.stdout[-3000:]
    assert counts.get("passed", 0) == 4 and not counts.get("skipped"), r.stdout[-3000:]

"""Slowest tests first.

pytest-xdist hands tests to its workers in collection order; a long test
collected last runs alone at the end while the other workers idle. So each
graded run remembers how long every test took (setup, call and teardown)
in <build root>/grade/durations.json (a host-test run: build/host-test/,
with HOST_HINT for a fresh clone), and the next run starts with the
tests it does not know yet (a new test may be long), then the known ones,
longest first. Every worker reads the same file, so all collect the same
order, as xdist requires. The file is only a hint: a missing or damaged
one means source order.
"""

import json
import os

FILE = "durations.json"
# The host tests' times, kept in the repository so that a fresh clone's
# first run (make test's, in CI) starts with the longest too; refresh it
# with `cp build/host-test/durations.json grader/host/durations.json` after
# a full run when host tests are added or get slower.
HOST_HINT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "host", FILE)


def load(path):
    """{nodeid: seconds} from path, or {}."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, (int, float))}


def order(items, known):
    """items sorted in place: unknown tests first (in source order), then
    known ones, longest first."""
    items.sort(key=lambda item: (0, 0) if item.nodeid not in known
               else (1, -known[item.nodeid]))


def save(path, measured):
    """Add this run's times to the file (atomically: concurrent runs may
    lose each other's update, never corrupt the file)."""
    if not measured:
        return
    data = load(path)
    data.update(measured)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=0, sort_keys=True)
    os.replace(tmp, path)


class Recorder:
    """Adds up each test's phases as their reports arrive (in the process
    that sees every report: the xdist controller, or pytest itself)."""

    def __init__(self):
        self.measured = {}

    def pytest_runtest_logreport(self, report):
        self.measured[report.nodeid] = self.measured.get(report.nodeid, 0.0) + report.duration


def make_scheduler(config, log):
    """An xdist scheduler that honours the slowest-first order, or None
    (xdist's own) where it cannot.

    xdist's "load" scheduler hands each worker a block of consecutive
    tests to start with, a quarter of its share: with the longest tests
    first, one worker got all of them (make test's host tests: one worker
    busy 119 s, the other three done after 68). Here each worker holds two
    tests at a time (the one running and the next, which pytest needs to
    know), dealt in order as workers free up, so the longest run side by
    side first and the short ones fill the gaps."""
    try:
        from xdist.scheduler import LoadScheduling
    except ImportError:
        return None
    if not all(hasattr(LoadScheduling, name) for name in
               ("_send_tests", "_check_nodes_have_same_collection", "collection_is_completed")):
        return None     # another xdist: its own scheduler, in source order

    class SlowestFirstScheduling(LoadScheduling):
        def schedule(self):
            assert self.collection_is_completed
            if self.collection is not None:     # a node was added: top it up
                for node in self.nodes:
                    self.check_schedule(node)
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = list(self.node2collection.values())[0]
            self.pending[:] = range(len(self.collection))
            for _ in range(2):                  # dealt round robin
                for node in self.nodes:
                    if self.pending:
                        self._send_tests(node, 1)
            if not self.pending:
                for node in self.nodes:
                    node.shutdown()

        def check_schedule(self, node, duration=0):
            if node.shutting_down:
                return
            if not self.pending:
                node.shutdown()
                return
            held = len(self.node2pending[node])
            if held < 2:
                self._send_tests(node, 2 - held)

    return SlowestFirstScheduling(config, log)

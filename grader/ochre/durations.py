"""Slowest tests first.

pytest-xdist hands tests to its workers in collection order; a long test
collected last runs alone at the end while the other workers idle. So each
graded run remembers how long every test took (setup, call and teardown)
in <build root>/grade/durations.json, and the next run starts with the
tests it does not know yet (a new test may be long), then the known ones,
longest first. Every worker reads the same file, so all collect the same
order, as xdist requires. The file is only a hint: a missing or damaged
one means source order.
"""

import json
import os

FILE = "durations.json"


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

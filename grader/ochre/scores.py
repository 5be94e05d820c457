"""Scores: collect test outcomes, print the per-lab table, write results.json.

Works the same with and without pytest-xdist: every test report carries the
test's lab and points in report.user_properties (set at collection on the
worker), and the process that prints the summary (the xdist controller, or
pytest itself) sees every report through pytest_runtest_logreport.
"""

import json

# Keys used in report.user_properties.
LAB = "ochre_lab"
POINTS = "ochre_points"
DOC = "ochre_doc"
ORDER = "ochre_order"   # (file, line): the table lists tests in source order
FAILURE = "ochre_failure"   # GradeFailure.parts of a failed phase (ochre/report.py)
VISIBILITY = "ochre_visibility"

# Gradescope's visibilities, for a test and for the whole result.
VISIBLE = "visible"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
# The top-level output (the score table) is for the student; run_autograder's
# stdout (build and grader logs) is for the course staff.
RESULT_VISIBILITY = "visible"
STDOUT_VISIBILITY = "hidden"

# Gradescope shows each test's output; keep it readable.
_MAX_OUTPUT = 8000


class TestResult:
    def __init__(self, nodeid, name, lab, points, doc, order, visibility=VISIBLE):
        self.nodeid = nodeid
        self.visibility = visibility
        self.order = tuple(order) if order else (nodeid, 0)
        self.name = name
        self.lab = lab
        self.points = points
        self.doc = doc
        self.outcome = "passed"   # until a phase says otherwise
        self.output = []
        self.ran = False          # the call phase happened
        self.failures = []        # GradeFailure.parts of each failed phase

    @property
    def score(self):
        return self.points if self.passed else 0

    @property
    def passed(self):
        return self.ran and self.outcome == "passed"


class Scoreboard:
    def __init__(self, graded_lab, lab_names, partial=None):
        self.graded_lab = graded_lab     # N of --lab N, or None
        self.lab_names = lab_names       # {N: "lab1-paging"}
        self.partial = partial           # why only some tests ran (-k ...), or None
        self.results = {}                # nodeid -> TestResult, in report order

    def _result(self, nodeid, user_properties):
        props = dict(user_properties)
        result = self.results.get(nodeid)
        if result is None:
            result = TestResult(nodeid, nodeid.split("::")[-1], props.get(LAB),
                                props.get(POINTS, 0), props.get(DOC, ""), props.get(ORDER),
                                props.get(VISIBILITY, VISIBLE))
            self.results[nodeid] = result
        return result

    def add_collected(self, nodeid, user_properties):
        """A test that was collected but will not run (--collect-only)."""
        self._result(nodeid, user_properties)

    def add(self, report):
        result = self._result(report.nodeid, report.user_properties)
        if report.when == "call":
            result.ran = True
        if report.failed:
            result.outcome = "failed"
            failure = dict(report.user_properties).get(FAILURE)
            if failure:
                result.failures.append(failure)
            text = report.longreprtext
            if report.when != "call":
                text = f"[error in test {report.when}]\n{text}"
            result.output.append(text)
        elif report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            result.ran = True
            result.output.append(f"skipped: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}")

    def graded(self):
        """Kernel tests (those with a lab), sorted by lab then file order."""
        tests = [r for r in self.results.values() if r.lab is not None]
        return sorted(tests, key=lambda r: (r.lab, r.order))

    def by_lab(self):
        labs = {}
        for r in self.graded():
            labs.setdefault(r.lab, []).append(r)
        return labs

    def totals(self):
        """(score, max) over all point-bearing tests."""
        tests = self.graded()
        return sum(r.score for r in tests), sum(r.points for r in tests)

    def table(self):
        """The score table as a list of lines."""
        if not self.results or self.graded_lab is None:
            return []
        kernel = self.lab_names.get(self.graded_lab, f"lab{self.graded_lab}")
        lines = [f"Labs 0..{self.graded_lab} graded against the {kernel} kernel"]
        for lab, tests in sorted(self.by_lab().items()):
            title = "lab 0 (foundation, no points)" if lab == 0 else self.lab_names.get(lab, f"lab {lab}")
            lines.append("")
            lines.append(f"  {title}")
            for r in tests:
                mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[r.outcome]
                if not r.ran and r.outcome == "passed":
                    mark = "----"
                pts = f"{r.score:>3}/{r.points:<3}" if r.points else "       "
                lines.append(f"    {mark}  {pts} {r.name}")
            score = sum(r.score for r in tests)
            maximum = sum(r.points for r in tests)
            if maximum:
                lines.append(f"    lab {lab} total: {score}/{maximum}"
                             + (" (partial)" if self.partial else ""))
        score, maximum = self.totals()
        lines.append("")
        if self.partial:
            lines.append(f"  PARTIAL TOTAL: {score}/{maximum} of the tests selected by "
                         f"{self.partial}; `make grade` alone grades them all")
        else:
            lines.append(f"  TOTAL: {score}/{maximum}")
        return lines

    def gradescope(self, path, duration):
        """Write Gradescope's results.json (autograder specification format)."""
        score, maximum = self.totals()
        tests = []
        for r in self.graded() + [r for r in self.results.values() if r.lab is None]:
            output = "\n\n".join(r.output)
            if r.doc:
                output = f"{r.doc}\n\n{output}" if output else r.doc
            if len(output) > _MAX_OUTPUT:
                output = output[:_MAX_OUTPUT // 2] + "\n[... cut ...]\n" + output[-_MAX_OUTPUT // 2:]
            tests.append({
                "name": f"lab {r.lab}: {r.name}" if r.lab is not None else r.name,
                "score": r.score,
                "max_score": r.points,
                # A foundation test that does not apply here (skipped, no points) did not fail.
                "status": "passed" if r.passed or (r.outcome == "skipped" and not r.points)
                          else "failed",
                "visibility": r.visibility,
                "output": output,
            })
        data = {
            "score": score,
            "max_score": maximum,
            "execution_time": round(duration),
            "output": "\n".join(self.table()),
            "visibility": RESULT_VISIBILITY,
            "stdout_visibility": STDOUT_VISIBILITY,
            "tests": tests,
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")

"""The HTML report: one page per grading run, one per batch of runs.

A grading run (`make grade`) writes report.html beside its serial logs
(build/grade/labN/report.html; --html FILE elsewhere): the score per lab and
test, and for each failed test its first failing check, what was expected
and what was seen, the symbolized panic report if the kernel panicked, its
serial log, the command that reproduces the boot and how to record and
replay it. A batch page (`python3 grader/ochre/report.py batch DIR`;
grader/batch writes one beside its roster) lists the results.json files
under DIR, one row per submission, with links to their own pages
(report.html beside results.json or in its logs/), and which tests fail
most often.

Each page is self-contained: inline CSS, no JavaScript, no other file
needed (serial logs are copied in, cut at LOG_LIMIT). Every piece of text
from a test, a kernel or a submission goes through esc().
"""

import argparse
import html
import json
import os
import sys
import time

if __package__:
    from . import scores
else:   # run as a program: grader/ochre/report.py batch DIR
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from ochre import scores

LOG_LIMIT = 256 * 1024   # bytes of one serial log copied into the page

STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 75em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #176317; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
.skip, .none { color: #777; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.5em; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; }
pre.headline { background: #fff0f0; border-color: #e0a0a0; font-weight: bold; }
.total { font-size: 1.3em; }
"""


def esc(text):
    return html.escape(str(text), quote=True)


def page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def pre(text, cls=None):
    attr = f' class="{cls}"' if cls else ""
    return f"<pre{attr}>{esc(text)}</pre>"


def status_cell(outcome, ran=True):
    if not ran and outcome == "passed":
        return '<td class="none">not run</td>'
    word = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}.get(outcome, outcome)
    cls = {"passed": "pass", "failed": "fail"}.get(outcome, "skip")
    return f'<td class="{cls}">{esc(word)}</td>'


def anchor(result):
    return "fail-" + "".join(c if c.isalnum() else "-" for c in result.nodeid)


def read_log(path):
    """(text, note) of a serial log, cut to its last LOG_LIMIT bytes."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - LOG_LIMIT))
            data = f.read()
    except OSError as e:
        return "", f"(cannot read it: {e.strerror})"
    note = f"(the last {LOG_LIMIT // 1024} KiB of {size} bytes)" if size > LOG_LIMIT else ""
    return data.decode("utf-8", errors="replace").replace("\r", ""), note


# ---- one grading run ----------------------------------------------------------

def write_run(path, board, duration, record=False):
    """Write the page of one grading run (a scores.Scoreboard) to path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(render_run(board, duration, record))
    os.replace(tmp, path)


def render_run(board, duration, record=False):
    kernel = board.lab_names.get(board.graded_lab, f"lab{board.graded_lab}")
    title = f"Ochre grade: labs 0..{board.graded_lab} on the {kernel} kernel"
    score, maximum = board.totals()
    total = "PARTIAL TOTAL" if board.partial else "TOTAL"
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="total">{total}: <b>{score}/{maximum}</b></p>',
            f"<p>Graded {esc(time.strftime('%Y-%m-%d %H:%M:%S %Z'))} in {duration:.0f} s"
            + (f"; only the tests selected by {esc(board.partial)}" if board.partial else "")
            + ("; every boot recorded (--record)" if record else "") + ".</p>"]
    body += lab_tables(board)
    failed = [r for r in board.graded() if r.outcome == "failed"]
    failed += [r for r in board.results.values() if r.lab is None and r.outcome == "failed"]
    if failed:
        body.append(f"<h2>Failures ({len(failed)})</h2>")
        for r in failed:
            body += failure_section(r)
    return page(title, "\n".join(body))


def lab_tables(board):
    out = ["<h2>Score per lab</h2>", "<table>",
           "<tr><th>lab</th><th>score</th><th>passed</th><th>failed</th></tr>"]
    labs = board.by_lab()
    for lab, tests in sorted(labs.items()):
        got = sum(r.score for r in tests)
        of = sum(r.points for r in tests)
        passed = sum(r.passed for r in tests)
        failed = sum(r.outcome == "failed" for r in tests)
        name = "lab 0 (foundation, no points)" if lab == 0 else board.lab_names.get(lab, f"lab {lab}")
        out.append(f"<tr><td>{esc(name)}</td><td class=\"num\">{got}/{of}</td>"
                   f"<td class=\"num\">{passed}</td><td class=\"num\">{failed}</td></tr>")
    out.append("</table>")
    for lab, tests in sorted(labs.items()):
        name = "lab 0 (foundation, no points)" if lab == 0 else board.lab_names.get(lab, f"lab {lab}")
        out += [f"<h3>{esc(name)}</h3>", "<table>",
                "<tr><th>result</th><th>points</th><th>test</th><th>what it checks</th></tr>"]
        for r in tests:
            test = esc(r.name)
            if r.outcome == "failed":
                test = f'<a href="#{anchor(r)}">{test}</a>'
            pts = f"{r.score}/{r.points}" if r.points else ""
            out.append(f"<tr>{status_cell(r.outcome, r.ran)}<td class=\"num\">{pts}</td>"
                       f"<td>{test}</td><td>{esc(r.doc)}</td></tr>")
        out.append("</table>")
    return out


def failure_section(r):
    where = f"lab {r.lab}: " if r.lab is not None else ""
    pts = f" ({r.score}/{r.points})" if r.points else ""
    out = [f'<h3 id="{anchor(r)}">{esc(where + r.name)}{esc(pts)}</h3>']
    if r.doc:
        out.append(f"<p><i>What it checks:</i> {esc(r.doc)}</p>")
    parts = r.failures[0] if r.failures else {}
    headline = parts.get("headline") or (r.output[0].split("\n")[0] if r.output else "failed")
    out.append(pre(headline, "headline"))
    if parts.get("expected") or parts.get("seen"):
        out += ["<table>",
                f"<tr><th>expected</th><td>{pre(parts.get('expected', ''))}</td></tr>",
                f"<tr><th>seen</th><td>{pre(parts.get('seen', ''))}</td></tr>", "</table>"]
    if parts.get("panic"):
        out += ["<p><b>Kernel panic</b> (addresses symbolized with kernel.sym):</p>",
                pre(parts["panic"])]
    elif parts.get("details") and parts.get("details") != parts.get("seen"):
        out.append(pre(parts["details"]))
    if parts.get("reproduce"):
        out += ["<p><b>Reproduce this boot</b> (in the directory you graded from):</p>",
                pre(parts["reproduce"])]
    replay = parts.get("replay") or []
    if replay:
        out += [f"<p><b>{esc(replay[0].strip('- '))}</b>:</p>", pre("\n".join(replay[1:]))]
    for log in parts.get("logs") or ([parts["log"]] if parts.get("log") else []):
        text, note = read_log(log)
        lines = text.count("\n")
        out.append(f"<details{' open' if log == parts.get('log') else ''}><summary>serial log "
                   f"{esc(os.path.relpath(log))} ({lines} lines) {esc(note)}</summary>"
                   f"{pre(text)}</details>")
    out.append("<details><summary>the grader's complete message</summary>"
               f"{pre(chr(10).join(r.output))}</details>")
    return out


# ---- a batch of runs ------------------------------------------------------------

def find_results(root):
    """{submission: path of its results.json} under root (any depth up to
    3), submission named by its directory relative to root."""
    found = {}
    root = os.path.abspath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        depth = os.path.relpath(dirpath, root).count(os.sep)
        if depth >= 3:
            dirnames[:] = []
        dirnames.sort()
        if "results.json" in filenames:
            found[os.path.relpath(dirpath, root)] = os.path.join(dirpath, "results.json")
    return found


def load_results(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {"output": "results.json is not an object"}
    except (OSError, ValueError) as e:
        return {"output": f"cannot read results.json: {e}"}


def write_batch(path, root):
    """Write the page of the batch under root (its results.json files) to path."""
    text = render_batch(root, os.path.dirname(os.path.abspath(path)))
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def render_batch(root, page_dir):
    found = find_results(root)
    where = os.path.abspath(root)
    if os.path.basename(where) == "submissions":   # grader/batch's layout
        where = os.path.dirname(where)
    title = (f"Ochre batch {os.path.basename(where)}: {len(found)} "
             f"submission{'' if len(found) == 1 else 's'}")
    body = [f"<h1>{esc(title)}</h1>",
            f"<p>Made {esc(time.strftime('%Y-%m-%d %H:%M:%S %Z'))} from the results.json "
            "files.</p>",
            "<table>", "<tr><th>submission</th><th>score</th><th>failed tests</th>"
            "<th>report</th></tr>"]
    failures = {}   # test name -> number of submissions failing it
    for name, path in sorted(found.items()):
        data = load_results(path)
        tests = data.get("tests") or []
        failed = [t.get("name", "?") for t in tests if t.get("status") == "failed"]
        for t in failed:
            failures[t] = failures.get(t, 0) + 1
        score = f"{data.get('score', '?')}/{data.get('max_score', '?')}"
        own = [p for p in (os.path.join(os.path.dirname(path), "report.html"),
                           os.path.join(os.path.dirname(path), "logs", "report.html"))
               if os.path.exists(p)]
        link = (f'<a href="{esc(os.path.relpath(own[0], page_dir))}">report</a>'
                if own else "")
        shown = ", ".join(failed[:8]) + (f", and {len(failed) - 8} more" if len(failed) > 8 else "")
        if not tests and data.get("output"):
            shown = data["output"].split("\n")[0]
        body.append(f"<tr><td>{esc(name)}</td><td class=\"num\">{esc(score)}</td>"
                    f"<td>{esc(shown)}</td><td>{link}</td></tr>")
    body.append("</table>")
    if failures:
        body += ["<h2>Tests failed most often</h2>", "<table>",
                 "<tr><th>test</th><th>submissions failing it</th></tr>"]
        for test, n in sorted(failures.items(), key=lambda kv: (-kv[1], kv[0])):
            body.append(f"<tr><td>{esc(test)}</td><td class=\"num\">{n}/{len(found)}</td></tr>")
        body.append("</table>")
    return page(title, "\n".join(body))


def main(argv=None):
    p = argparse.ArgumentParser(description="Write the HTML page of a batch of grading runs.")
    sub = p.add_subparsers(dest="what", required=True)
    b = sub.add_parser("batch", help="one page over the results.json files under DIR")
    b.add_argument("dir")
    b.add_argument("-o", "--output", help="the page (default: DIR/report.html)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.dir):
        p.error(f"{args.dir} is not a directory")
    out = args.output or os.path.join(args.dir, "report.html")
    write_batch(out, args.dir)
    print(f"report.py: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

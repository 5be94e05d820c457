#!/usr/bin/env python3
"""Check that the handouts name only what the code has.

    handout_names.py [HANDOUT...]

For every handout (lab*/HANDOUT*.md and lab*/QUESTIONS.md unless named),
look at the text inside backticks and fenced C/assembly blocks:

* a call or prototype, `name(a, b)`, must name a function or macro of the
  sources that takes that many arguments (a C definition, prototype or
  `#define`; `name(...)` or `name(…)` checks the name only, `name()` too
  unless the function takes none, and a variadic function takes its
  fixed arguments or more; strace's `pipe2([3, 4], 0) = 0` shows the
  system call and is left alone);
* a C-looking name (with an underscore, or all capitals) must occur in
  the sources;
* a file (`kernel/procfile.c`, `<ochre/proc.h>`, `fork.asm`) must exist:
  beside the handout, under the repository root or an include directory,
  or, for a bare file name, anywhere in a lab or common/;
* a row of a test table (a backticked name, then points) must name a test of the
  lab's grader/test_labN*.py (`test_name`) worth that many points.

Names from elsewhere (Linux, Redox, POSIX text) are declared in the
handout itself, in an HTML comment that the rendered page does not show:

    <!-- names from elsewhere: userspace_clone UTEMP2USTACK -->

Prints one line per problem, `file:line: what`, and exits 1 if there is
any. Run by grader/host/test_handout_names.py.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SOURCE_GLOBS = ["common/**/*.c", "common/**/*.h", "common/**/*.asm",
                "common/**/*.S", "common/**/*.ld", "common/mk/*",
                "lab*/**/*.c", "lab*/**/*.h", "lab*/**/*.asm", "lab*/Makefile",
                "Makefile", "grader/*.py", "grader/ochre/*.py"]
INCLUDE_DIRS = ["common/include", "common/libc/include", "common/kernel",
                "common/lib"]
FILE_SUFFIXES = ("c", "h", "asm", "S", "ld", "py", "md", "mk", "sh", "txt")
C_KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "alignof",
              "_Alignof", "__typeof__", "typeof", "defined", "offsetof",
              "else", "do", "case"}
# Placeholders a handout writes for "any": `init=PROGRAM`, `user/NAME.c`.
PLACEHOLDERS = ("NAME", "PROGRAM", "WHY", "FILE")
ELSEWHERE = re.compile(r"<!--\s*names from elsewhere:(.*?)-->", re.S)


# ---- the sources: every word, and the arity of every function and macro ----

def balanced(text, start):
    """The text between the parenthesis at start and its partner, or None."""
    depth = 0
    for i in range(start, min(len(text), start + 2000)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return None


def split_args(inside):
    """Top-level comma-separated arguments of a call or parameter list."""
    args, depth, cur = [], 0, ""
    for ch in inside:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        args.append(cur.strip())
    return args


def arity(params):
    """(fixed count, variadic) of a C parameter list."""
    args = split_args(re.sub(r"\s+", " ", params))
    if args in ([], ["void"]):
        return (0, False)
    if args[-1] == "...":
        return (len(args) - 1, True)
    return (len(args), False)


# A C declaration or definition: `type name(params)` at the start of a line
# (after optional qualifiers), followed by `{`, `;` or an attribute.
DECL = re.compile(r"^[ \t]*(?:(?:static|inline|extern|const|unsigned|signed|"
                  r"struct|enum|noreturn|_Noreturn|__attribute__\(\([^)]*\)\))\s+)*"
                  r"[A-Za-z_]\w*(?:\s*\*+\s*|\s+\**)([A-Za-z_]\w*)\s*\(", re.M)
DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)", re.M)


class Sources:
    def __init__(self, root=ROOT):
        self.root = root
        self.words = set()
        self.arities = {}          # name -> set of (fixed, variadic)
        self.files = []
        for pattern in SOURCE_GLOBS:
            for f in sorted(root.glob(pattern)):
                if f.is_file() and "build" not in f.relative_to(root).parts:
                    self.read(f)

    def has(self, name):
        """Is name a word of the sources? A test's name may drop `test_`;
        a name ending in `_` is a prefix (`PTRACE_EV_`)."""
        if name in self.words or "test_" + name in self.words:
            return True
        return name.endswith("_") and any(w.startswith(name) for w in self.words)

    def read(self, f):
        text = f.read_text(errors="replace")
        self.words.update(re.findall(r"[A-Za-z_]\w*", text))
        if f.suffix not in (".c", ".h"):
            return
        for m in DEFINE.finditer(text):
            self.arities.setdefault(m.group(1), set()).add(arity(m.group(2)))
        for m in DECL.finditer(text):
            name = m.group(1)
            if name in C_KEYWORDS:
                continue
            inside = balanced(text, m.end() - 1)
            if inside is None:
                continue
            after = text[m.end() - 1 + len(inside) + 2:][:80].lstrip()
            if after[:1] in ("{", ";") or after.startswith("__attribute__"):
                self.arities.setdefault(name, set()).add(arity(inside))


# ---- the handouts ----

def handout_files(root=ROOT):
    return sorted(list(root.glob("lab*/HANDOUT*.md")) +
                  list(root.glob("lab*/QUESTIONS.md")))


def code_pieces(text):
    """(line number, code) for each inline code span and each fenced block
    of C or assembly. Inline spans may cross a line break, not a blank line."""
    pieces = []
    fence = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.S | re.M)
    plain = text
    for m in fence.finditer(text):
        line = text.count("\n", 0, m.start()) + 2
        if m.group(1) in ("c", "asm", "nasm"):
            pieces.append((line, m.group(2)))
        # blank out the block (keeping the line count) so spans skip it
        plain = plain[:m.start()] + re.sub(r"[^\n]", " ", m.group(0)) + plain[m.end():]
    # A run of n backticks opens a span that the next run of exactly n
    # closes, within the paragraph (CommonMark); an unclosed run is text.
    span = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)
    for m in span.finditer(plain):
        pieces.append((plain.count("\n", 0, m.start()) + 1, m.group(2)))
    return pieces


PATH = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.(?:%s))(?![\w/])"
                  % "|".join(FILE_SUFFIXES))
INCLUDE = re.compile(r"<([\w/]+\.h)>")


def file_exists(name, handout, src):
    root = src.root
    bases = ([handout.parent, root, root / "grader", root / "grader" / "host"] +
             [root / d for d in INCLUDE_DIRS])
    if any((b / name).exists() for b in bases):
        return True
    if "/" not in name or name.startswith(("kernel/", "libc/", "user/")):
        for top in list(root.glob("lab*")) + [root / "common"]:
            if any(top.glob("**/" + name)):
                return True
    return False


def check_piece(code, handout, src, elsewhere):
    """Problems in one piece of code: a list of strings."""
    problems = []
    # Files: a path-looking word, or <x/y.h>.
    for name in set(PATH.findall(code)) | set(INCLUDE.findall(code)):
        if (name in elsewhere or name.startswith("build/") or
                any(p in name for p in PLACEHOLDERS) or "labN" in name):
            continue
        if not file_exists(name, handout, src):
            problems.append(f"no file `{name}`")
    # Paths and string contents blanked, keeping every offset, so that
    # parentheses and commas in them do not count.
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))
    code_no_strings = re.sub(r'"[^"\n]*"', lambda m: '"' + " " * (len(m.group(0)) - 2)
                             + '"', PATH.sub(blank, code))
    # Calls and prototypes.
    for m in re.finditer(r"(?<![\w.>$-])([A-Za-z_]\w*)\s*\(", code_no_strings):
        name = m.group(1)
        if name in C_KEYWORDS or name in elsewhere:
            continue
        inside = balanced(code_no_strings, m.end() - 1)
        if not src.has(name):
            problems.append(f"`{name}` is not in the sources")
            continue
        if inside is None or name not in src.arities:
            continue
        if "..." in inside or "…" in inside or ".." in inside:
            continue        # elided: the name is what counts
        after = code_no_strings[m.end() + len(inside) + 1:]
        if re.match(r"\s*= (-?\d|\?)", after):
            continue        # strace's line: the system call, not libc's
        shown = arity(inside)[0]
        inside = code[m.end():m.end() + len(inside)].strip()
        known = src.arities[name]
        if any(n == shown or (var and shown >= n) for n, var in known):
            continue
        if shown == 0 and inside == "":
            continue        # `name()` names the function
        want = " or ".join(sorted(f"{n}{'+' if v else ''}" for n, v in known))
        problems.append(f"`{name}({inside})` shows {shown} argument"
                        f"{'s' if shown != 1 else ''}; the code's {name} takes {want}")
    # Names: with an underscore, or all capitals.
    for tok in set(re.findall(r"(?<![\w$])[A-Za-z_]\w*", code_no_strings)):
        if tok in elsewhere or src.has(tok) or any(p in tok for p in PLACEHOLDERS):
            continue
        if "_" in tok.strip("_") or (tok.isupper() and len(tok) > 1):
            problems.append(f"`{tok}` is not in the sources")
    return problems


TEST_ROW = re.compile(r"^\| `([a-z_0-9]+)(?:\[…\])?` \| (\d+) \|", re.M)


def check_tests(handout, text, root):
    """A test table's row (| `name` | points | ...) names a test of the
    lab's grader/test_labN*.py worth that many points."""
    lab = re.match(r"lab(\d+)", handout.parent.name)
    if not lab:
        return []
    tests = "".join(f.read_text() for f in sorted(
        (root / "grader").glob(f"test_lab{lab.group(1)}*.py")))
    out = []
    for m in TEST_ROW.finditer(text):
        name, points = m.group(1), int(m.group(2))
        test = name if name.startswith("test_") else "test_" + name
        d = re.search(r"((?:^@pytest\.mark\.[^\n]*\n)*)^def " + test + r"\(",
                      tests, re.M)
        line = text.count("\n", 0, m.start()) + 1
        if not d:
            out.append((line, f"test `{name}` is not in grader/test_lab{lab.group(1)}*.py"))
            continue
        marked = re.search(r"points\((\d+)\)", d.group(1))
        has = int(marked.group(1)) if marked else 0
        if has != points:
            out.append((line, f"test `{name}` is worth {has} points, not {points}"))
    return out


def check_handout(handout, src):
    text = handout.read_text()
    elsewhere = set()
    for m in ELSEWHERE.finditer(text):
        elsewhere.update(m.group(1).split())
    text = ELSEWHERE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    rel = handout.relative_to(src.root)
    out, seen = [], set()
    found = [(line, p) for line, code in code_pieces(text)
             for p in check_piece(code, handout, src, elsewhere)]
    for line, p in found + check_tests(handout, text, src.root):
        if p not in seen:       # one report per problem and handout
            seen.add(p)
            out.append(f"{rel}:{line}: {p}")
    return out


def main(argv):
    src = Sources()
    handouts = [Path(a).resolve() for a in argv] or handout_files()
    problems = []
    for h in handouts:
        problems += check_handout(h, src)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: a "
              "handout names what the code does not have (or declare a name "
              "from elsewhere in a `<!-- names from elsewhere: … -->` comment)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

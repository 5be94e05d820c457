#!/usr/bin/env python3
"""Build the Gradescope autograder zip of a lab: `make gradescope [LAB=N] [HIDDEN=dir]`.

    grader/gradescope.py [--lab N] [--hidden DIR] [--out DIR]

Writes DIR/labN.zip (default build/gradescope/) for each graded lab, or for
lab N only. At the top of the zip, as Gradescope's specification asks:
setup.sh (grader/gradescope/setup.sh: installs the Debian packages with
common/mk/deps.sh) and run_autograder (grader/gradescope/run_autograder
with the lab filled in: grades /autograder/submission with
grader/autograde.py and writes /autograder/results/results.json). Beside
them: ochre/, lab N's tree as `make handout LAB=N` makes it (labs before N
solved, lab N's starter code: lab N's solution is never in the zip, since a
submission's code is compiled in the same container), and hidden/, the
hidden tests if any (--hidden, default $OCHRE_HIDDEN). Upload the zip as the autograder of the lab's
programming assignment; see docs/instructors.md.
"""

import argparse
import os
import shutil
import sys
import tempfile
import zipfile

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)
import handout  # noqa: E402

SCRIPTS = os.path.join(GRADER_DIR, "gradescope")


def add_file(zf, src, name, executable=False):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    mode = 0o755 if executable or os.access(src, os.X_OK) else 0o644
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(src, "rb") as f:
        zf.writestr(info, f.read())


def add_text(zf, text, name, mode):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def build_zip(lab, out_dir, hidden, repo):
    path = os.path.join(out_dir, f"lab{lab}.zip")
    tmp = path + ".tmp"
    scratch = tempfile.mkdtemp(prefix=f"ochre-gradescope-lab{lab}-")
    try:
        tree = os.path.join(scratch, "ochre")
        handout.make_tree(tree, lab=lab, repo=repo, quiet=True)
        count = write_zip(tmp, lab, tree, hidden)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    os.replace(tmp, path)
    extra = f", {count} hidden file(s)" if hidden else ", no hidden tests"
    print(f"gradescope: {handout.show(path)}: lab {lab}'s tree (its starter code){extra}")
    return path


def write_zip(tmp, lab, tree, hidden):
    files = []
    for top, dirs, names in os.walk(tree):
        dirs.sort()
        links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        files += [os.path.relpath(os.path.join(top, n), tree) for n in sorted(names + links)]
    with zipfile.ZipFile(tmp, "w") as zf:
        add_file(zf, os.path.join(SCRIPTS, "setup.sh"), "setup.sh", executable=True)
        with open(os.path.join(SCRIPTS, "run_autograder"), encoding="utf-8") as f:
            add_text(zf, f.read().replace("@LAB@", str(lab)), "run_autograder", 0o755)
        for rel in files:
            full = os.path.join(tree, rel)
            if os.path.islink(full):
                info = zipfile.ZipInfo("ochre/" + rel, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o120777) << 16
                zf.writestr(info, os.readlink(full))
            else:
                add_file(zf, full, "ochre/" + rel)
        count = 0
        if hidden:
            for top, dirs, names in os.walk(hidden):
                dirs[:] = sorted(d for d in dirs if d not in handout.EXCLUDED_PARTS)
                for n in sorted(names):
                    full = os.path.join(top, n)
                    add_file(zf, full, "hidden/" + os.path.relpath(full, hidden))
                    count += 1
    return count


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lab", type=int, metavar="N", help="default: every graded lab")
    p.add_argument("--hidden", metavar="DIR", default=os.environ.get("OCHRE_HIDDEN") or None)
    p.add_argument("--out", metavar="DIR",
                   default=os.path.join(handout.REPO_ROOT, "build", "gradescope"))
    p.add_argument("--repo", default=handout.REPO_ROOT, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    repo = os.path.abspath(args.repo)
    labs = [args.lab] if args.lab is not None else handout.graded_labs(repo)
    for lab in labs:
        if lab not in handout.lab_dirs(repo):
            sys.exit(f"gradescope: there is no lab{lab}-* directory")
    if args.hidden and not os.path.isdir(args.hidden):
        sys.exit(f"gradescope: --hidden {args.hidden}: not a directory")
    os.makedirs(args.out, exist_ok=True)
    for lab in labs:
        build_zip(lab, args.out, args.hidden and os.path.abspath(args.hidden), repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write the archive a student hands in: `make submit` (or `make -C labN-x submit`).

    grader/submit.py [--lab N] [--out FILE]

Packs the files of lab N that a student edits (the lab directory's
SUBMIT.txt, written by `make handout`; in the course's own tree, the files
with lab N solution regions, and answers-labN.txt for a lab with written
questions) and a MANIFEST.json (lab, files, sizes,
SHA-256) into submit-labN.tar.gz at the top of the tree. N defaults to the
last lab of the tree. The archive is what grader/autograde.py and the
Gradescope autograder take; nothing else of the tree is graded, so nothing
else goes in.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)
import handout  # noqa: E402

# A stripped region (common/tools/handout.c writes "LABn: your code here").
UNSOLVED_RE = re.compile(r"\bLAB\d+: your code here\b")


def manifest(lab, labdir, files, missing):
    return {
        "lab": lab,
        "lab_dir": labdir,
        "made": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                  for p, d in files],
        "missing": missing,
    }


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0          # the archive depends on the files only
    tar.addfile(info, io.BytesIO(data))


def submit(lab, out, repo):
    labs = handout.lab_dirs(repo)
    if lab not in labs:
        known = ", ".join(str(n) for n in sorted(labs)) or "none"
        sys.exit(f"make submit: this tree has no lab {lab} (labs: {known})")
    labdir = labs[lab]
    files, missing, unsolved = [], [], []
    for path in handout.editable_files(lab, repo):
        full = os.path.join(repo, path)
        if not os.path.isfile(full) or os.path.islink(full):
            missing.append(path)
            continue
        with open(full, "rb") as f:
            data = f.read()
        files.append((path, data))
        left = len(UNSOLVED_RE.findall(data.decode("utf-8", errors="replace")))
        if left:
            unsolved.append(f"{path} ({left} place(s) still say 'your code here')")
    if not files:
        sys.exit(f"make submit: none of lab {lab}'s files are in this tree "
                 f"(see {labdir}/{handout.SUBMIT_LIST})")
    meta = json.dumps(manifest(lab, labdir, files, missing), indent=2).encode() + b"\n"
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            add(tar, "MANIFEST.json", meta)
            for path, data in files:
                add(tar, path, data)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, out)

    print(f"make submit: wrote {handout.show(out)} with {len(files)} file(s) of lab {lab}:")
    for path, data in files:
        print(f"  {path} ({len(data)} bytes)")
    for path in missing:
        print(f"  missing: {path}")
    for note in unsolved:
        print(f"  note: {note}")
    print("Hand in that file (on Gradescope: upload it as it is). Only these files are "
          "graded; every other file comes from the course's tree.")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lab", type=int, metavar="N", help="default: the last lab of the tree")
    p.add_argument("--out", metavar="FILE", help="default: submit-labN.tar.gz at the top")
    p.add_argument("--repo", default=handout.REPO_ROOT, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    repo = os.path.abspath(args.repo)
    lab = args.lab if args.lab is not None else max(handout.lab_dirs(repo), default=0)
    out = os.path.abspath(args.out or os.path.join(repo, f"submit-lab{lab}.tar.gz"))
    return submit(lab, out, repo)


if __name__ == "__main__":
    sys.exit(main())

"""--record: every boot's QEMU execution recorded for `make replay`.

QEMU's record/replay (common/mk/qemu.py builds its arguments) writes, per
boot, `<test>.rr` (the nondeterministic inputs) and `<test>.rr.qcow2` (the
snapshot at the start that reverse debugging replays from). This module adds
`<test>.rr.json`, what common/mk/replay.py needs to run it again: the kernel
command line, the QEMU arguments, and copies of the files that booted (the
kernel ELF and its modules, or the ISO) named by their content in `replay/` beside the logs, so that a rebuild
after the recording cannot change what the replay runs. It also writes the
lines a failure message prints on how to record and replay a boot.
"""

import hashlib
import json
import os
import shlex
import shutil

from . import tree

STORE = "replay"   # directory beside the logs with the frozen ISOs and kernels


def frozen_copy(path, store):
    """A copy of path in store named by its content (made once; atomic, so
    xdist workers may race). Returns the copy's path."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    name = os.path.basename(path)
    copy = os.path.join(store, f"{digest.hexdigest()[:16]}-{name}")
    if not os.path.exists(copy):
        os.makedirs(store, exist_ok=True)
        tmp = f"{copy}.{os.getpid()}.tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, copy)
    return copy


def prepare(base, cmdline, files, kernel, test):
    """Set up the recording of one boot whose logs start with base
    (build/grade/labN/<test>). files: what the boot reads, as
    qemu.read_qemu_args takes it ({"iso": path} or {"kernel": ...,
    "modules": ...}); kernel: the ELF gdb reads symbols from. Returns (rr,
    frozen files): the rr argument of qemu.qemu_argv and the copies to boot."""
    log_dir = os.path.dirname(base)
    store = os.path.join(log_dir, STORE)
    frozen = {key: frozen_copy(path, store) for key, path in files.items()}
    kernel_copy = frozen_copy(kernel, store) if os.path.exists(kernel) else None
    rrfile, snapshots = base + ".rr", base + ".rr.qcow2"
    for old in (rrfile, snapshots):
        if os.path.exists(old):
            os.unlink(old)
    tree.qemu.create_snapshot_image(snapshots)
    info = {
        "test": test,
        "cmdline": cmdline,
        # "{iso}", "{kernel}", "{modules}" stand for the files below; every
        # path is relative to this file.
        "qemu_args": tree.read_qemu_args(tree.REPO_ROOT, **{k: "{%s}" % k for k in files}),
        "files": {"{%s}" % k: os.path.relpath(v, log_dir) for k, v in frozen.items()},
        "kernel": os.path.relpath(kernel_copy, log_dir) if kernel_copy else None,
        "rrfile": os.path.basename(rrfile),
        "snapshots": os.path.basename(snapshots),
        "log": os.path.basename(base) + ".log",
    }
    with open(base + ".rr.json", "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    return ("record", rrfile, snapshots), frozen


def hint(lab_dir, base, test_name, recorded, grade_dir=None, cwd=None):
    """The lines a failure message ends with: how to replay this boot (and
    step backwards in gdb), and, when it was not recorded, how to record it.

    base: the boot's log base (build/grade/labN/<test>); test_name: the test
    function, for -k. grade_dir: the directory of the logs when it is not
    the lab's own build/grade/labN (grading with --build-root).
    """
    rel = os.path.relpath(lab_dir, cwd or os.getcwd())
    make = "make" if rel == "." else f"make -C {shlex.quote(rel)}"
    where = f" GRADE_DIR={shlex.quote(os.path.abspath(grade_dir))}" if grade_dir else ""
    name = os.path.basename(base)
    replay = [f"{make} replay TEST={name}{where}", f"{make} replay-gdb TEST={name}{where}"]
    if recorded:
        return ["--- replay this recorded boot (replay-gdb: gdb can step backwards) ---",
                *replay]
    if grade_dir:
        return []   # another tree's build: its own grade command records it
    return ["--- record this test, then replay it (replay-gdb: gdb can step backwards) ---",
            f"{make} grade GRADE_ARGS='--record -k {test_name}'", replay[0]]

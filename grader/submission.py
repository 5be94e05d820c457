"""Read a submission: which files a student handed in, and which count.

A submission is a directory or an archive (.tar, .tar.gz, .tgz, .zip), laid
out like the tree (lab1-paging/kernel/frame.c ...), perhaps under one top
directory, with or without the MANIFEST.json that `make submit` writes.
Only regular files at the paths of the lab's editable files are taken;
everything else is reported: symbolic links (never followed), paths that
leave the tree, files too large, files the lab does not let a student
change. Nothing is extracted to disk: the caller writes the taken files
into its scratch tree itself.
"""

import json
import os
import stat
import tarfile
import zipfile

MAX_FILE = 1 << 20        # an editable file larger than this is not taken
MAX_TOTAL = 64 << 20      # bytes read from one submission at most
MAX_ENTRIES = 50000       # files and directories looked at, at most
MAX_IGNORED = 1000        # ignored files listed (the rest are counted)
SKIPPED_DIRS = ("build", ".git", "__pycache__", ".pytest_cache")
MANIFEST = "MANIFEST.json"
ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip")


class Unreadable(Exception):
    """The submission is not a directory or an archive that can be read."""


class Submission:
    def __init__(self):
        self.taken = {}       # path -> bytes
        self.missing = []     # editable paths not handed in
        self.ignored = []     # [{"path", "reason"}]
        self.notes = []       # lines for the student
        self.manifest = None


class Entry:
    """One name in a submission: kind is file, link, dir or other."""

    def __init__(self, name, kind, size, read):
        self.name, self.kind, self.size, self.read = name, kind, size, read


def clean_name(name):
    """A member name as a path from the top, or None if it leaves the tree."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        return None
    return "/".join(parts)


# ---- the three kinds of submission ----------------------------------------------

def _dir_entries(root):
    count = 0
    for top, dirs, names in os.walk(root):
        keep = []
        for d in dirs:
            full = os.path.join(top, d)
            if os.path.islink(full):
                yield Entry(os.path.relpath(full, root), "link", 0, None)
            elif d not in SKIPPED_DIRS:
                keep.append(d)
        dirs[:] = sorted(keep)
        for n in sorted(names):
            count += 1
            if count > MAX_ENTRIES:
                raise Unreadable(f"more than {MAX_ENTRIES} files")
            full = os.path.join(top, n)
            st = os.lstat(full)
            kind = ("file" if stat.S_ISREG(st.st_mode) else
                    "link" if stat.S_ISLNK(st.st_mode) else "other")
            yield Entry(os.path.relpath(full, root), kind, st.st_size,
                        lambda full=full: _read_nofollow(full))


def _read_nofollow(path):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_FILE + 1)


def _tar_entries(path, opened):
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise Unreadable(f"{os.path.basename(path)} is not a tar archive that can be read ({e})")
    opened.append(tar)
    count = 0
    try:
        for m in tar:
            count += 1
            if count > MAX_ENTRIES:
                raise Unreadable(f"more than {MAX_ENTRIES} entries")
            kind = ("file" if m.isfile() else "dir" if m.isdir() else
                    "link" if m.issym() or m.islnk() else "other")
            yield Entry(m.name, kind, m.size,
                        lambda m=m: tar.extractfile(m).read(MAX_FILE + 1))
    except (tarfile.TarError, EOFError, OSError) as e:
        raise Unreadable(f"{os.path.basename(path)} is damaged ({e})")


def _zip_entries(path, opened):
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise Unreadable(f"{os.path.basename(path)} is not a zip archive that can be read ({e})")
    opened.append(zf)
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise Unreadable(f"more than {MAX_ENTRIES} entries")
    for info in infos:
        mode = info.external_attr >> 16
        kind = ("dir" if info.is_dir() else "link" if stat.S_ISLNK(mode) else
                "file" if not mode or stat.S_ISREG(mode) else "other")
        yield Entry(info.filename, kind, info.file_size,
                    lambda info=info: zf.open(info).read(MAX_FILE + 1))


def _entries(path, opened):
    """The submission's entries; archives opened are appended to opened
    (the caller closes them after reading)."""
    if os.path.isdir(path):
        inside = [n for n in os.listdir(path) if not n.startswith(".")]
        # Gradescope puts an uploaded archive, as it is, in the submission directory.
        if len(inside) == 1 and inside[0].endswith(ARCHIVES) and \
                os.path.isfile(os.path.join(path, inside[0])) and \
                not os.path.islink(os.path.join(path, inside[0])):
            return _entries(os.path.join(path, inside[0]), opened)
        return _dir_entries(path)
    if not os.path.isfile(path):
        raise Unreadable(f"{path}: no such file or directory")
    if path.endswith(".zip"):
        return _zip_entries(path, opened)
    return _tar_entries(path, opened)


# ---- what counts ----------------------------------------------------------------

def _prefix(names, editable):
    """The directory the tree is under in the submission ("" for the top):
    where an editable file or the manifest is found."""
    wanted = set(editable) | {MANIFEST}
    found = {}
    for n in names:
        for w in wanted:
            if n == w:
                return ""
            if n.endswith("/" + w):
                p = n[:-len(w)]
                found[p] = found.get(p, 0) + 1
    return max(found, key=lambda p: (found[p], -len(p))) if found else ""


def _why_ignored(path, tree, lab_files_hint):
    if path.startswith("grader/"):
        return "grader file: the course's copy is used"
    if os.path.exists(os.path.join(tree, path)):
        return f"not a file you edit in this lab ({lab_files_hint}): the course's copy is used"
    return "not part of this lab's tree"


def _unchanged(path, data_size, read, tree):
    """True when the file is the same as the course's copy (no need to list it)."""
    full = os.path.join(tree, path)
    if not os.path.isfile(full) or os.path.islink(full) or os.path.getsize(full) != data_size:
        return False
    with open(full, "rb") as f:
        return f.read() == read()


def read(path, editable, tree):
    """Read the submission at path; editable: the paths a student may hand
    in; tree: the course's tree of the lab (to tell changed files from
    copies). Returns a Submission."""
    opened = []
    try:
        return _read(path, set(editable), tree, opened)
    finally:
        for archive in opened:
            archive.close()


def _read(path, editable, tree, opened):
    sub = Submission()
    try:
        entries = list(_entries(path, opened))
    except OSError as e:
        raise Unreadable(f"{e}") from None
    names = [clean_name(e.name) or "" for e in entries]
    prefix = _prefix(names, editable)
    hint = "see SUBMIT.txt in the lab directory"
    total = 0
    skipped = 0
    extra_ignored = 0
    absent_dirs = {}   # a top directory the lab's tree has not (a later lab): file count

    def ignore(p, reason):
        nonlocal extra_ignored
        if len(sub.ignored) < MAX_IGNORED:
            sub.ignored.append({"path": p, "reason": reason})
        else:
            extra_ignored += 1

    try:
        for e, name in zip(entries, names):
            if e.kind == "dir":
                continue
            if not name:
                ignore(e.name, "the path leaves the tree (absolute or with ..)")
                continue
            if not name.startswith(prefix):
                ignore(name, "outside the submitted tree")
                continue
            rel = name[len(prefix):]
            if rel.split("/")[0] in SKIPPED_DIRS or any(p in SKIPPED_DIRS for p in rel.split("/")):
                skipped += 1
                continue
            if e.kind == "link":
                ignore(rel, "a symbolic link: links are never followed or graded")
                continue
            if e.kind != "file":
                ignore(rel, "not a regular file")
                continue
            if rel == MANIFEST and e.size <= MAX_FILE:
                sub.manifest = _manifest(e.read(), sub)
                continue
            top = rel.split("/")[0]
            if rel not in editable and "/" in rel and not os.path.exists(os.path.join(tree, top)):
                absent_dirs[top] = absent_dirs.get(top, 0) + 1
                continue
            if rel not in editable:
                if e.size <= MAX_FILE and total + e.size <= MAX_TOTAL:
                    total += e.size
                    if _unchanged(rel, e.size, e.read, tree):
                        continue
                ignore(rel, _why_ignored(rel, tree, hint))
                continue
            if rel in sub.taken:
                ignore(rel, "handed in twice: the first copy is used")
                continue
            if e.size > MAX_FILE:
                ignore(rel, f"larger than {MAX_FILE >> 20} MiB: not graded")
                continue
            total += e.size
            if total > MAX_TOTAL:
                raise Unreadable(f"more than {MAX_TOTAL >> 20} MiB of files")
            data = e.read()
            if len(data) > MAX_FILE:
                ignore(rel, f"larger than {MAX_FILE >> 20} MiB: not graded")
                continue
            sub.taken[rel] = data
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as err:
        raise Unreadable(f"reading it failed: {err}") from None
    for top, count in sorted(absent_dirs.items()):
        ignore(top + "/", f"{count} file(s) in a directory this lab's tree does not have "
                          "(a later lab's, or your own): not graded")
    sub.missing = sorted(p for p in editable if p not in sub.taken)
    if prefix:
        sub.notes.append(f"(the tree was found under {prefix.rstrip('/')}/ in the submission)")
    if skipped:
        sub.notes.append(f"({skipped} files under build/, .git/ and caches skipped)")
    if extra_ignored:
        sub.notes.append(f"({extra_ignored} more ignored files not listed)")
    return sub


def _manifest(data, sub):
    try:
        m = json.loads(data.decode("utf-8"))
        return m if isinstance(m, dict) else None
    except (ValueError, UnicodeDecodeError):
        sub.notes.append(f"{MANIFEST} is not valid JSON; it was ignored")
        return None

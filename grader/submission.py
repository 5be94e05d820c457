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
import re
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
# Source files, checked for what would read files outside the tree at build time.
SOURCES = (".c", ".h", ".asm", ".S", ".s", ".inc", ".ld")
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_INCLUDE = re.compile(r"^[ \t]*(?:#|%:|%)[ \t]*(?:include|include_next|import|embed)\b(.*)$",
                      re.M | re.I)
_INCLUDE_ARG = re.compile(r"""^\s*(["<])([^"<>]+)[">]""")


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
    """One name in a submission: kind is file, link, dir or other; target
    is a link's target."""

    def __init__(self, name, kind, size, read, target=None):
        self.name, self.kind, self.size, self.read = name, kind, size, read
        self.target = target


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
                yield Entry(os.path.relpath(full, root), "link", 0, None, os.readlink(full))
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
                        lambda full=full: _read_nofollow(full),
                        os.readlink(full) if kind == "link" else None)


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
                        lambda m=m: tar.extractfile(m).read(MAX_FILE + 1), m.linkname)
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
                "file" if not stat.S_IFMT(mode) or stat.S_ISREG(mode) else "other")
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


def build_time_reads(path, data):
    """Why this source file may not be built, or None. Compiling it must
    read nothing outside the tree: no #include (or nasm %include) of an
    absolute path or of one that climbs out of the tree, no computed
    #include, no incbin (which pastes any file into the kernel, where a
    test could print it)."""
    text = data.decode("utf-8", errors="replace").replace("\\\n", "")
    text = _COMMENTS.sub(" ", text)
    if re.search(r"incbin", text, re.I):
        return "uses incbin (pasting a file into the build): not allowed"
    for m in _INCLUDE.finditer(text):
        arg = _INCLUDE_ARG.match(m.group(1))
        if not arg:
            return f"has a computed include ({m.group(0).strip()[:60]}): not allowed"
        name = arg.group(2)
        inside = os.path.normpath(os.path.join(os.path.dirname(path), name))
        if name.startswith("/") or inside.startswith("..") or \
                (arg.group(1) == "<" and ".." in name.split("/")):
            return f"includes {name}, outside the tree: not allowed"
    return None


def _why_ignored(path, tree):
    exists = os.path.exists(os.path.join(tree, path))
    if path.startswith("grader/"):
        return ("grader file: the course's copy is used" if exists else
                "grader file: not part of this lab's grader")
    if exists:
        return ("not a file you edit in this lab (see SUBMIT.txt in the lab directory): "
                "the course's copy is used")
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
    try:
        entries = list(_entries(path, opened))
    except OSError as e:
        raise Unreadable(f"{e}") from None
    names = [clean_name(e.name) or "" for e in entries]
    reader = _Reader(editable, tree, _prefix(names, editable))
    try:
        for e, name in zip(entries, names):
            reader.entry(e, name)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as err:
        raise Unreadable(f"reading it failed: {err}") from None
    return reader.finish()


class _Reader:
    """Sorts a submission's entries into taken and ignored."""

    def __init__(self, editable, tree, prefix):
        self.sub = Submission()
        self.editable, self.tree, self.prefix = editable, tree, prefix
        self.total = 0           # bytes read
        self.skipped = 0         # files under build/, .git/, caches
        self.unlisted = 0        # ignored files beyond MAX_IGNORED
        self.absent_dirs = {}    # top directory the lab's tree has not -> file count
        # Files uploaded one by one (Gradescope's drag and drop) arrive
        # without their directories: a bare name that one editable file has.
        bases = [os.path.basename(p) for p in editable]
        self.by_base = {os.path.basename(p): p for p in editable
                        if bases.count(os.path.basename(p)) == 1}

    def ignore(self, path, reason):
        if len(self.sub.ignored) < MAX_IGNORED:
            self.sub.ignored.append({"path": path, "reason": reason})
        else:
            self.unlisted += 1

    def entry(self, e, name):
        if e.kind == "dir":
            return
        if not name:
            return self.ignore(e.name, "the path leaves the tree (absolute or with ..)")
        if not name.startswith(self.prefix):
            return self.ignore(name, "outside the submitted tree")
        rel = name[len(self.prefix):]
        top = rel.split("/")[0]
        if any(part in SKIPPED_DIRS for part in rel.split("/")):
            self.skipped += 1
        elif "/" in rel and rel not in self.editable and \
                not os.path.lexists(os.path.join(self.tree, top)):
            # A directory the lab's tree has not (a later lab's): counted as one.
            self.absent_dirs[top] = self.absent_dirs.get(top, 0) + 1
        elif e.kind == "link":
            if not self.same_link(rel, e.target):
                self.ignore(rel, "a symbolic link: links are never followed or graded")
        elif e.kind != "file":
            self.ignore(rel, "not a regular file")
        elif rel == MANIFEST and e.size <= MAX_FILE:
            self.sub.manifest = _manifest(e.read(), self.sub)
        elif rel in self.editable:
            self.take(e, rel)
        elif rel in self.by_base and self.by_base[rel] not in self.sub.taken:
            self.sub.notes.append(f"({rel} was taken as {self.by_base[rel]})")
            self.take(e, self.by_base[rel])
        else:
            self.other(e, rel)

    def same_link(self, rel, target):
        """The course's tree has the same link (lab 5's initfs fixtures)."""
        full = os.path.join(self.tree, rel)
        return target is not None and os.path.islink(full) and os.readlink(full) == target

    def take(self, e, rel):
        """An editable file: taken unless it is a copy, too large or unsafe."""
        if rel in self.sub.taken:
            return self.ignore(rel, "handed in twice: the first copy is used")
        if e.size > MAX_FILE:
            return self.ignore(rel, f"larger than {MAX_FILE >> 20} MiB: not graded")
        self.total += e.size
        if self.total > MAX_TOTAL:
            raise Unreadable(f"more than {MAX_TOTAL >> 20} MiB of files")
        data = e.read()
        if len(data) > MAX_FILE:
            return self.ignore(rel, f"larger than {MAX_FILE >> 20} MiB: not graded")
        unsafe = build_time_reads(rel, data) if rel.endswith(SOURCES) else None
        if unsafe:
            return self.ignore(rel, unsafe + " (the starter code was used)")
        self.sub.taken[rel] = data

    def other(self, e, rel):
        """Any other file: listed unless it is the course's copy unchanged."""
        if e.size <= MAX_FILE and self.total + e.size <= MAX_TOTAL:
            self.total += e.size
            if _unchanged(rel, e.size, e.read, self.tree):
                return
        self.ignore(rel, _why_ignored(rel, self.tree))

    def finish(self):
        sub = self.sub
        for top, count in sorted(self.absent_dirs.items()):
            self.ignore(top + "/", f"{count} file(s) in a directory this lab's tree does not "
                                   "have (a later lab's, or your own): not graded")
        sub.missing = sorted(p for p in self.editable if p not in sub.taken)
        if self.prefix:
            sub.notes.append(f"(the tree was found under {self.prefix.rstrip('/')}/ "
                             "in the submission)")
        if self.skipped:
            sub.notes.append(f"({self.skipped} files under build/, .git/ and caches skipped)")
        if self.unlisted:
            sub.notes.append(f"({self.unlisted} more ignored files not listed)")
        return sub


def _manifest(data, sub):
    try:
        m = json.loads(data.decode("utf-8"))
        return m if isinstance(m, dict) else None
    except (ValueError, UnicodeDecodeError):
        sub.notes.append(f"{MANIFEST} is not valid JSON; it was ignored")
        return None

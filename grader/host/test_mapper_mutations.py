"""The mapper host driver has teeth: mapper.c broken in small ways (Redox's
2022 bug among them) must make it fail, naming the problem.

Maintainers only: the mutations quote lines and helper names of the
reference solution, so `make handout` leaves this file out of the student
tree (grader/handout.py, INSTRUCTOR_ONLY).
"""

import os
import re
from pathlib import Path

import pytest

from conftest import built_once, make, sh
from test_mapper import (MAPPER, ROOT, SEEDS, compile_driver, compile_driver_object,
                         run_driver)

# ---- the driver catches broken mappers -----------------------------------

# name: (function whose body is changed, or None for the whole file;
#        text to replace; replacement; what the driver must then say)
MUTATIONS = {
    # Redox's 2022 bug, first form: unmap never frees the tables it empties.
    "unmap_keeps_empty_tables": (
        "int mapper_unmap(", "free_empty_tables(root, va);", "",
        r"frames in use|empty but was not freed"),
    # Redox's 2022 bug, second form: a table is freed but its parent still
    # points to it, so the next walk through it is a use-after-free.
    "freed_table_still_linked": (
        None, "table_of(path[level + 1])[pt_index(va, level + 1)] = 0;", "",
        r"use after free|AddressSanitizer"),
    # A map that fails with -ENOMEM half-way leaves its new tables behind.
    "enomem_leaks_tables": (
        "static int walk_to_pt(", "free_empty_tables(root, va);", "",
        r"phase enomem.*(empty but was not freed|-ENOMEM)"),
    # Two ways of counting that disagree: a new table is not counted in
    # its parent, so the parent is freed while still in use.
    "new_table_not_counted": (
        "static int walk_to_pt(", "(*used_count(table))++;", "",
        r"pt_used is \d+ but \d+ entries are present|use after free|AddressSanitizer"),
    # Unmap forgets the TLB.
    "unmap_without_flush": (
        "int mapper_unmap(", "flush_page(fl, va);", "",
        r"TLB flush|unmaps in one batch"),
    # Batching that never falls back to a full flush.
    "no_full_flush": (
        None, "fl->all = true;\t\t/* too many", "return;\t\t/* too many",
        r"full flush|batch"),
}


def mutate(source, scope, old, new):
    """source with the first `old` in function `scope` (or in the whole file)
    replaced; None if the text is not there."""
    if scope is None:
        start, end = 0, len(source)
    else:
        start = source.find(scope)
        if start < 0:
            return None
        end = source.find("\n}\n", start)
        end = len(source) if end < 0 else end
    at = source.find(old, start, end)
    if at < 0:
        return None
    return source[:at] + new + source[at + len(old):]


@pytest.fixture(scope="module")
def driver_object(tmp_path_factory):
    """mapper_host.c compiled once; each mutant mapper.c is linked with it."""
    return built_once(tmp_path_factory, "mapper_host.o", compile_driver_object)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_driver_catches_broken_mapper(tmp_path, driver_object, name):
    """A mapper.c with one deliberate bug must make the driver fail, with a
    message that names the problem."""
    scope, old, new, expect = MUTATIONS[name]
    source = MAPPER.read_text(encoding="utf-8")
    if "BEGIN LAB" "1 SOLUTION" not in source:  # split: not a marker itself
        pytest.skip("the mutations target the reference solution; this mapper.c "
                    "has no solution markers (a student tree?)")
    broken = mutate(source, scope, old, new)
    if broken is None:
        pytest.fail(f"mutation {name}: {old!r} is no longer in "
                    f"{scope or 'the file'} of {MAPPER.relative_to(ROOT)}; "
                    f"update MUTATIONS in {Path(__file__).name}", pytrace=False)
    src = tmp_path / "mapper.c"
    src.write_text(broken, encoding="utf-8")
    # The mutation may leave a helper unused; that is not what we test.
    exe = compile_driver(src, tmp_path / "mapper_host", driver=driver_object,
                         extra=["-Wno-unused-function", "-Wno-unused-variable"])
    proc, cmd = run_driver(exe, SEEDS[0])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, (f"mutation {name}: the driver passed a broken "
                                  f"mapper (`{cmd}`):\n{out}")
    assert re.search(expect, out), (f"mutation {name}: the driver failed, but "
                                    f"not with /{expect}/:\n{out}")


# ---- what the student tree and the grade must do about it ---------------------

def test_handout_hides_solution_helpers(starter):
    """The student tree's host tests do not quote the reference solution:
    no maintainer-only test file, and no private helper of the solution's
    mapper.c (named in test_mapper_mutations.py) anywhere in the tree."""
    assert not os.path.exists(os.path.join(starter, "grader", "host", "test_mapper_mutations.py"))
    private = ["free_empty_tables", "walk_to_pt"]
    src = open(MAPPER).read()
    assert all(p in src for p in private), "update the helper names in this test"
    r = sh(f"grep -rlE '{'|'.join(private)}' {starter}/grader {starter}/lab1-paging || true")
    assert r.stdout.strip() == "", r.stdout


def test_mapper_without_enomem_undo_fails_map_enomem(built_copy):
    """The points test map_enomem fails on a mapper that does not undo its
    new tables after -ENOMEM (which scored full points before it existed).
    Booted as the grader boots (BOOT=direct), in a copy of lab 1's build:
    only mapper.c compiles again."""
    tree = built_copy("lab1-paging")
    mapper = tree / "lab1-paging" / "kernel" / "mapper.c"
    src = mapper.read_text()
    at = src.index("free_empty_tables(root, va);", src.index("static int walk_to_pt("))
    mapper.write_text(src[:at] + src[at + len("free_empty_tables(root, va);"):])
    r = make("-C lab1-paging qemu BOOT=direct CMDLINE=ktest=map_enomem "
             "EXTRA_CFLAGS=-Wno-unused-function", cwd=str(tree))
    assert "CC    lab1-paging/kernel/mapper.c" in r.stdout, r.stdout
    assert re.search(r"^KTEST map_enomem: FAIL .*left 1 frame\(s\) allocated", r.stdout, re.M), r.stdout

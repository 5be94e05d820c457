"""Host unit tests of the lab 1 page mapper (lab1-paging/kernel/mapper.c).

mapper.c is compiled for the host with ASan and UBSan, together with
mapper_host.c (a test driver that plays frame allocator, address space and
reference model) and the headers in shim/, which come first on the include
path so that "physical memory" is a host buffer and the TLB instructions
are counters. What the driver checks is described at the top of
mapper_host.c; in short: after every kind of map/unmap/protect storm, each
table's pt_used equals its present entries, empty tables (and only those)
are freed, frames in use equal the tables reachable, errors change nothing,
and a map that runs out of frames part-way leaves no table behind.

test_mapper_mutations.py (maintainers only: it quotes the reference
solution, so `make handout` leaves it out) proves the driver has teeth.

These are maintainer tests (`make test`, `make host-test`), worth no points.
Run them alone with
    /usr/bin/python3 -m pytest grader/host -q
"""

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import built_once

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "grader" / "host"
SHIM = HOST / "shim"
MAPPER = ROOT / "lab1-paging" / "kernel" / "mapper.c"
DRIVER = HOST / "mapper_host.c"

CC = shlex.split(os.environ.get("HOSTCC") or "cc")
CFLAGS = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer",
          "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
          "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]
# The shims must come first: mapper.c's directory has no headers, so for
# `#include "memlayout.h"` the -I order decides (test_shims_are_used).
INCLUDES = ["-I", str(SHIM), "-I", str(ROOT / "common" / "kernel"),
            "-I", str(ROOT / "common" / "include")]

SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0:"
                    "detect_stack_use_after_return=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "UndefinedBehaviorSanitizer")

SEEDS = [1, 2, 3, 42, 0xDECAFBAD, 2**63 + 5]
TIMEOUT = 120


def compile_driver(mapper_src, out, extra=(), driver=DRIVER):
    """mapper_src linked with the driver: mapper_host.c, or its object
    from compile_driver_object (compiled once for several mapper.c)."""
    sources = [mapper_src] + ([driver] if driver else [])
    cmd = [*CC, *CFLAGS, *extra, *INCLUDES, *map(str, sources), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        pytest.fail(f"compiling the mapper host test failed:\n  {shlex.join(cmd)}\n"
                    f"{proc.stdout}{proc.stderr}\n(ASan/UBSan need the compiler's "
                    f"sanitizer runtimes, e.g. Debian's libasan8 and libubsan1)",
                    pytrace=False)
    return out


def compile_driver_object(out):
    """mapper_host.c compiled (-c) with the flags compile_driver uses."""
    return compile_driver(DRIVER, out, extra=["-c"], driver=None)


def run_driver(exe, seed, ops=None):
    argv = [str(exe), str(seed)] + ([str(ops)] if ops is not None else [])
    env = dict(os.environ, **SANITIZER_ENV)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=TIMEOUT)
    return proc, shlex.join(argv)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return built_once(tmp_path_factory, "mapper_host",
                      lambda out: compile_driver(MAPPER, out))


def test_shims_are_used():
    """mapper.c's memlayout.h and x86.h resolve to the shims, every other
    header to the real one."""
    proc = subprocess.run([*CC, "-std=gnu11", "-M", *INCLUDES, str(MAPPER)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    deps = {Path(p).resolve() for p in proc.stdout.replace("\\\n", " ").split()[1:]}
    kernel = ROOT / "common" / "kernel"
    assert SHIM / "memlayout.h" in deps
    assert SHIM / "x86.h" in deps
    assert kernel / "x86.h" not in deps, "the real x86.h would run privileged instructions"
    for real in ("frame.h", "mapper.h", "types.h"):
        assert kernel / real in deps, f"expected the real {real}"
    # The shim takes the constants from the real memlayout.h (#include_next).
    assert kernel / "memlayout.h" in deps


@pytest.mark.parametrize("seed", SEEDS)
def test_mapper_accounting(driver, seed):
    """Storms of map/unmap/protect against a reference model, error cases
    and injected out-of-memory: the driver's every check passes and the
    sanitizers stay silent."""
    proc, cmd = run_driver(driver, seed)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"`{cmd}` exited with {proc.returncode}:\n{out}"
    assert "mapper_host: PASS" in proc.stdout, out
    for report in SANITIZER_REPORTS:
        assert report not in out, f"sanitizer report from `{cmd}`:\n{out}"

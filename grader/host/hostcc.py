"""Compiler settings shared by the host tests that build C code
(test_elf.py, test_initfs.py, ...): sanitizer builds for the host, and the
kernel's freestanding flags (common/mk/lab.mk KCFLAGS, minus dependency
output) to prove shared code also compiles for the kernel."""

import os
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CC = shlex.split(os.environ.get("HOSTCC") or "cc")
SANITIZE = ["-std=gnu11", "-g", "-O1", "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
            "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
            "-I", str(ROOT / "common" / "include")]
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
KERNEL_FLAGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                "-Wno-unused-parameter", "-Wstrict-prototypes", "-Wshadow", "-Wvla",
                "-ffreestanding", "-fno-builtin", "-nostdinc", "-fno-stack-protector",
                "-fno-pic", "-fno-pie", "-mno-red-zone", "-mcmodel=kernel",
                "-mno-sse", "-mno-sse2", "-mno-mmx", "-mno-80387",
                "-I", str(ROOT / "common" / "include")]

"""Foundation (lab 0): what every lab's kernel does before any student code.

These tests carry no points, but every other test relies on them: the banner,
the ktest runner's protocol, command-line parsing and the monitor. They must
also pass on the unsolved starter code of every lab.
"""

import re

import pytest

from ochre.machine import POWEROFF, USAGE

pytestmark = pytest.mark.lab(0)

PROMPT = r"ochre> $"

# From lab 2 on, a boot without ktest= starts init; this option asks for the
# kernel monitor instead (in lab 1 the monitor is the default anyway).
MONITOR_CMDLINE = "monitor"


def test_banner(ochre):
    """The kernel prints its banner, a line starting with 'Ochre ', early
    during boot."""
    m = ochre.boot("")
    m.expect(r"^Ochre ", partial=False)


def test_unknown_ktest(ochre):
    """ktest=<a name that does not exist> lists the available tests and exits
    with the usage-error code (4, QEMU status 9) instead of running anything."""
    m = ochre.boot("ktest=no_such_test")
    found = m.expect(r"^KTEST no_such_test: NOT FOUND; available:(.*)$", partial=False)
    names = found.group(1).split()
    if not names:
        m.fail("the NOT FOUND line lists no available tests")
    m.wait_exit(status=USAGE)


def test_unknown_option(ochre):
    """An unknown command-line option gives a warning naming it, and the
    boot goes on (here: to the requested ktest, whatever its result)."""
    m = ochre.boot("ktest=frames_basic bogus=1")
    m.expect(r"^WARNING: unknown command-line option 'bogus(=1)?'", partial=False)
    # Reaching the ktest is what "boot continues" means; on unsolved starter
    # code the test itself may fail or even panic, which is not our business.
    m.expect(r"^KTEST frames_basic: ", partial=False, allow_panic=True)


def test_monitor(ochre):
    """With the `monitor` option the kernel starts its monitor: `help` lists
    the commands, `frames` prints a number, `poweroff` exits cleanly
    (status 1)."""
    m = ochre.boot(MONITOR_CMDLINE)
    m.expect(PROMPT)

    m.sendline("help")
    m.expect(PROMPT)
    missing = [c for c in ("help", "mem", "frames", "walk", "bt", "poweroff")
               if not re.search(rf"\b{c}\b", m.before)]
    if missing:
        m.fail(f"`help` does not list: {', '.join(missing)}")

    m.sendline("frames")
    m.expect(PROMPT)
    if not re.search(r"\d", m.before):
        m.fail("`frames` printed no number", f"it printed: {m.before!r}")

    m.sendline("poweroff")
    m.wait_exit(status=POWEROFF)


# ---- seams (common/kernel/seam.h) ------------------------------------------

SEAMS = ("main_loop", "user_exception", "user_return")
SEAMS_FROM_LAB = 2      # from lab 2 on, each needs exactly one provider


def test_seam_providers(ochre):
    """At boot the kernel prints the provider of each seam ("seam NAME:
    FILE"): every provider comes from common/ or a lab up to the one being
    graded, and from lab 2 on none is missing (no default stands in)."""
    m = ochre.boot("ktest=no_such_test")
    m.expect(r"^KTEST no_such_test: NOT FOUND", partial=False)
    m.wait_exit(status=USAGE)
    found = {k: v.strip() for k, v in re.findall(r"^seam (\w+): (.*)$", m.output, re.M)}
    for seam in SEAMS:
        if seam not in found:
            m.fail(f"no 'seam {seam}: ...' line at boot",
                   "common/kernel/seam_init() prints one line per seam")
    for seam, provider in found.items():
        if provider == "none (default)":
            if ochre.lab >= SEAMS_FROM_LAB:
                m.fail(f"seam {seam} has no provider in lab {ochre.lab}")
            continue
        lab = re.match(r"lab(\d)-", provider)
        if not (provider.startswith("common/") or (lab and int(lab.group(1)) <= ochre.lab)):
            m.fail(f"seam {seam} is provided by {provider}, which is not part "
                   f"of lab {ochre.lab}'s kernel")


def test_no_weak_symbols(ochre):
    """No kernel source file uses a weak symbol: every "what happens next"
    decision is a seam with its providers checked at boot, so nothing in a
    lab can be silently overridden or silently left at a default."""
    import glob
    import os
    from ochre import tree
    dirs = ["common/kernel", "common/boot", "common/lib"] + \
        [os.path.relpath(os.path.join(d, "kernel"), tree.REPO_ROOT)
         for d in tree.lab_dirs().values()]
    hits = []
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(tree.REPO_ROOT, d, "*"))):
            if not path.endswith((".c", ".h", ".asm", ".ld", ".inc")):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if re.search(r"\bweak\b", line):
                        hits.append(f"{os.path.relpath(path, tree.REPO_ROOT)}:{n}: {line.strip()}")
    assert not hits, "weak symbols in kernel code (use a seam, common/kernel/seam.h):\n" + \
        "\n".join(hits)


def test_seam_provider_missing(ochre):
    """A kernel built without a seam's provider (lab 2's usertrap.c retired
    with nothing in its place) stops at boot with a panic naming the seam,
    instead of silently running a default. (Grading lab 1, lab 2's kernel
    is built.)"""
    import os
    import subprocess
    from ochre import tree
    # Lab 1 has no seam that needs a provider: check lab 2's kernel then.
    lab = max(ochre.lab, SEAMS_FROM_LAB)
    if lab not in tree.lab_dirs():
        pytest.skip(f"lab {lab} is not in this tree (a handout of lab {ochre.lab} alone)")
    lab_dir = tree.lab_dirs()[lab]
    # One directory per graded lab: two labs' grades may run at once.
    build = os.path.join(tree.REPO_ROOT, "build", "seamtest", f"for-lab{ochre.lab}")
    # Only the link differs from the lab's own build: link its objects
    # (KOBJ_DIR) without usertrap.c, instead of compiling the lab again.
    objects = os.path.join(tree.REPO_ROOT, "build", f"lab{lab}", "obj")
    make = subprocess.run(
        ["make", "-s", "-C", lab_dir, f"B={build}", f"KOBJ_DIR={objects}",
         "EXTRA_RETIRES=lab2-contexts/kernel/usertrap.c", os.path.join(build, "kernel.elf")],
        capture_output=True, text=True, timeout=600)
    assert make.returncode == 0, f"building without usertrap.c failed:\n{make.stdout}{make.stderr}"
    # The panic comes before any module is looked at: an empty container.
    modules = os.path.join(build, "modules.img")
    with open(modules, "wb") as f:
        f.write(tree.bootmods.pack([]))
    argv = tree.qemu_argv(tree.read_qemu_args(tree.REPO_ROOT, kernel=os.path.join(build, "kernel.elf"),
                                              modules=modules),
                          "ktest=no_such_test", "cpu_reset", os.path.join(build, "qemu.log"))
    run = subprocess.run(tree.orphan_guard() + argv, capture_output=True, text=True,
                         timeout=120)
    panic = re.search(r"^PANIC: seam '(user_exception|user_return)' has no provider.*$",
                      run.stdout, re.M)
    assert panic, ("expected a boot panic naming the seam; the kernel said:\n"
                   + "\n".join(run.stdout.splitlines()[-15:]))
    assert run.returncode == 5, f"QEMU exit status {run.returncode}, expected 5 (panic)"


# ---- the two loaders (common/kernel/bootinfo.c) ----------------------------

def boot_modules(ochre, loader):
    """The `mem` command's loader and (name, size) of each boot module,
    booted by that loader."""
    m = ochre.boot(MONITOR_CMDLINE, loader=loader)
    m.expect(PROMPT)
    m.sendline("mem")
    m.expect(PROMPT)
    text = m.before.replace("\r", "")
    got = re.search(r"^boot modules \(loaded by (.*)\):$", text, re.M)
    if not got:
        m.fail("`mem` does not say which loader booted the kernel "
               "('boot modules (loaded by ...):')")
    mods = re.findall(r"^  0x[0-9a-f]+-0x[0-9a-f]+ (\S+), (\d+) bytes$", text, re.M)
    m.sendline("poweroff")
    m.wait_exit(status=POWEROFF)
    return got.group(1), mods


def test_grub_and_direct_boot_agree(ochre):
    """The kernel boots both ways, through GRUB from the ISO (multiboot2,
    what a real machine does) and directly by QEMU's -kernel (PVH, what the
    grader uses everywhere else), and finds the same boot modules, by name
    and size, in the one boot_info either way."""
    grub_loader, grub_mods = boot_modules(ochre, "grub")
    direct_loader, direct_mods = boot_modules(ochre, "direct")
    assert "multiboot2" in grub_loader, f"the ISO boot was loaded by {grub_loader}"
    assert "PVH" in direct_loader, f"the direct boot was loaded by {direct_loader}"
    assert grub_mods == direct_mods, (f"boot modules under GRUB: {grub_mods}; "
                                      f"under direct boot: {direct_mods}")
    if ochre.lab >= 2:
        assert "bootstrap" in [name for name, _ in direct_mods], direct_mods

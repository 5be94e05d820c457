"""Direct boot (`make qemu BOOT=direct`, what the grader boots) given bad
input: each case stops with one line saying which input is wrong, typed as
a person types it. A kernel without the PVH note, a missing module
container, modules too large for the machine: qemu.py says so before QEMU
starts. A container without the bootstrap module: the kernel says so, with
the same panic as a GRUB menu without it. A damaged container that gets
past qemu.py: the kernel names the damage.

Builds and boots in this repository's build/ (under its lock).
"""

import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, make, sh

sys.path.insert(0, str(ROOT / "common" / "mk"))
import bootmods  # noqa: E402
import qemu  # noqa: E402


def one_qemu_line(r):
    lines = [line for line in r.stdout.splitlines() if line.startswith("qemu.py: ")]
    assert r.returncode != 0 and len(lines) == 1, r.stdout
    return lines[0]


def test_kernel_without_pvh_note(repo_lock, tmp_path):
    """A kernel ELF without the PVH entry note cannot be booted directly:
    qemu.py names the note and the two ways out."""
    r = make("-C lab1-paging", timeout=600)
    assert r.returncode == 0, r.stdout
    kernel = ROOT / "build" / "lab1" / "kernel.elf"
    stripped = tmp_path / "kernel.elf"
    subprocess.run(["objcopy", "-R", ".note.Xen", str(kernel), str(stripped)], check=True)
    assert qemu.pvh_entry(stripped.read_bytes()) is None
    assert qemu.pvh_entry(kernel.read_bytes()) is not None
    r = make(f"-C lab1-paging qemu BOOT=direct QEMU_KERNEL={stripped} CMDLINE=ktest=frames_basic")
    line = one_qemu_line(r)
    assert re.search(r"kernel\.elf has no PVH entry note .*XEN_ELFNOTE_PHYS32_ENTRY.*"
                     r"boot its ISO instead \(BOOT=grub\) or rebuild it", line), line


def test_missing_module_container(repo_lock):
    """No module container: qemu.py names the file and the build command."""
    r = make("-C lab1-paging qemu BOOT=direct QEMU_MODULES=/nonexistent/modules.img")
    line = one_qemu_line(r)
    assert ("/nonexistent/modules.img does not exist: build it first with "
            "`make -C lab1-paging`") in line, line


def test_modules_too_large_for_memory(repo_lock, tmp_path):
    """Boot modules larger than the machine's RAM leaves beside the kernel:
    qemu.py gives the sizes and names the largest module."""
    big = tmp_path / "modules.img"
    big.write_bytes(bootmods.pack([("bootstrap", b"\0" * 4096), ("initfs", bytes(70 << 20))]))
    r = make(f"-C lab1-paging qemu BOOT=direct QEMU_MODULES={big}")
    line = one_qemu_line(r)
    assert re.search(r"the boot modules in \S+ take 70\.\d MiB \(the largest, 'initfs', "
                     r"70\.0 MiB\); the machine's 64\.0 MiB of RAM .* leaves \d+\.\d MiB", line), line


def lab2_modules_without_bootstrap(tmp_path):
    own = ROOT / "build" / "lab2" / "modules.img"
    mods = [(n, d) for n, d in bootmods.unpack(own.read_bytes()) if n != "bootstrap"]
    path = tmp_path / "modules.img"
    path.write_bytes(bootmods.pack(mods))
    return path


@pytest.mark.needs(lab=2)
def test_missing_bootstrap_module_like_grub(repo_lock, tmp_path):
    """A container without the bootstrap module boots, and the kernel stops
    with the panic that names it, the same line as a GRUB menu without the
    module gives."""
    assert make("-C lab2-contexts", timeout=600).returncode == 0
    panic = r"PANIC: cannot start the first process: no 'bootstrap' boot module"
    mods = lab2_modules_without_bootstrap(tmp_path)
    r = make(f"-C lab2-contexts qemu BOOT=direct QEMU_MODULES={mods}", timeout=120)
    assert r.returncode != 0 and re.search(panic, r.stdout), r.stdout[-3000:]
    # The same through GRUB: the lab's ISO with the module line taken out.
    iso_dir = tmp_path / "iso"
    shutil.copytree(ROOT / "build" / "lab2" / "iso", iso_dir)
    cfg = iso_dir / "boot" / "grub" / "grub.cfg"
    cfg.write_text("".join(line for line in cfg.read_text().splitlines(True)
                           if "bootstrap" not in line))
    iso = tmp_path / "ochre.iso"
    subprocess.run(["grub-mkrescue", "-o", str(iso), str(iso_dir)], check=True,
                   capture_output=True)
    r = make(f"-C lab2-contexts qemu QEMU_ISO={iso}", timeout=120)
    assert r.returncode != 0 and re.search(panic, r.stdout), r.stdout[-3000:]


def test_damaged_container_in_the_kernel(repo_lock, tmp_path):
    """A container that is not one (qemu.py refuses it; QEMU started
    without qemu.py's check boots it): the kernel's panic names the module
    container and what is wrong with it."""
    junk = tmp_path / "modules.img"
    junk.write_bytes(b"not a container".ljust(8192, b"\0"))
    r = make(f"-C lab1-paging qemu BOOT=direct QEMU_MODULES={junk}")
    assert "is not a boot module container (no OCHREMOD magic)" in one_qemu_line(r)
    kernel = ROOT / "build" / "lab1" / "kernel.elf"
    base = qemu.read_qemu_args(str(ROOT), kernel=str(kernel), modules=str(junk))
    run = subprocess.run(qemu.qemu_argv(base, "ktest=frames_basic"), capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert re.search(r"^PANIC: PVH module container at 0x[0-9a-f]+ \(0x2000 bytes\): "
                     r"no OCHREMOD magic", run.stdout, re.M), run.stdout
    assert run.returncode == qemu.qemu_status(qemu.EXIT_PANIC), run.returncode


@pytest.mark.needs(solved=1)   # times boots to a PASS
def test_bootbench(repo_lock):
    """`make bench`'s boot row (`make bootbench`): the same boot through
    GRUB and directly, timed side by side, and their ratio."""
    r = make("-C lab1-paging bootbench BOOTBENCH_ROUNDS=1", timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    for name in ("GRUB ISO", r"direct \(PVH\)"):
        assert re.search(rf"^bench: boot, {name} +\d+\.\d+ s to first PASS, +\d+\.\d+ s to exit",
                         r.stdout, re.M), r.stdout
    assert re.search(r"^bench: boot, direct / GRUB +\d+\.\d+ x", r.stdout, re.M), r.stdout

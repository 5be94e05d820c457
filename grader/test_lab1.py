"""Lab 1 (paging): frame allocator, page mapper, kernel heap, page faults.

Most tests run one in-kernel test (a KTEST in the kernel sources) and pass
when the kernel prints `KTEST <name>: PASS` and exits cleanly. To see a test
yourself, run the command printed with a failure, e.g.
    make -C lab1-paging qemu CMDLINE='ktest=frames_basic'
and read the KTEST function of that name in the kernel for the details.
"""

import random
import re

import pytest

from ochre.machine import PANIC

pytestmark = pytest.mark.lab(1)


# ---- physical frame allocator ---------------------------------------------

@pytest.mark.points(3)
def test_frames_basic(ochre):
    """Frames come from usable RAM in the multiboot2 memory map, are 4 KiB
    aligned, distinct and zeroed (also when handed out again), and freeing
    them returns the free-frame count to where it was."""
    ochre.ktest("frames_basic")


@pytest.mark.points(3)
def test_frames_exhaust(ochre):
    """Allocating until the allocator runs out returns every usable frame
    exactly once, then reports out-of-memory (no crash, no duplicate);
    freeing them all restores the free-frame count."""
    ochre.ktest("frames_exhaust")


@pytest.mark.points(2)
def test_frames_double_free(ochre):
    """Freeing a frame twice, or freeing an address that is not a frame the
    allocator handed out, is detected and refused instead of corrupting the
    free list."""
    ochre.ktest("frames_double_free")


# ---- page mapper ----------------------------------------------------------

@pytest.mark.points(3)
def test_map_translate(ochre):
    """mapper_map() makes a virtual page reach the given frame:
    mapper_translate() returns the physical address (with the offset inside the page) and a
    write through the mapping is visible through the physical-memory map."""
    ochre.ktest("map_translate")


@pytest.mark.points(3)
def test_map_unmap(ochre):
    """mapper_unmap() removes a mapping (mapper_translate() fails after) and
    frees page tables that became empty, recursively up to (not including)
    the top level: the free-frame count returns exactly to its baseline."""
    ochre.ktest("map_unmap")


@pytest.mark.points(2)
def test_map_flags(ochre):
    """The flags asked for (writable, user, no-execute) end up in the
    page-table entries, and intermediate tables do not restrict them;
    mapper_protect() replaces a page's flags and keeps its frame."""
    ochre.ktest("map_flags")


@pytest.mark.points(3)
def test_map_errors(ochre):
    """Bad requests return the right negative errno and change nothing:
    unaligned or non-canonical addresses, mapping a page that is already
    mapped, unmapping a page that is not."""
    ochre.ktest("map_errors")


@pytest.mark.points(3)
def test_map_enomem(ochre):
    """A map that runs out of frames half-way (the frame allocator is told
    to fail after 0, 1 or 2 frames) returns -ENOMEM and frees the tables it
    created: the free-frame count is exactly as before, and tables that
    existed before the call stay."""
    ochre.ktest("map_enomem")


@pytest.mark.points(5)
def test_map_storm(ochre):
    """Thousands of random map/unmap operations over a large address range,
    checked against a simple model; afterwards every page table is freed and
    the free-frame count is exactly the baseline (no leaked or reused
    tables)."""
    ochre.ktest("map_storm")


@pytest.mark.points(3)
def test_tlb_flush(ochre):
    """After remapping a page to a different frame (and after unmapping),
    memory accesses see the new mapping: the TLB entries are flushed,
    including when flushes are batched."""
    ochre.ktest("tlb_flush")


# ---- kernel heap ----------------------------------------------------------

@pytest.mark.points(2)
def test_heap_basic(ochre):
    """kmalloc() returns aligned, non-overlapping, writable blocks of the
    requested size; kfree() makes the memory reusable."""
    ochre.ktest("heap_basic")


@pytest.mark.points(4)
def test_heap_stress(ochre):
    """Many random kmalloc()/kfree() calls of mixed sizes, with every block
    filled with a pattern that is checked before it is freed: no overlap, no
    corruption, and the heap returns its memory at the end."""
    ochre.ktest("heap_stress")


@pytest.mark.points(2)
def test_heap_reuse(ochre):
    """After a workload ends, the heap is back at its baseline: freed large
    blocks' addresses are reused, empty small-block pages are unmapped,
    and every frame is free again."""
    ochre.ktest("heap_reuse")


# ---- page-fault report ----------------------------------------------------

# Where the test faults: a 1 GiB window nothing maps in lab 1.
PF_BASE = 0xFFFFC90000000000
PF_SPAN = 1 << 30

PF_LINE = re.compile(r"^PAGE FAULT: address 0x([0-9a-fA-F]{16}), error 0x([0-9a-fA-F]+) "
                     r"\(([^)]*)\)\s*$")
RIP_LINE = re.compile(r"^\s+RIP 0x([0-9a-fA-F]+) <([A-Za-z_.$][\w.$]*)\+0x([0-9a-fA-F]+)>")


@pytest.mark.points(4)
def test_pagefault(ochre):
    """A kernel read or write of an unmapped address (random each run) gives
    the page-fault report: the exact faulting address, the error code and
    its decoding (not-present, read or write, kernel), and the RIP of the
    faulting instruction with its symbol (ktest_pagefault+0x...), followed
    by a panic. The line format is in HANDOUT.md."""
    addr = PF_BASE + random.randrange(0, PF_SPAN, 4096)
    write = random.choice([0, 1])
    m = ochre.boot(f"ktest=pagefault pf_addr={addr:#x} pf_write={write}")

    pf = m.expect(PF_LINE, partial=False)
    problems = []
    got_addr = int(pf.group(1), 16)
    if got_addr != addr:
        problems.append(f"address: expected {addr:#018x}, got {got_addr:#018x}")
    want_error = 0x2 if write else 0x0
    got_error = int(pf.group(2), 16)
    if got_error != want_error:
        problems.append(f"error code: expected {want_error:#x}, got {got_error:#x}")
    want_words = ["not-present", "write" if write else "read", "kernel"]
    got_words = [w.strip() for w in pf.group(3).split(",")]
    if got_words != want_words:
        problems.append(f"decoding: expected ({', '.join(want_words)}), got ({pf.group(3)})")

    rip = m.expect(RIP_LINE, partial=False, timeout=10)
    rip_addr = int(rip.group(1), 16)
    printed = (rip.group(2), int(rip.group(3), 16))
    if printed[0] != "ktest_pagefault":
        problems.append(f"RIP symbol: expected ktest_pagefault+0x..., got {rip.group(2)}")
    actual = ochre.symbols.lookup(rip_addr)
    if actual is not None and actual != printed:
        problems.append(f"RIP {rip_addr:#x} is {actual[0]}+{actual[1]:#x} in kernel.sym, "
                        f"but the report says {printed[0]}+{printed[1]:#x}")

    if problems:
        m.fail("the page-fault report is wrong:", "\n".join(
            [f"  {p}" for p in problems] + [f"report line: {pf.group(0)}", f"RIP line:    {rip.group(0)}"]))

    # The fault is fatal for the kernel: a panic and exit code 2 are expected.
    m.expect(r"PANIC: ", allow_panic=True)
    m.wait_exit(status=PANIC, allow_panic=True)

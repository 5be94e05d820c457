"""Explain a triple fault: which exception started it, at which RIP.

QEMU runs with -no-reboot, so a triple fault ends QEMU with status 0 and
the kernel gets no chance to print anything. Every grader boot passes
`-d cpu_reset -D FILE`; QEMU then writes "Triple fault" to FILE when that is
what happened (as opposed to, say, a keyboard-controller reset). That log
does not contain the CPU state at the fault, though (with -no-reboot QEMU
never performs the reset it would dump). The state is in `-d int`, which logs
every interrupt and exception with the registers; that is too much output
to collect on every boot, so on a triple fault the grader boots the same
kernel with the same command line and input once more with `-d int` and
reads the last exceptions from that log.

An `-d int` log has, per exception or interrupt:

    check_exception old: 0xffffffff new 0xe
         3: v=0e e=0002 i=0 cpl=0 IP=0008:ffffffff80101234 pc=... SP=... CR2=ffffc90000001000
    RAX=... (register dump)

"check_exception old: X new Y" means exception Y was raised while X was
being delivered (X = 0xffffffff: nothing was being delivered). A triple fault
is the end of such a chain, e.g. #PF -> #PF -> #DF -> "Triple fault".
"""

import re
import subprocess

from .machine import OWN_GROUP


EXCEPTION_NAMES = {
    0: "#DE divide error", 1: "#DB debug", 2: "NMI", 3: "#BP breakpoint",
    4: "#OF overflow", 5: "#BR bound range", 6: "#UD invalid opcode",
    7: "#NM device not available", 8: "#DF double fault",
    10: "#TS invalid TSS", 11: "#NP segment not present",
    12: "#SS stack-segment fault", 13: "#GP general protection",
    14: "#PF page fault", 16: "#MF x87 error", 17: "#AC alignment check",
    18: "#MC machine check", 19: "#XM SIMD error",
}

_INT_RE = re.compile(
    r"\bv=([0-9a-f]{2}) e=([0-9a-f]{4}) i=(\d) cpl=(\d) "
    r"IP=([0-9a-f]{4}):([0-9a-f]+) pc=([0-9a-f]+) SP=[0-9a-f]{4}:([0-9a-f]+)"
    r"(?:.*\bCR2=([0-9a-f]+))?")
_CHECK_RE = re.compile(r"check_exception old: (0x[0-9a-f]+) new (0x[0-9a-f]+)")

# How much of a debug log to read: the end is what matters, and an -d int
# log of a long run can be large.
_TAIL_BYTES = 512 * 1024


def read_tail(path, nbytes=_TAIL_BYTES):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - nbytes))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def triple_fault_logged(path):
    return "Triple fault" in read_tail(path, 64 * 1024)


def exception_name(vector):
    return EXCEPTION_NAMES.get(vector, f"vector {vector:#x}")


def fault_chain(log_text):
    """The exceptions that led to the last triple fault, oldest first.

    Returns a list of dicts (vector, error, rip, rsp, cpl, cr2, soft) or []
    if the log has no triple fault.
    """
    events = []   # ("check", old) or ("int", info), in log order
    for line in log_text.splitlines():
        if line.startswith("Triple fault"):
            events.append(("triple", None))
            continue
        m = _CHECK_RE.search(line)
        if m:
            events.append(("check", int(m.group(1), 16)))
            continue
        m = _INT_RE.search(line)
        if m:
            events.append(("int", {
                "vector": int(m.group(1), 16),
                "error": int(m.group(2), 16),
                "soft": m.group(3) == "1",
                "cpl": int(m.group(4)),
                "rip": int(m.group(6), 16),
                "rsp": int(m.group(8), 16),
                "cr2": int(m.group(9), 16) if m.group(9) else None,
            }))
    # Cut at the last triple fault.
    last = max((i for i, (kind, _) in enumerate(events) if kind == "triple"), default=None)
    if last is None:
        return []
    events = events[:last]
    # Walk back: an exception belongs to the chain while it was raised during
    # the delivery of the one before it (check_exception old != 0xffffffff).
    chain = []
    i = len(events) - 1
    while i >= 0:
        kind, info = events[i]
        if kind == "int":
            chain.insert(0, info)
            before = events[i - 1] if i > 0 else None
            if before is None or before[0] != "check" or before[1] == 0xFFFFFFFF:
                break
        i -= 1
    return chain


def describe_chain(chain, symbols):
    """Readable explanation of fault_chain()'s result."""
    if not chain:
        return "QEMU logged a triple fault but no exceptions before it."

    def where(info):
        s = f"RIP {info['rip']:#018x}"
        sym = symbols.format(info["rip"]) if symbols else None
        if sym:
            s += f" <{sym}>"
        return s

    first = chain[0]
    lines = [f"Triple fault. It started with {exception_name(first['vector'])} "
             f"(error code {first['error']:#x}) at {where(first)}, "
             f"RSP {first['rsp']:#018x}, CPL {first['cpl']}."]
    if first["vector"] == 14 and first["cr2"] is not None:
        sym = symbols.format(first["cr2"]) if symbols else None
        lines.append(f"Faulting address (CR2): {first['cr2']:#018x}" + (f" <{sym}>" if sym else ""))
    steps = [exception_name(c["vector"]).split()[0] for c in chain] + ["triple fault"]
    lines.append("Chain: " + " -> ".join(steps))
    lines.append("The CPU could not deliver an exception: check the IDT, the GDT/TSS "
                 "and the kernel stack, and that no page-table change unmapped them.")
    return "\n".join(lines)


def rerun_for_int_log(argv, sent, log_path, timeout):
    """Run argv (which must write an -d int log to log_path) to completion,
    feeding it the same input as the original run. Returns True if it
    finished within timeout."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, **OWN_GROUP)
    except OSError:
        return False
    try:
        proc.communicate(sent, timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

"""Where the guest CPU is when a test times out.

A graded boot has a QMP monitor on a Unix socket (qemu.py's qemu_argv,
qmp=). On a TIMEOUT, Machine asks describe() what the CPU is doing: it
stops the guest a few times for a moment and reads, through QMP's
human-monitor-command, the registers (`info registers`: RIP, RFLAGS, CPL,
HLT) and, in kernel mode, the kernel stack (`x /2gx RBP`, following the
RBP chain: kernels are built with -fno-omit-frame-pointer). From those
samples it says in one line what a student should look for: a loop with
interrupts off, an idle CPU (everything blocked, a missing wakeup), or a
user program running.

Every failure here (no socket, a QEMU that does not answer within
ANSWER_TIMEOUT, output it cannot parse) makes describe() return "": the
TIMEOUT is reported without it, never hidden.
"""

import json
import os
import re
import socket
import subprocess
import time

ANSWER_TIMEOUT = 2.0    # seconds QEMU gets to answer everything
SAMPLES = 5             # register samples, SAMPLE_GAP apart
SAMPLE_GAP = 0.02
MAX_FRAMES = 8          # backtrace depth shown
KERNEL_BASE = 0xffff800000000000
RFLAGS_IF = 1 << 9
# struct context (lab2-contexts/kernel/context.h): int pid first, then
# serial and state, then the name. The user-mode test checks these.
CONTEXT_PID = 0
CONTEXT_NAME = 20
CONTEXT_NAME_LEN = 32

# The scheduler's idle loop (lab2-contexts/kernel/sched.c): it halts
# with interrupts on when no context can run.
IDLE_LOOP = "sched_start"

# Kernel functions that poll the serial port for input with interrupts off
# (lab 1's monitor): a CPU there waits for typing, it is not stuck.
INPUT_WAITS = {"serial_getc_wait"}

_TREE_PATH_RE = re.compile(r"^/.*?/((?:common|lab\d+-[^/]+)/)")

_REG_RE = re.compile(r"\b([A-Z][A-Z0-9]*)\s*=\s*([0-9a-fA-F]+)\b")


class MonitorError(Exception):
    pass


class Monitor:
    """A QMP connection; every call must finish before `deadline`."""

    def __init__(self, path, deadline):
        self.deadline = deadline
        self.buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._timeout()
            # "@name": an abstract socket (ochre/plugin.py monitor_socket).
            self.sock.connect("\0" + path[1:] if path.startswith("@") else path)
            self._message()             # the greeting
            self.execute("qmp_capabilities")
        except BaseException:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def _timeout(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise MonitorError("QEMU's monitor did not answer in time")
        self.sock.settimeout(left)

    def _message(self):
        while b"\n" not in self.buf:
            self._timeout()
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MonitorError("QEMU closed its monitor")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self._timeout()
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._message()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise MonitorError(reply["error"].get("desc", "error"))
            # an event (STOP, RESUME, ...): not our answer

    def hmp(self, command):
        return self.execute("human-monitor-command", **{"command-line": command})

    def registers(self):
        """{name: int} from `info registers` (RIP, RFL, RBP, CPL, HLT, ...)."""
        regs = {}
        for name, value in _REG_RE.findall(self.hmp("info registers")):
            regs.setdefault(name, int(value, 16))
        if "RIP" not in regs or "RFL" not in regs:
            raise MonitorError("no RIP in `info registers`")
        return regs

    def read(self, addr, count, size="g"):
        """count values of size b/w/g at virtual address addr, or None if
        that memory cannot be read."""
        out = self.hmp(f"x /{count}{size}x {addr:#x}")
        values = []
        for line in out.splitlines():
            head, sep, rest = line.partition(":")
            if not sep:
                return None
            values += [int(v, 16) for v in rest.split()]
        return values if len(values) == count else None


class Sample:
    """The CPU at one moment."""

    def __init__(self, regs, frames):
        self.rip = regs["RIP"]
        self.cpl = regs.get("CPL", 0)
        self.interrupts = bool(regs["RFL"] & RFLAGS_IF)
        self.halted = bool(regs.get("HLT", 0))
        self.frames = frames            # return addresses of the RBP chain

    @property
    def kind(self):
        if self.cpl == 3:
            return "user"
        if self.halted:
            return "idle" if self.interrupts else "dead"
        return "kernel-on" if self.interrupts else "kernel-off"


def backtrace(mon, rbp):
    """Return addresses found by following the saved-RBP chain."""
    frames = []
    while len(frames) < MAX_FRAMES and rbp >= KERNEL_BASE and rbp % 8 == 0:
        pair = mon.read(rbp, 2)
        if not pair or pair[1] < KERNEL_BASE:
            break
        frames.append(pair[1])
        if pair[0] <= rbp:              # the chain must go up the stack
            break
        rbp = pair[0]
    return frames


def is_return_address(mon, value):
    """Does the code just before value end in a call (e8 rel32, or ff /2
    of 2, 3, 6 or 7 bytes)? Then value is a return address."""
    if value < KERNEL_BASE:
        return False
    code = mon.read(value - 8, 8, "b")
    if not code:
        return False
    if code[3] == 0xe8:
        return True
    return any(code[8 - n] == 0xff and (code[9 - n] >> 3) & 7 == 2 for n in (2, 3, 6, 7))


def stack_top_caller(mon, rsp):
    """The return address at RSP, if there is one: a function stopped
    before setting up its frame (or one that never does, GCC sets it up
    only on the paths that need it) is missing from the RBP chain."""
    top = mon.read(rsp, 1) if rsp >= KERNEL_BASE else None
    return top[0] if top and is_return_address(mon, top[0]) else None


def take_samples(mon, symbols):
    """SAMPLES samples, and (pid, name) of the context running at the
    first one in user mode (or None)."""
    samples = []
    context = None
    for i in range(SAMPLES):
        try:
            if i:
                mon.execute("cont")
                time.sleep(SAMPLE_GAP)
            mon.execute("stop")
            regs = mon.registers()
            frames = []
            if regs.get("CPL", 0) == 0:
                frames = backtrace(mon, regs.get("RBP", 0))
                caller = stack_top_caller(mon, regs.get("RSP", 0))
                if caller and caller not in frames[:1]:
                    frames.insert(0, caller)
            elif not any(s.cpl == 3 for s in samples):
                context = current_context(mon, symbols)
        except (OSError, ValueError, MonitorError):
            if not samples:
                raise
            break       # a slow QEMU (a loaded host): judge by what it said in time
        samples.append(Sample(regs, frames))
    return samples, context


def current_context(mon, symbols):
    """(pid, name) of the kernel's `cur`, or None."""
    addr = symbols.address_of("cur") if symbols is not None else None
    if addr is None:
        return None
    ptr = mon.read(addr, 1)
    if not ptr or ptr[0] < KERNEL_BASE:
        return None
    pid = mon.read(ptr[0] + CONTEXT_PID, 1, "w")
    name = mon.read(ptr[0] + CONTEXT_NAME, CONTEXT_NAME_LEN, "b")
    if not pid or not name:
        return None
    raw = bytes(name).split(b"\0")[0]
    return pid[0], raw.decode("ascii", "replace")


class Places:
    """Kernel addresses as "func+0x1c (lab2-contexts/kernel/sched.c:183)":
    names from kernel.sym, file and line from addr2line on kernel.elf."""

    def __init__(self, symbols, kernel, root):
        self.symbols = symbols
        self.kernel = kernel
        self.root = root
        self.lines = {}

    def lookup_lines(self, rips, returns):
        """rips: addresses of the next instruction; returns: return
        addresses, whose line is the call's (the byte before)."""
        if not self.kernel or not os.path.exists(self.kernel):
            return
        addrs = sorted(set(rips)) + sorted(set(returns) - set(rips))
        asked = [a if a in rips else a - 1 for a in addrs]
        try:
            # -a -i: each address, then its inlining chain, the function's own line last
            out = subprocess.run(["addr2line", "-a", "-i", "-e", self.kernel]
                                 + [f"{a:#x}" for a in asked],
                                 capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return
        groups = []
        for line in out.splitlines():
            if line.startswith("0x"):
                groups.append([])
            elif groups:
                groups[-1].append(line)
        for addr, group in zip(addrs, groups):
            if not group:
                continue
            line = group[-1]
            if not line.startswith("??"):
                path, _, num = line.partition(":")
                if self.root and path.startswith(self.root + os.sep):
                    path = os.path.relpath(path, self.root)
                else:   # built elsewhere (a copy of the tree): from the lab's directory
                    path = _TREE_PATH_RE.sub(r"\1", path)
                self.lines[addr] = f"{path}:{num.split()[0] if num else '?'}"

    def function(self, addr):
        hit = self.symbols.lookup(addr) if self.symbols is not None else None
        return hit[0] if hit else f"{addr:#x}"

    def where(self, addr):
        """'sched_tick (lab2-contexts/kernel/sched.c:223)'."""
        line = self.lines.get(addr)
        return f"{self.function(addr)} ({line})" if line else self.function(addr)

    def show(self, addr):
        sym = self.symbols.format(addr) if self.symbols is not None else None
        text = f"0x{addr:016x}" + (f" <{sym}>" if sym else "")
        line = self.lines.get(addr)
        return f"{text} {line}" if line else text


def loop_function(samples, places):
    """The innermost function on every sample's stack: where the loop is."""
    stacks = [[places.function(a) for a in [s.rip] + s.frames] for s in samples]
    for name in stacks[0]:
        if all(name in st for st in stacks[1:]):
            return name
    return None


def interpret(samples, places, context):
    """(one line saying what the samples mean, the sample to show)."""
    kinds = [s.kind for s in samples]
    first = samples[0]
    if kinds.count("user") * 2 > len(kinds):
        who = f"pid {context[0]} ({context[1]})" if context else "a user program"
        user = next(s for s in samples if s.kind == "user")
        return (f"The CPU is in user mode in {who} at rip {user.rip:#x}: the program "
                "itself is running (a loop in it that never ends, or polling for "
                "something that never comes)."), user
    if all(k == "kernel-off" for k in kinds):
        name = loop_function(samples, places) or places.function(first.rip)
        rip = next((a for a in [first.rip] + first.frames if places.function(a) == name),
                   first.rip)
        if name in INPUT_WAITS:
            return (f"The CPU is in {places.where(rip)}, waiting with interrupts off for "
                    "a key on the serial console: the kernel waits for input that "
                    "never came."), first
        stack = [first.rip] + first.frames
        caller = stack[stack.index(rip) + 1] if stack.index(rip) + 1 < len(stack) else None
        called = f", called from {places.where(caller)}," if caller else ""
        return (f"The CPU is spinning in {places.where(rip)}{called} with interrupts off: a loop "
                "that never ends (no timer tick can preempt it, so nothing else "
                "runs)."), first
    if all(k == "dead" for k in kinds):
        return (f"The CPU is halted with interrupts off in {places.where(first.rip)}: "
                "nothing can ever wake it."), first
    if "idle" in kinds and "user" not in kinds:
        idle = next(s for s in samples if s.kind == "idle")
        if places.function(idle.rip) != IDLE_LOOP:
            return (f"The CPU is halted in {places.where(idle.rip)} with interrupts on, "
                    "waiting for an interrupt: what it waits for never came."), idle
        return ("The CPU is idle (hlt in the idle loop, interrupts on): every context is "
                "blocked; something was never woken (a missing wakeup, or a sleeper "
                "nobody will wake)."), idle
    if all(k == "kernel-on" for k in kinds):
        return (f"The CPU is running kernel code in {places.where(first.rip)} with "
                "interrupts on, never reaching user mode or the idle loop."), first
    seen = ", ".join(sorted({places.function(s.rip) if s.cpl == 0 else "user mode"
                             for s in samples}))
    return f"The CPU is busy, but not in one place (samples in: {seen}).", first


def describe(path, symbols=None, kernel=None, root=None):
    """The report of where the CPU is, or "" if QEMU's monitor at path
    cannot tell (no socket, no answer in ANSWER_TIMEOUT, QEMU gone)."""
    if not path or not (path.startswith("@") or os.path.exists(path)):
        return ""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    try:
        mon = Monitor(path, deadline)
    except (OSError, ValueError, MonitorError):
        return ""
    try:
        samples, context = take_samples(mon, symbols)
        try:
            mon.deadline = max(mon.deadline, time.monotonic() + 0.5)
            mon.execute("cont")
        except (OSError, ValueError, MonitorError):
            pass
    except (OSError, ValueError, MonitorError):
        return ""
    finally:
        mon.close()
    places = Places(symbols, kernel, root)
    places.lookup_lines([s.rip for s in samples if s.rip >= KERNEL_BASE],
                        [a for s in samples for a in s.frames])
    summary, first = interpret(samples, places, context)
    lines = [summary, f"--- the CPU at the TIMEOUT (QEMU's monitor, one of {len(samples)} "
             "samples) ---"]
    mode = "user mode (CPL 3)" if first.cpl == 3 else f"kernel mode (CPL {first.cpl})"
    irq = "on" if first.interrupts else "off"
    state = ", halted (hlt)" if first.halted else ""
    lines.append(f"  {mode}, interrupts {irq} (RFLAGS.IF={int(first.interrupts)}){state}")
    lines.append(f"  RIP {places.show(first.rip)}")
    for i, addr in enumerate(first.frames, 1):
        lines.append(f"  #{i} {places.show(addr)}")
    others = ", ".join(f"{places.function(s.rip) if s.cpl == 0 else 'user'} "
                       f"({'IF=1' if s.interrupts else 'IF=0'}{', hlt' if s.halted else ''})"
                       for s in samples if s is not first)
    if others:
        lines.append(f"  other samples: {others}")
    return "\n".join(lines)

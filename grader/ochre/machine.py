"""One QEMU run and an expect-style API over its serial port.

A Machine starts a program (QEMU, or a fake in the grader's own tests), reads
its stdout (the guest's serial port) on a background thread into memory and
into a log file, and lets a test wait for regular expressions, send input and
wait for the exit status.

Everything that can go wrong is turned into a GradeFailure whose message is
complete on its own: what was expected, what happened (timeout, panic,
triple fault, early exit), the last lines of serial output, where the full
log is and the command that reproduces the boot. The pytest plugin shows that
message without a Python traceback.

Timing never decides an outcome: timeouts are generous limits for a kernel
that hangs, and they are reported as timeouts.
"""

import atexit
import codecs
import os
import re
import signal
import subprocess
import threading
import sys
import time
import weakref

from . import tree

# Popen arguments for a child in a process group of its own (to kill it
# and everything it started at once), in the caller's session. Not a new
# session: on Linux each session is a scheduler "autogroup" that gets as
# much CPU as all the others together, so every QEMU in a session of its
# own would take a share equal to a whole `make test` phase, and nice
# could not rank the phases. (process_group= is Python 3.11's; before it,
# a new session.)
OWN_GROUP = ({"process_group": 0} if sys.version_info >= (3, 11)
             else {"start_new_session": True})

DEFAULT_TIMEOUT = 30.0   # seconds per expect() / wait_exit()
PANIC_GRACE = 5.0        # seconds to collect the rest of a panic report
SETTLE = 0.2             # quiet time before a match on an unfinished line counts
# ... or this much of the program's own CPU time without output. Under
# -icount sleep=off an idle guest keeps QEMU's CPU busy (its clock jumps
# from timer to timer), so QEMU's CPU time is guest time passing: a guest
# at a prompt settles after 30 ms of it instead of 0.2 s of a host CPU
# spent spinning, and a QEMU that a loaded host does not run gains none.
SETTLE_CPU = 0.03
SETTLE_POLL = 0.01       # how often a settling match checks that CPU time
DRAIN_QUIET_CPU = 0.1    # QEMU CPU time without output that ends drain()
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TAIL_LINES = 25          # serial lines shown in a failure message
RECORDING_GRACE = 10.0   # seconds a recording QEMU gets to finish its log
# Serial output one boot may print. The longest log of any test is under
# 10 KiB; a kernel printing in a loop would fill the disk and the grader's
# memory, so at this size QEMU is stopped and the test fails saying why.
MAX_SERIAL = 1 << 20

PANIC_RE = re.compile(r"PANIC: ")
PANIC_END_RE = re.compile(r"PANIC end")
# Kernel addresses in panic text that the kernel did not symbolize itself.
_KERNEL_ADDR_RE = re.compile(r"0x(ffffffff[0-9a-fA-F]{8})")
_CODE_LINE_RE = re.compile(r"^\s*(RIP\b|#\d+\s)")

# QEMU exit status -> meaning, and the kernel's exit codes by name: one
# table, in common/mk/qemu.py (make qemu reports statuses with it too).
KERNEL_EXIT_CODES = tree.KERNEL_EXIT_CODES
describe_status = tree.describe_status
# The QEMU exit statuses tests expect, by name (wait_exit(status=POWEROFF)).
POWEROFF = tree.qemu_status(tree.qemu.EXIT_POWEROFF)        # 1
TEST_FAILED = tree.qemu_status(tree.qemu.EXIT_TEST_FAILED)  # 3
PANIC = tree.qemu_status(tree.qemu.EXIT_PANIC)              # 5
USAGE = tree.qemu_status(tree.qemu.EXIT_USAGE)              # 9

# Machines not yet closed, so that an exiting interpreter kills their QEMUs.
_live = weakref.WeakSet()


class GradeFailure(AssertionError):
    """A failure whose message explains everything; shown without traceback.

    parts: the same facts one by one, for the HTML report (ochre/report.py):
    headline, details, expected, seen, panic (the symbolized panic report),
    log (the serial log's path), reproduce, replay (lines).
    """

    def __init__(self, message, **parts):
        super().__init__(message)
        self.parts = parts


class GiveUp:
    """A line after which a boot cannot reach what a test waits for
    (Machine's give_up): regex matches it; headline and details explain."""

    def __init__(self, regex, headline, details=""):
        self.regex = re.compile(regex)
        self.headline = headline
        self.details = details


def _show_pattern(rx):
    return f"/{rx.pattern}/"


class Machine:
    """A running QEMU (or fake) and its serial output.

    argv           the command to run
    log_path       where the serial output is saved (all of it, as it arrives)
    stderr_path    where the program's stderr goes (None: discarded)
    reproduce      the shell command that reproduces this boot, for messages
    replay         lines saying how to record and replay this boot (or [])
    recording      True if QEMU records this run: it is stopped with SIGTERM
                   first, so that it finishes the record/replay log
    default_timeout  per expect()/wait_exit() limit in seconds
    explain_reset  callable(machine) -> str, explains exit status 0
    explain_timeout  callable(machine) -> str, says where the CPU is when a
                   wait times out (ochre/cpustate.py through QEMU's
                   monitor); "" (or an exception) leaves it out
    symbols        a Symbols object to annotate panic addresses (or None)
    give_up        lines that mean the boot can no longer get where any
                   wait is going, as GiveUp values: seen by expect() or
                   wait_exit() (like a PANIC), such a line fails the test at
                   once with its headline instead of letting it run into a
                   TIMEOUT (lab 3 and 5's bootstrap falling back to its
                   rescue shell; ochre/plugin.py)
    """

    def __init__(self, argv, *, log_path, stderr_path=None, reproduce="", replay=(),
                 recording=False, default_timeout=DEFAULT_TIMEOUT, explain_reset=None,
                 explain_timeout=None, symbols=None, give_up=()):
        self.argv = list(argv)
        self.log_path = log_path
        self.stderr_path = stderr_path
        self.reproduce = reproduce
        self.replay = list(replay)
        self.recording = recording
        self.default_timeout = default_timeout
        self.explain_reset = explain_reset
        self.explain_timeout = explain_timeout
        self.symbols = symbols
        self.give_up = list(give_up)

        self.proc = None
        self.status = None      # exit status once reaped
        self.sent = b""         # everything sent, so a rerun can replay it
        self.before = ""        # output between the previous match and the last one

        self._cond = threading.Condition()
        self._text = ""         # all serial output decoded so far
        self._pos = 0           # how far expect() has consumed _text
        self._eof = False
        self._received = 0      # serial bytes so far
        self.flooded = False    # stopped for printing more than MAX_SERIAL
        self._last_data = time.monotonic()
        self._settle_mark = None  # (len(_text), program CPU time) when settling began
        self._reader = None
        self._log = None
        self._stderr = None

    # ---- life cycle -------------------------------------------------------

    def start(self):
        """Start the program; raises GradeFailure if it cannot be started."""
        os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
        self._log = open(self.log_path, "wb")
        if self.stderr_path:
            self._stderr = open(self.stderr_path, "wb")
        try:
            # A process group of its own per machine: Ctrl-C in the
            # terminal reaches the grader, which then kills QEMU itself, and
            # close() can kill the whole group (OWN_GROUP).
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr or subprocess.DEVNULL,
                bufsize=0,
                **OWN_GROUP,
            )
        except OSError as e:
            self._close_files()
            raise GradeFailure(f"cannot start {self.argv[0]}: {e}") from None
        _live.add(self)
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name=f"serial-{self.proc.pid}")
        self._reader.start()
        return self

    def close(self):
        """Kill the program (if still running) and finish the log. Idempotent."""
        if self.proc is not None and self.proc.poll() is None:
            if self.recording:
                # A recording killed with SIGKILL has no valid log header.
                self._kill(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=RECORDING_GRACE)
                except subprocess.TimeoutExpired:
                    pass
            self._kill(signal.SIGKILL)
            self.proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)
            self._reader = None
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            if self.status is None:
                self.status = self.proc.returncode
        self._close_files()
        _live.discard(self)

    def _kill(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _close_files(self):
        for f in (self._log, self._stderr):
            if f is not None:
                f.close()
        self._log = self._stderr = None

    def _read_loop(self):
        """Background thread: serial bytes -> log file and decoded text."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if self.flooded:
                if chunk:
                    continue    # QEMU is being killed: drop the rest
            elif self._received + len(chunk) > MAX_SERIAL:
                chunk = chunk[:MAX_SERIAL - self._received]
                self._stop_flood()
            self._received += len(chunk)
            if chunk and self._log is not None:
                self._log.write(chunk)
                self._log.flush()   # the log is complete even if we are killed
            text = decoder.decode(chunk, final=not chunk)
            with self._cond:
                self._text += text
                if chunk:
                    self._last_data = time.monotonic()
                else:
                    self._eof = True
                self._cond.notify_all()
            if not chunk:
                return

    def _stop_flood(self):
        self.flooded = True
        self._kill(signal.SIGKILL)

    # ---- output -----------------------------------------------------------

    @property
    def output(self):
        """All serial output so far."""
        with self._cond:
            return self._text

    def lines(self):
        """Serial output as lines (carriage returns removed)."""
        return self.output.replace("\r", "").split("\n")

    def tail(self, n=TAIL_LINES, upto=None):
        """The last n lines of output (of output[:upto] if given)."""
        lines = self.output[:upto].replace("\r", "").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines[-n:]

    # ---- input ------------------------------------------------------------

    def send(self, text):
        """Type text on the serial console."""
        data = text.encode("utf-8")
        self.sent += data
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            with self._cond:
                self._fail_exited(f"while sending {text!r}")

    def sendline(self, text=""):
        """Type text and Enter. A terminal sends carriage return for Enter
        (QEMU passes the raw key), so that is what the kernel must accept."""
        self.send(text + "\r")

    # ---- waiting ----------------------------------------------------------

    def expect(self, pattern, timeout=None, *, allow_panic=False, partial=True):
        """Wait until a line of serial output matches pattern; return the match.

        The search starts after the previous match and goes line by line
        (re.search on each line without its line ending), so ^ and $ anchor to
        the line. With partial=True the unfinished last line is searched too,
        so that prompts like "ochre> " can be matched; such a match counts
        once more output cannot change it (the match ends before the end of
        the data, or the output has been quiet for a moment, or QEMU exited).

        A kernel PANIC seen on the way fails the test with the panic report,
        unless allow_panic is true (then panic lines are ordinary output).
        """
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        timeout = self.default_timeout if timeout is None else timeout
        what = _show_pattern(rx)
        deadline = time.monotonic() + timeout
        scan = self._pos

        with self._cond:
            while True:
                text = self._text
                # Complete lines, in order: a match before a panic wins, a
                # panic before a match fails.
                while True:
                    nl = text.find("\n", scan)
                    if nl < 0:
                        break
                    line = text[scan:nl]
                    if line.endswith("\r"):
                        line = line[:-1]
                    m = rx.search(line)
                    if m:
                        self.before = text[self._pos:scan + m.start()]
                        # A match that ends the line consumes the newline too.
                        self._pos = nl + 1 if m.end() == len(line) else scan + m.end()
                        return m
                    if not allow_panic and PANIC_RE.search(line):
                        self._fail_panic(scan, f"waiting for {what}")
                    self._check_give_up(line, nl + 1, f"waiting for {what}")
                    scan = nl + 1

                settling = False
                rest = text[scan:]
                if partial and rest:
                    m = rx.search(rest)
                    if m:
                        if m.end() < len(rest) or self._eof or self._quiet():
                            self.before = text[self._pos:scan + m.start()]
                            self._pos = scan + m.end()
                            return m
                        settling = True

                if self._eof:
                    self._fail_exited(f"while waiting for {what}")
                now = time.monotonic()
                if now >= deadline:
                    self._fail_timeout(f"TIMEOUT after {timeout:g}s waiting for {what}",
                                       expected=what,
                                       seen="(nothing matching; the last lines are below)")
                wait = deadline - now
                if settling:
                    wait = min(wait, SETTLE_POLL)
                self._cond.wait(wait)

    def _quiet(self):
        """Has the output been quiet long enough for a match at the end of
        an unfinished line to count: SETTLE seconds, or SETTLE_CPU of the
        program's CPU time since settling began with no byte since."""
        if time.monotonic() - self._last_data >= SETTLE:
            return True
        cpu = self._cpu_time()
        if cpu is None:
            return False
        if self._settle_mark is None or self._settle_mark[0] != len(self._text):
            self._settle_mark = (len(self._text), cpu)
            return False
        return cpu - self._settle_mark[1] >= SETTLE_CPU

    def _cpu_time(self):
        """The program's CPU time so far in seconds (None if unknown: not
        Linux, or gone). setpriv execs QEMU in place: this is QEMU's."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def wait_exit(self, timeout=None, *, status=None, allow_panic=False):
        """Wait for the program to exit and return its exit status.

        status: the expected exit status; anything else fails the test with
        its meaning. A triple fault / reset (status 0) and QEMU errors always
        fail unless expected. A PANIC on the way fails unless allow_panic.
        """
        timeout = self.default_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        scan = self._pos
        with self._cond:
            while True:
                text = self._text
                while True:
                    nl = text.find("\n", scan)
                    if nl < 0:
                        break
                    line = text[scan:nl]
                    if not allow_panic and PANIC_RE.search(line):
                        self._fail_panic(scan, "waiting for the kernel to exit")
                    self._check_give_up(line, nl + 1, "waiting for the kernel to exit")
                    scan = nl + 1
                if self._eof:
                    break
                now = time.monotonic()
                if now >= deadline:
                    self._fail_timeout(f"TIMEOUT after {timeout:g}s waiting for the kernel "
                                       "to exit", expected="the kernel to exit",
                                       seen="(still running)")
                self._cond.wait(deadline - now)
            # Trailing unfinished line: check it for a panic too.
            if not allow_panic and PANIC_RE.search(self._text[scan:]):
                self._fail_panic(scan, "waiting for the kernel to exit")
            self._pos = len(self._text)
            got = self._reap()
            if self._qemu_failed(got):
                self._fail_status(got, "while waiting for the kernel to exit")
            if got == status:
                return got
            if status is not None:
                expected = f"exit status {status} ({describe_status(status)})"
                self._fail_status(got, f"but {expected} was expected", expected=expected)
            if got <= 0 or not got & 1:
                self._fail_status(got, "while waiting for the kernel to exit")
            return got

    @property
    def exited(self):
        return self.proc is not None and self.proc.poll() is not None

    # ---- failures ---------------------------------------------------------

    def _reap(self):
        """Exit status after EOF on the serial port (QEMU has exited)."""
        if self.status is None:
            try:
                self.status = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # stdout closed but the process lingers: not a clean exit.
                self.close()
                self.status = self.proc.returncode
        return self.status

    def report(self, headline, details="", upto=None):
        """The complete failure message: headline, details, serial tail,
        log location and reproduce command. upto: show the output only up
        to this offset (when details already show what follows)."""
        parts = [headline]
        if details:
            parts += ["", details.rstrip("\n")]
        tail = self.tail(upto=upto)
        log = os.path.relpath(self.log_path)
        what = "before that" if upto is not None else "of serial output"
        parts += ["", f"--- last {TAIL_LINES} lines {what} (full log: {log}) ---"]
        parts += tail if tail else ["(no serial output)"]
        if self.reproduce:
            parts += ["--- reproduce this boot with ---", self.reproduce]
        parts += self.replay
        return "\n".join(parts)

    def fail(self, headline, details="", upto=None, **parts):
        """Fail the test with headline and details plus this machine's serial
        tail, log path and reproduce command. parts: expected, seen, panic
        (see GradeFailure), for the HTML report."""
        raise GradeFailure(self.report(headline, details, upto), **self.parts(headline, details),
                           **parts)

    def parts(self, headline, details=""):
        """What GradeFailure.parts knows about this machine."""
        return {"headline": headline, "details": details, "log": self.log_path,
                "reproduce": self.reproduce, "replay": self.replay}

    def drain(self, timeout=5.0):
        """Wait (briefly) for the program to finish printing and exit, without
        judging anything: used before reporting a failure so the message
        shows the kernel's last words.

        Last words come at once (the program exits, the kernel powers off
        or panics), so the wait also ends once QEMU has spent DRAIN_QUIET_CPU
        of its CPU time with no new output: a guest left hung after its
        FAIL line (a parent blocked for ever) would otherwise keep a host
        CPU busy for the whole timeout, since under -icount sleep=off an
        idle guest's clock races from tick to tick."""
        deadline = time.monotonic() + timeout
        mark = None     # (len(_text), CPU time) when the output last grew
        with self._cond:
            while not self._eof:
                now = time.monotonic()
                if now >= deadline:
                    break
                cpu = self._cpu_time()
                if cpu is not None:
                    if mark is None or mark[0] != len(self._text):
                        mark = (len(self._text), cpu)
                    elif cpu - mark[1] >= DRAIN_QUIET_CPU:
                        break
                self._cond.wait(min(deadline - now, SETTLE_POLL))

    def _stderr_text(self):
        if not self.stderr_path:
            return ""
        if self._stderr is not None:
            self._stderr.flush()
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def _fail_exited(self, doing):
        """QEMU went away while we were waiting for something."""
        status = self._reap()
        self._fail_status(status, doing)

    def _fail_status(self, status, doing, expected=None):
        headline = f"kernel exited with status {status} ({describe_status(status)}) {doing}"
        details = ""
        if self.flooded:
            headline = (f"the kernel printed more than {MAX_SERIAL >> 20} MiB of serial "
                        f"output {doing}; the grader stopped it")
            details = ("No test prints more than a few KiB: look for a print in a loop "
                       "(the last lines show what it printed).")
        elif self._qemu_failed(status):
            headline = f"QEMU could not start the kernel (QEMU exit status 1) {doing}"
            details = "QEMU said:\n" + self._stderr_text().strip()
        elif status == 0:
            headline = f"triple fault or reset (QEMU exit status 0) {doing}"
            if self.explain_reset is not None:
                # Release the lock: the explanation may take a while (rerun).
                self._cond.release()
                try:
                    details = self.explain_reset(self)
                finally:
                    self._cond.acquire()
        elif status < 0 or not status & 1:
            err = self._stderr_text().strip()
            details = "QEMU said:\n" + err if err else ""
        self.fail(headline, details, expected=expected or doing.removeprefix("while "),
                  seen=f"exit status {status} ({describe_status(status)})")

    def _qemu_failed(self, status):
        """QEMU's own errors (a bad option, a missing file) end it with
        status 1 before the guest runs, the status of a clean poweroff:
        told apart by no serial output at all and an error on stderr."""
        return status == 1 and self._received == 0 and bool(self._stderr_text().strip())

    def _fail_timeout(self, headline, **parts):
        """A wait ran out of time: fail, saying where the CPU is if
        explain_timeout can tell. Nothing it does can hide the TIMEOUT."""
        details = ""
        if self.explain_timeout is not None:
            # Release the lock: the reader thread keeps draining QEMU's output.
            self._cond.release()
            try:
                details = self.explain_timeout(self) or ""
            except Exception:   # noqa: BLE001 -- the TIMEOUT is what matters
                details = ""
            finally:
                self._cond.acquire()
        self.fail(headline, details, **parts)

    def _check_give_up(self, line, end, doing):
        """Fail at once if line (ending at offset end) is a give_up line."""
        for g in self.give_up:
            if g.regex.search(line):
                self._pos = end
                line = line.rstrip("\r")
                self.fail(f"{g.headline} while {doing}", g.details, expected=doing, seen=line)

    def _fail_panic(self, start, doing):
        """A PANIC: line appeared at offset start. Collect the report up to
        'PANIC end' (or exit, or a short grace period) and fail with it."""
        grace = time.monotonic() + PANIC_GRACE
        while True:
            text = self._text[start:]
            end = PANIC_END_RE.search(text)
            if end or self._eof:
                break
            left = grace - time.monotonic()
            if left <= 0:
                break
            self._cond.wait(left)
        if end:
            nl = text.find("\n", end.end())
            text = text[:nl if nl >= 0 else len(text)]
        self._pos = start + len(text)
        report = self.annotate(text)
        self.fail(f"kernel PANIC while {doing}", report, upto=start, expected=doing,
                  seen=report.strip().split("\n")[0], panic=report)

    def annotate(self, text):
        """Add our own symbolization to code addresses (RIP and backtrace
        lines) that the kernel printed without one."""
        if self.symbols is None:
            return text.replace("\r", "")
        out = []
        for line in text.replace("\r", "").split("\n"):
            if "<" not in line and _CODE_LINE_RE.match(line):
                names = []
                for m in _KERNEL_ADDR_RE.finditer(line):
                    sym = self.symbols.format(int(m.group(1), 16))
                    if sym:
                        names.append(sym)
                if names:
                    line += "   [kernel.sym: " + ", ".join(names) + "]"
            out.append(line)
        return "\n".join(out)


@atexit.register
def _kill_all():
    for m in list(_live):
        m.close()

# SPDX-License-Identifier: GPL-2.0
"""Helpers for the end-to-end tests: run colinux-sim as a user would and
read what the test guest (guest-drivers/testguest) reports.

The guest prints one line per result and a summary per program:

    PASS  prog: what
    FAIL  prog: what
    SKIP  prog: reason
    XFAIL prog: what
    == prog: 5 passed, 0 failed, 1 skipped, 0 xfailed ==

and powers off with the number of failures as exit code. Its table of
programs (test=list) is read by tg_table.py.
"""
import os
import re
import socket
import struct
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# colinux-sim's exit statuses besides the guest's own code.
EXIT_GUEST_ERROR = 70
EXIT_PROTOCOL = 71
EXIT_CPU_FAULT = 72
EXIT_HUNG = 73
EXIT_DEADLOCK = 74
# The QEMU rig's bare host only: its state check found a register changed.
EXIT_HOST_STATE = 75

RESULT_RE = re.compile(r"^(PASS|FAIL|SKIP|XFAIL)\s+(\S+): (.*)$")
SUMMARY_RE = re.compile(
    r"^== (\S+): (\d+) passed, (\d+) failed, (\d+) skipped, (\d+) xfailed ==$")


def build_dir():
    return Path(os.environ.get("CO_BUILD_DIR", REPO / "build")).resolve()


def sim_path():
    return build_dir() / "sim-host" / "colinux-sim"


def guest_path():
    return build_dir() / "guest-drivers" / "testguest" / "testguest.elf"


@dataclass
class Result:
    status: str
    program: str
    text: str


@dataclass
class Run:
    args: list
    returncode: int
    stdout: str
    stderr: str
    results: list = field(default_factory=list)
    summaries: dict = field(default_factory=dict)

    def of(self, status):
        return [r for r in self.results if r.status == status]

    def describe(self):
        return ("colinux-sim %s -> exit %d\n--- console ---\n%s\n--- stderr ---\n%s"
                % (" ".join(self.args), self.returncode, self.stdout[-6000:],
                   self.stderr[-3000:]))


def parse(stdout):
    results, summaries = [], {}
    for line in stdout.splitlines():
        line = line.rstrip("\r")
        m = RESULT_RE.match(line)
        if m:
            results.append(Result(*m.groups()))
            continue
        m = SUMMARY_RE.match(line)
        if m:
            summaries[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return results, summaries


def run_sim(args, timeout=60, env=None, kernel=True, stdin=subprocess.DEVNULL):
    """colinux-sim run [kernel=<test guest> memwindow=contiguous] ARGS."""
    cmd = [str(sim_path()), "run"]
    # colinux-sim takes its own --options before the configuration.
    cmd += [str(a) for a in args if str(a).startswith("--")]
    args = [a for a in args if not str(a).startswith("--")]
    if kernel:
        cmd += ["kernel=%s" % guest_path(), "memwindow=contiguous"]
    cmd += [str(a) for a in args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=timeout,
                       env=full_env, text=True, errors="replace")
    run = Run(cmd[2:], p.returncode, p.stdout, p.stderr)
    run.results, run.summaries = parse(p.stdout)
    write_tap(run)
    return run


def write_tap(run):
    """With $CO_E2E_TAP_DIR set, one TAP file per program seen."""
    out = os.environ.get("CO_E2E_TAP_DIR")
    if not out:
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    for prog in run.summaries:
        rs = [r for r in run.results if r.program == prog]
        lines = ["TAP version 13", "1..%d" % len(rs)]
        for i, r in enumerate(rs, 1):
            if r.status == "PASS":
                lines.append("ok %d - %s" % (i, r.text))
            elif r.status == "FAIL":
                lines.append("not ok %d - %s" % (i, r.text))
            elif r.status == "SKIP":
                lines.append("ok %d - %s # SKIP %s" % (i, prog, r.text))
            else:
                lines.append("not ok %d - %s # TODO xfail" % (i, r.text))
        Path(out, prog + ".tap").write_text("\n".join(lines) + "\n")


# ---- cobd ----------------------------------------------------------------

M64 = (1 << 64) - 1
SECTOR = 512
STAMP_GEN = 0xffff


def mix64(x):
    """splitmix64's finaliser, as guest-drivers/testguest/lib.c."""
    z = (x + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def cobd_pattern_sector(seed, unit, gen, sector):
    """The 512 bytes tg_cobd_pattern() puts in @sector."""
    base = seed ^ (unit << 56) ^ (gen << 40)
    return struct.pack("<64Q", *(mix64((base ^ ((sector << 6) | w)) & M64)
                                 for w in range(64)))


def make_image(path, size, fill=b"\0"):
    with open(path, "wb") as f:
        if fill == b"\0":
            f.truncate(size)
        else:
            f.write(fill * (size // len(fill)))


# ---- network ---------------------------------------------------------------

class UdpEcho:
    """A UDP echo server on 127.0.0.1 that records what it received."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            self.received.append((data, peer))
            self.sock.sendto(data, peer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class UdpSink:
    """A UDP socket on 127.0.0.1 that only records."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def read_all(self, timeout=1.0):
        self.sock.settimeout(timeout)
        out = []
        try:
            while True:
                out.append(self.sock.recvfrom(65536))
                self.sock.settimeout(0.1)
        except socket.timeout:
            pass
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def tshark_fields(pcap, fields, display_filter=None):
    """Rows of @fields from a capture, read back with tshark."""
    cmd = ["tshark", "-r", str(pcap), "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines() if line]


# ---- a terminal ------------------------------------------------------------

class PtySession:
    """colinux-sim on a pseudo-terminal, typed at like a person would."""

    def __init__(self, args, kernel=False, env=None):
        import pty
        cmd = [str(sim_path()), "run"]
        if kernel:
            cmd += ["kernel=%s" % guest_path(), "memwindow=contiguous"]
        cmd += [str(a) for a in args]
        self.master, slave = pty.openpty()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave,
                                     stderr=slave, env=full_env,
                                     close_fds=True)
        os.close(slave)
        self.buf = b""

    def _read(self, timeout):
        import select
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        self.buf += data
        return bool(data)

    def expect(self, pattern, timeout=20.0):
        """Wait for @pattern (bytes regex) in the output; return the match."""
        import time
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and
                             self.proc.poll() is not None and
                             not self._read(0.1)):
                raise AssertionError("no %r in the terminal output:\n%s" %
                                     (pattern, self.text()[-4000:]))

    def type(self, text):
        for ch in text.encode():
            os.write(self.master, bytes([ch]))

    def text(self):
        return self.buf.decode(errors="replace")

    def wait(self, timeout=20.0):
        import time
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self._read(0.2)
        while self._read(0.1):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("colinux-sim did not exit:\n" + self.text()[-4000:])
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)

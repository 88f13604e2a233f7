# SPDX-License-Identifier: GPL-2.0
"""Helpers for the Linux guest tests (tests/linux): where the built
kernels and root images are, and a QEMU serial console to drive.

The tests never build a kernel: ci/linux runs guest-drivers/linux/build
(cached) and guest-drivers/linux/rootfs/mkrootfs first, and the tests find
the results through the environment:

  CO_LINUX_BUILD_DIR        the build folder (default <repo>/build-linux);
                            out/baseline, out/coop and out/rootfs in it
  CO_LINUX_BASELINE_KERNEL  the baseline kernel to boot instead of
                            out/baseline/vmlinux
  CO_LINUX_ROOT_IMAGE       the ext2 root image instead of
                            out/rootfs/root.img
  CO_LINUX_INITRAMFS        the initramfs instead of out/rootfs/initramfs.cpio

A missing artifact fails the test (it does not skip), naming the command
that makes it.
"""
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "guest-drivers" / "linux"
BUILD = LINUX / "build"
MKROOTFS = LINUX / "rootfs" / "mkrootfs"
QEMU = "qemu-system-x86_64"

# The shell prompt of the root images (rootfs/skel/etc/profile).
PROMPT = "root@colinux:/# "


def build_dir():
    return Path(os.environ.get("CO_LINUX_BUILD_DIR", REPO / "build-linux"))


def pinned_version():
    """The Debian version VERSION pins, e.g. 6.1.192-3."""
    for line in (LINUX / "VERSION").read_text().splitlines():
        if line.startswith("version "):
            return line.split()[1]
    raise AssertionError("guest-drivers/linux/VERSION has no version line")


def _need(path, what, how, env=None):
    if not path.exists():
        also = f" (or set {env})" if env else ""
        pytest.fail(f"{what} {path} not found: build it with {how}{also}; "
                    f"ci/linux builds everything the tests need",
                    pytrace=False)
    return path


def _artifact(env, default, what, how):
    """default, or the path in environment variable env if set."""
    if os.environ.get(env):
        return _need(Path(os.environ[env]), what, "the command that makes it",
                     env)
    return _need(default, what, how, env)


def kernel_out(flavor):
    """out/<flavor> of the build folder, checked to be complete and built
    from the sources as they are now (its key is the one build
    --print-key gives)."""
    out = build_dir() / "out" / flavor
    how = f"guest-drivers/linux/build --{flavor}"
    key_file = _need(out / "key", f"the {flavor} kernel's key", how,
                     "CO_LINUX_BUILD_DIR")
    p = subprocess.run([str(BUILD), "--print-key", f"--{flavor}"],
                       capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"build --print-key failed:\n{p.stderr}"
    want = p.stdout.split()[0]
    have = key_file.read_text().strip()
    if have != want:
        pytest.fail(f"{out} is stale: built with key {have}, the sources "
                    f"now give {want}; run {how}", pytrace=False)
    return out


def baseline_kernel():
    if os.environ.get("CO_LINUX_BASELINE_KERNEL"):
        return _artifact("CO_LINUX_BASELINE_KERNEL", None,
                         "the baseline kernel", "")
    return kernel_out("baseline") / "vmlinux"


def root_image():
    return _artifact("CO_LINUX_ROOT_IMAGE",
                     build_dir() / "out" / "rootfs" / "root.img",
                     "the root image", "guest-drivers/linux/rootfs/mkrootfs")


def initramfs():
    return _artifact("CO_LINUX_INITRAMFS",
                     build_dir() / "out" / "rootfs" / "initramfs.cpio",
                     "the initramfs", "guest-drivers/linux/rootfs/mkrootfs")


def linux_release(config):
    """The release from a .config header: "# Linux/x86_64 6.1.192 Kernel
    Configuration"."""
    m = re.search(r"^# Linux/x86_64 (\S+) Kernel Configuration$",
                  Path(config).read_text(), re.M)
    assert m, f"{config}: no Linux version in the header"
    return m.group(1)


class Console:
    """A QEMU process whose serial port is its standard input and output.
    Output is collected by a thread; expect() waits for a pattern in what
    came after the previous match."""

    def __init__(self, args, program=QEMU):
        self.args = [str(program)] + [str(a) for a in args]
        try:
            # Its own process group: kill() takes what it started too
            # (qemu-rig/run's QEMU and gdb).
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except FileNotFoundError:
            pytest.fail(f"{program} not found: install qemu-system-x86",
                        pytrace=False)
        self.buf = ""
        self.pos = 0
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.tag = 0

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, 4096)
            if not data:
                break
            with self.cond:
                # The serial line ends lines with CR LF.
                self.buf += data.decode(errors="replace").replace("\r", "")
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def transcript(self, tail=4000):
        with self.cond:
            return self.buf[-tail:]

    def fail(self, why):
        self.kill()
        pytest.fail(f"{why}\ncommand: {' '.join(self.args)}\n"
                    f"--- console (last lines) ---\n{self.transcript()}",
                    pytrace=False)

    def expect(self, pattern, timeout, what=None):
        """Wait up to timeout seconds for pattern (a regex) after the
        previous match; return the match."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not self.reader.is_alive()):
                    break
                self.cond.wait(min(left, 0.5))
        state = ("QEMU exited with status %d" % self.proc.returncode
                 if self.proc.poll() is not None else
                 "not within %d s" % timeout)
        self.fail(f"waiting for {what or repr(pattern)}: {state}")

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def run(self, command, timeout=30):
        """Run a shell command at the prompt; return (output, status).
        The markers are written with quotes so that the echo of the typed
        line never matches them."""
        self.tag += 1
        t = self.tag
        self.send(f'echo @@"S{t}"@@; {command}; echo @@"E{t}"@@ $?\n')
        m = self.expect(rf"@@S{t}@@\n(.*?)@@E{t}@@ (\d+)\n", timeout,
                        f"the output of {command!r}")
        self.expect(re.escape(PROMPT), timeout, "the prompt after "
                    f"{command!r}")
        return m.group(1), int(m.group(2))

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"QEMU did not exit within {timeout} s")

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.reader.join(5)

# SPDX-License-Identifier: GPL-2.0
"""colinux-sim as a person uses it: with no kernel= it boots the bundled
test guest, unattended (demo) when standard input is not a terminal and
as a small shell on a terminal; keyboard input; host interrupts."""
import pathlib
import re
import subprocess

import pytest

import colinux_e2e as e2e
from conftest import sha256


def test_demo_unattended(tmp_path):
    img = tmp_path / "disk.img"
    e2e.make_image(img, 2 << 20, fill=b"USERDATA")
    before = sha256(img)
    run = e2e.run_sim(["cobd0=%s" % img, "eth0=slirp"], kernel=False, timeout=60)
    assert run.returncode == 0, run.describe()
    out = run.stdout
    assert 'command line "demo"' in out, run.describe()
    assert "[ ok ] console: this text went through the cocon ring" in out
    assert re.search(r"\[ ok \] sleep: 250\.\d{3} ms passed", out), out
    assert "[ ok ] disk: cobd0 wrote a pattern at sector 2048, read it back, " \
           "restored the data" in out
    assert "[ ok ] net: ARP: gateway 10.0.2.2 is at 52:55:0a:00:02:02" in out
    assert "[ ok ] net: ping 10.0.2.2 (56 bytes): reply" in out
    assert re.search(r"^demo: 6 steps, 0 failed", out, re.M), out
    assert "FAIL" not in out
    assert sha256(img) == before, "the demo must leave the disk as it was"


def test_demo_with_no_arguments():
    """The README's main job: no configuration at all. colinux-sim adds a
    scratch disk (removed afterwards) and slirp networking, and the demo
    shows every device working."""
    before = set(pathlib.Path("/tmp").glob("colinux-demo-*"))
    run = e2e.run_sim([], kernel=False, timeout=60)
    assert run.returncode == 0, run.describe()
    assert "[ ok ] disk: cobd0 wrote a pattern" in run.stdout
    assert "[ ok ] net: ARP: gateway 10.0.2.2 is at" in run.stdout
    assert "[ ok ] net: ping 10.0.2.2" in run.stdout
    assert re.search(r"^demo: 6 steps, 0 failed", run.stdout, re.M), run.describe()
    assert set(pathlib.Path("/tmp").glob("colinux-demo-*")) == before


def test_demo_with_devices_switched_off_by_config(tmp_path):
    """Given cobd0/eth0 of its own, the demo uses them and adds nothing."""
    img = tmp_path / "disk.img"
    e2e.make_image(img, 1 << 20)
    run = e2e.run_sim(["cobd0=%s,ro" % img], kernel=False, timeout=60)
    assert "cobd0: 2048 sectors" in run.stdout, run.describe()


def test_shell_on_a_terminal(tmp_path):
    img = tmp_path / "disk.img"
    e2e.make_image(img, 1 << 20)
    s = e2e.PtySession(["cobd0=%s" % img, "eth0=slirp"])
    try:
        s.expect(rb"colinux> ")
        s.type("echo hello from the e2e test\r")
        s.expect(rb"\r\nhello from the e2e test\r?\n")
        s.type("time\r")
        s.expect(rb"wall clock \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
        s.type("sleep 1\r")
        s.expect(rb"\[ ok \] sleep: 1\d{3}\.\d{3} ms passed")
        s.type("disk\r")
        s.expect(rb"\[ ok \] disk: cobd0 wrote a pattern at sector 1024")
        s.type("net\r")
        s.expect(rb"\[ ok \] net: ping 10.0.2.2 \(56 bytes\): reply")
        s.type("nonsense\r")
        s.expect(rb"nonsense: unknown command")
        s.type("ab\x7fc\r")		# a backspace on the line
        s.expect(rb"ac: unknown command")
        s.type("test timer\r")
        s.expect(rb"== timer: \d+ passed, 0 failed")
        s.type("quit\r")
        assert s.wait() == 0, s.text()
        assert "power off" in s.text()
    finally:
        s.close()


def test_console_input_with_a_kernel():
    s = e2e.PtySession(["test=console", "input=hello42"], kernel=True)
    try:
        s.expect(rb'type "hello42" and Enter', timeout=30)
        s.type("hello42\r")
        s.expect(rb'PASS  console: keyboard input "hello42" read back', timeout=30)
        assert s.wait() == 0, s.text()
    finally:
        s.close()


def test_host_interrupts_while_computing():
    """Three host interrupts injected by the Unicorn back-end while the
    guest computes with interrupts on: each hits the guest's IDT, is
    forwarded with CO_OP_FORWARD_IRQ, and the computation is unharmed."""
    run = e2e.run_sim(["test=host_irq", "host_irqs=3", "loops=800"], timeout=60,
                      env={"CO_UC_INJECT": "32@3000000,40@4000000,255@5000000"})
    assert run.returncode == 0, run.describe()
    assert "PASS  host_irq: 3 host interrupts arrived, 3 expected" in run.stdout

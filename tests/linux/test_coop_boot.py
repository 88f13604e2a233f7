# SPDX-License-Identifier: GPL-2.0
"""The cooperative kernel boots through the real passage on the QEMU rig
(qemu-rig/run): the first milestone of the port. coop_stop=WHERE on the
command line powers the guest off at that point of its boot with exit
code 0, so each test boots exactly as far as it checks:

  early   in the cooperative platform's set-up, before start_kernel():
          the monitor's zero page, the passage in Linux's own page tables,
          a switch to the host and back;
  setup   in setup_arch(): the boot console on the debug-print operation
          prints Linux's banner and the platform's line (RAM window,
          passage), every trip passing the bare host's state check.

Needs out/coop (ci/linux builds it) and the rig's host (qemu-rig/run
builds it, or CO_BUILD_DIR names a build that has it).
"""
import os
import re
import subprocess

import linux_tier as lt

RUN = lt.REPO / "qemu-rig" / "run"


def boot(words, timeout=120):
    kernel = lt.kernel_out("coop") / "vmlinux.boot"
    cmd = [str(RUN)]
    if os.environ.get("CO_BUILD_DIR"):
        cmd += ["--build-dir", os.environ["CO_BUILD_DIR"]]
    cmd += ["--timeout", str(timeout), "kernel=%s" % kernel, "mem=128"] + words
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 120,
                       stdin=subprocess.DEVNULL)
    return p, p.stdout + p.stderr


def host_clean(out):
    m = re.search(r"colinux-bare: (\d+) trips into the guest, (\d+) state checks passed", out)
    assert m, out
    assert int(m.group(1)) >= 1 and m.group(1) == m.group(2), m.group(0)
    m = re.search(r"after teardown: (\d+) heap blocks \((\d+) bytes\), (\d+) pages outstanding",
                  out)
    assert m and m.groups() == ("0", "0", "0"), out


def test_enters_the_platform_and_stops():
    p, out = boot(["coop_stop=early"])
    assert p.returncode == 0, out
    assert "coop_stop=early: stopped before start_kernel" in out, out
    host_clean(out)


def test_banner_and_platform_line_on_the_boot_console():
    p, out = boot(["coop_stop=setup"])
    assert p.returncode == 0, out
    assert re.search(r"Linux version 6\.1\.\d+", out), out
    m = re.search(r"cooperative: RAM 0x([0-9a-f]+)-0x([0-9a-f]+) \((\d+) MiB\), "
                  r"passage at 0x([0-9a-f]+)", out)
    assert m, out
    assert int(m.group(3)) == 128
    assert int(m.group(4), 16) == 0xffff800000000000
    assert "coop_stop=setup: stopped in setup_arch" in out, out
    host_clean(out)

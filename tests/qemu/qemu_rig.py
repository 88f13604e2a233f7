# SPDX-License-Identifier: GPL-2.0
"""Helpers for the QEMU-tier tests: run the test guest through
qemu-rig/run (the bare-metal host under qemu-system-x86_64) and read its
output with the same parser as the simulator tier (tests/e2e).

Run: CO_BUILD_DIR=<build dir> python3 -m pytest tests/qemu
(default build dir: <repo>/build, as tests/e2e).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import colinux_e2e as e2e  # noqa: E402
import tg_table  # noqa: E402

RUN = REPO / "qemu-rig" / "run"
EXIT_STATE = 75
EXIT_TIMEOUT = 124
HOST_REPORT_RE = re.compile(
    r"colinux-bare: (\d+) trips into the guest, (\d+) state checks passed; "
    r"host ticks (\d+) \((\d+) forwarded by the guest\), timer vector ran (\d+) times")
LEAK_RE = re.compile(
    r"colinux-bare: after teardown: (\d+) heap blocks \((\d+) bytes\), (\d+) pages outstanding")

_built = False


def build_dir():
    return e2e.build_dir()


def run_rig(args, timeout=60, options=(), input=None, contiguous=True):
    """qemu-rig/run [OPTIONS] memwindow=contiguous ARGS -> e2e.Run.

    memwindow=contiguous as in e2e.run_sim, so that both tiers run the
    same configuration (the rig runs paged RAM as well)."""
    global _built
    cmd = [sys.executable, str(RUN), "--build-dir", str(build_dir()),
           "--timeout", str(timeout)]
    if _built:
        cmd.append("--no-build")
    cmd += list(options) + (["memwindow=contiguous"] if contiguous else [])
    cmd += [str(a) for a in args]
    # The build (first call only) gets its own allowance on top.
    p = subprocess.run(cmd, input=input,
                       stdin=subprocess.DEVNULL if input is None else None,
                       capture_output=True,
                       timeout=timeout + (30 if _built else 600),
                       text=True, errors="replace")
    _built = True
    run = e2e.Run(cmd[2:], p.returncode, p.stdout, p.stderr)
    run.results, run.summaries = e2e.parse(p.stdout)
    e2e.write_tap(run)
    return run


def _tier_run(args, timeout, env, options):
    assert not env, "the rig takes no environment: %s" % env
    return run_rig(args, timeout=timeout + 30, options=options)


def host_irq(setup):
    """The host's PIT ticks all along; at 10 kHz dozens of ticks land in
    the guest's computation, so that none arriving is a failure."""
    setup.options += ["--hz", "10000"]
    setup.words.append("host_irqs=1")


def xsave(setup):
    """The bare host turns XSAVE on (XCR0 x87|SSE|AVX) and puts the
    passage on its xsave path; qemu-rig/run picks -cpu max for it."""
    setup.words.append("host.xsave=1")


# The QEMU tier as tg_table sees it: at most four IDE drives (qemu-rig/run).
QEMU = tg_table.Tier("qemu", _tier_run, {"host-irq": host_irq, "udp-echo": tg_table.udp_echo,
                                         "xsave": xsave},
                     max_drives=4)


def host_report(run):
    """(trips, checks, ticks, forwarded, timer vector runs) or None."""
    m = HOST_REPORT_RE.search(run.stdout)
    return tuple(int(x) for x in m.groups()) if m else None


STATE_CHECK_RE = re.compile(
    r"colinux-bare: STATE CHECK: (\S+) was (0x[0-9a-f]+) before the trip, (0x[0-9a-f]+) after")


def state_check_failures(run):
    """[(register, before, after)] the host's check reported."""
    return [(m.group(1), int(m.group(2), 16), int(m.group(3), 16))
            for m in STATE_CHECK_RE.finditer(run.stdout)]


def assert_host_clean(run):
    """The host's own verdict: every trip checked, nothing leaked."""
    rep = host_report(run)
    assert rep, run.describe()
    trips, checks, ticks, _, vector_runs = rep
    assert trips > 0 and checks == trips, run.describe()
    assert ticks == vector_runs, "timer ticks and handler runs differ\n" + run.describe()
    m = LEAK_RE.search(run.stdout)
    assert m and m.groups() == ("0", "0", "0"), run.describe()

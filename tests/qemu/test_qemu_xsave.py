# SPDX-License-Identifier: GPL-2.0
"""The passage's xsave path on the QEMU tier (-cpu max has XSAVE and AVX).
host.xsave=1|2 makes the bare host turn on CR4.OSXSAVE and XCR0 = 7 and
ask the monitor for the xsave path; its check after every trip then also
compares XCR0, the upper halves of ymm0-3 (new values each trip; the
guest's first xrstor puts its own, zero, upper halves in the registers)
and what the host's xsave left in its area."""
import re

import qemu_rig as rig_run
import tg_table
from qemu_rig import e2e, run_rig

PROGS = ("abi", "timer", "cobd_rw", "conet_ping")


def check_clean(run, name):
    tg_table.check_clean(run, rig_run.QEMU.table().programs[name])


def xsave_line(run):
    m = re.search(r"xsave path: host XCR0 (0x[0-9a-f]+) \((\d+) bytes\), "
                  r"guest XCR0 (0x[0-9a-f]+) \((\d+) bytes\)", run.stdout)
    assert m, run.describe()
    return m.group(1), int(m.group(2)), m.group(3), int(m.group(4))


def run_programs(tmp_path, mode):
    table = rig_run.QEMU.table()
    with tg_table.Setup(rig_run.QEMU, [table.programs[p] for p in PROGS], tmp_path) as s:
        run = run_rig(s.args + ["test=%s" % ",".join(PROGS), "host.xsave=%d" % mode],
                      timeout=120)
    for prog in PROGS:
        check_clean(run, prog)
    rig_run.assert_host_clean(run)
    assert "STATE CHECK" not in run.stdout, run.describe()
    return run


def test_xsave_path_keeps_the_host_state(tmp_path):
    run = run_programs(tmp_path, 1)
    assert xsave_line(run) == ("0x7", 832, "0x7", 832)
    trips, checks = rig_run.host_report(run)[:2]
    assert trips > 20 and checks == trips, run.describe()


def test_xsave_path_switches_xcr0(tmp_path):
    """The guest runs with XCR0 = x87|SSE: XCR0 changes on every entry
    and exit, and the host gets its 7 back each time."""
    run = run_programs(tmp_path, 2)
    assert xsave_line(run) == ("0x7", 832, "0x3", 576)


def test_check_catches_a_lost_ymm_register():
    """host.xbreak=N changes ymm2 after the snapshot of trip N, as a
    passage that lost it would: the check must stop the machine."""
    run = run_rig(["test=abi", "host.xsave=1", "host.xbreak=4"], timeout=60)
    assert run.returncode == rig_run.EXIT_STATE, run.describe()
    assert re.search(r"STATE CHECK: ymm2 upper half was 0x[0-9a-f]{32} before the trip, "
                     r"0x[0-9a-f]{32} after", run.stdout), run.describe()
    assert "did not restore the host's state after trip 4" in run.stdout


def test_without_xsave_the_passage_stays_on_fxsave():
    """QEMU's default CPU model has no XSAVE: the host says so and the VM
    runs on the fxsave path, as without host.xsave."""
    run = run_rig(["test=abi", "host.xsave=1"], timeout=60, options=["--cpu", "qemu64"])
    assert "has no XSAVE with AVX; the passage stays on fxsave" in run.stdout, run.describe()
    assert "xsave path:" not in run.stdout
    check_clean(run, "abi")
    rig_run.assert_host_clean(run)


def test_the_guest_must_keep_the_hosts_xcr0():
    """docs/protocol.md, "XCR0": xcr0_rule sets the host's XCR0 (from its
    boot parameters) and keeps it across operations, then sets x87|SSE:
    the monitor stops the VM at that switch, naming both values. The host
    got its own XCR0 back on every trip, that last one too: its check
    covers XCR0 on the xsave path and passed every time."""
    run = run_rig(["test=xcr0_rule", "host.xsave=1"], timeout=60)
    assert xsave_line(run)[0] == "0x7", run.describe()
    passes = [r.text for r in run.of("PASS") if r.program == "xcr0_rule"]
    assert passes == ["XCR0 = the host's 0x7 (boot parameters)"] + [
        "after %s: XCR0 is 0x7" % op for op in ("YIELD", "GET_TIME", "DEBUG_PRINT", "NOTIFY")], \
        run.describe()
    assert not run.of("FAIL"), run.describe()
    assert run.returncode == e2e.EXIT_PROTOCOL, run.describe()
    assert "guest stopped: protocol violation by the guest: the guest changed XCR0 to 0x3; " \
           "it must run with 0x7 or leave XCR0 alone" in run.stdout, run.describe()
    assert "xcr0_rule" not in run.summaries, run.describe()
    assert "STATE CHECK" not in run.stdout, run.describe()
    rig_run.assert_host_clean(run)

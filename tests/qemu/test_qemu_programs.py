# SPDX-License-Identifier: GPL-2.0
"""Every test program of the test guest on the QEMU tier: the bare-metal
host, the real passage and a real MMU. The programs, their host set-up
and what counts as clean come from the guest's table (test=list, read
through the rig) and tests/e2e/tg_table.py, as on the simulator tier: one
test definition, two tiers. On top, the host's own verdict after each run:
every trip's state check passed, every tick was handled once, nothing
leaked."""
import re
import subprocess

import pytest

import qemu_rig as rig_run
import tg_table
from qemu_rig import e2e, run_rig

TIER = rig_run.QEMU


def pytest_generate_tests(metafunc):
    tg_table.parametrize_programs(metafunc, TIER)


def test_rig_reads_the_same_table():
    """The table reaches the host intact through the rig's serial console:
    the same rows as through colinux-sim (when that is built)."""
    table = TIER.table()
    if not e2e.sim_path().exists():
        pytest.skip("%s is not built: nothing to compare with" % e2e.sim_path())
    assert table == tg_table.SIM.table()


def test_program(tmp_path, prog):
    run, p = tg_table.run_program(TIER, prog, tmp_path)
    if p.expect == "host-check":
        # The check stopped the machine on the trip where it fired.
        assert rig_run.state_check_failures(run), run.describe()
        assert "did not restore the host's state after trip" in run.stdout, run.describe()
    elif p.expect != "cpu-fault":
        # A triple fault resets the machine: no host left to report.
        rig_run.assert_host_clean(run)


def test_all_in_one_boot(tmp_path):
    run, _ = tg_table.run_group(TIER, "all", tmp_path)
    rig_run.assert_host_clean(run)


def test_paged_guest_ram(tmp_path):
    """The rig also runs the monitor's default, paged RAM (guest pages
    scattered over host frames), which Unicorn 2.0.1 cannot."""
    progs = ("abi", "timer", "cobd_rw", "conet_ping")
    table = TIER.table()
    with tg_table.Setup(TIER, [table.programs[p] for p in progs], tmp_path) as s:
        run = run_rig(s.args + ["test=%s" % ",".join(progs)], timeout=120,
                      options=s.options, contiguous=False)
        assert "(paged)" in run.stdout, run.describe()
        for p in progs:
            tg_table.check_clean(run, table.programs[p])
        s.check_host_side(run, alone=False)
    rig_run.assert_host_clean(run)


def test_debug_print_shown_by_default():
    """The guest's debug prints are info, the rig's default log level
    (host.log): they appear on the console, one log line per line of
    text; --log 1 hides them."""
    run = run_rig(["test=console"], timeout=60)
    assert run.returncode == 0, run.describe()
    assert ("[info] guest: debug print DEBUG-PRINT-4417\n"
            "[info] guest: its second line\n") in run.stdout, run.describe()
    quiet = run_rig(["test=console"], timeout=60, options=["--log", "1"])
    assert quiet.returncode == 0, quiet.describe()
    assert "guest: debug print DEBUG-PRINT-4417" not in quiet.stdout, quiet.describe()


def test_keyboard_input_through_the_serial_port():
    run = run_rig(["test=console", "input=hello42"], timeout=60, input="hello42\n")
    assert run.returncode == 0, run.describe()
    assert any(r.text == 'keyboard input "hello42" read back' for r in run.of("PASS")), \
        run.describe()


def test_unknown_program_fails():
    run = run_rig(["test=no_such_thing"], timeout=30)
    assert run.returncode == 1, run.describe()
    assert "no such test program or group" in run.stdout


def test_panic():
    run = run_rig(["test=panic"], timeout=30)
    assert run.returncode == e2e.EXIT_GUEST_ERROR, run.describe()
    assert "PANIC: deliberate panic (test=panic)" in run.stdout
    assert "guest stopped: guest panic: deliberate panic (test=panic)" in run.stdout
    rig_run.assert_host_clean(run)


def test_crash_reports_the_fault():
    run = run_rig(["test=crash"], timeout=30)
    assert run.returncode == e2e.EXIT_GUEST_ERROR, run.describe()
    assert "a breakpoint was handled and returned (1)" in run.stdout
    assert re.search(r"unhandled #PF page fault \(vector 14\), error 0x0 at RIP "
                     r"0xffffffff8[0-9a-f]+, CR2 0xffffc8ffdead0000", run.stdout), \
        run.describe()
    assert "backtrace: 0xffffffff8" in run.stdout


def test_triple_fault_stops_the_machine():
    """A real triple fault resets the machine; the rig reports it from
    QEMU's log as a CPU fault (the host cannot survive it)."""
    run = run_rig(["test=triple"], timeout=30, options=["--qemu-debug"])
    assert run.returncode == e2e.EXIT_CPU_FAULT, run.describe()
    assert "guest stopped: CPU fault: triple fault" in run.stdout, run.describe()
    # The guest broke its IDT, then #UD (6) -> #GP (0xd) -> #DF -> reset.
    assert re.search(r"triple fault \(exception 0xd while delivering 0x8", run.stdout), \
        run.describe()
    assert "came back" not in run.stdout


def test_host_interrupts_under_load():
    """The host's PIT fires thousands of times while the guest computes.
    Every tick that hit the guest was forwarded once and re-raised once
    through the host's IDT: the guest's count, the host's count of
    forwards and the handler's runs agree exactly, and the guest's result
    is unaffected."""
    # About a second of computing at 10 kHz: thousands of ticks, with a
    # wide margin for faster machines (this is not a timing test).
    run = run_rig(["test=host_irq", "loops=200000", "host_irqs=1000"], timeout=120,
                  options=["--hz", "10000"])
    tg_table.check_clean(run, TIER.table().programs["host_irq"])
    m = re.search(r"host_irq: (\d+) host interrupts arrived and were forwarded", run.stdout)
    assert m, run.describe()
    guest_seen = int(m.group(1))
    trips, checks, ticks, forwarded, vector_runs = rig_run.host_report(run)
    assert guest_seen >= 1000, run.describe()
    assert forwarded == guest_seen, "guest saw %d, host re-raised %d" % (guest_seen, forwarded)
    assert ticks == vector_runs, run.describe()
    assert ticks > forwarded, "the host must also tick while it has the CPU"
    assert checks == trips > forwarded, run.describe()


def test_state_check_catches_a_lost_register():
    """host.break=N spoils the host's STAR during trip N, as a passage
    that forgot it would: the check must stop the machine and say so."""
    run = run_rig(["test=abi", "host.break=4"], timeout=30)
    assert run.returncode == rig_run.EXIT_STATE, run.describe()
    assert re.search(r"STATE CHECK: star was 0x[0-9a-f]+ before the trip, 0x[0-9a-f]+ after",
                     run.stdout), run.describe()
    assert "did not restore the host's state after trip 4" in run.stdout


def test_unchecked_build_runs_the_same(tmp_path):
    table = TIER.table()
    progs = [table.programs["abi"], table.programs["cobd_info"]]
    with tg_table.Setup(TIER, progs, tmp_path) as s:
        run = run_rig(s.args + ["test=abi,cobd_info"], timeout=60, options=["--no-check"])
    tg_table.check_clean(run, progs[0])
    rep = rig_run.host_report(run)
    assert rep and rep[1] == 0, run.describe()


MEMORY_RE = re.compile(r"colinux-bare: memory: (\d+) MiB of RAM, (\d+) MiB of it multiboot "
                       r"modules; peak use (\d+) MiB")


def test_large_kernel_is_held_once(tmp_path):
    """A kernel file of 160 MiB (the test guest padded with a section no
    segment loads, like a debug vmlinux's DWARF) boots, and the bare host
    holds it once: peak memory is the module, guest RAM and the host's
    own few MiB, with no buffer of the whole file beside the module."""
    full = rig_run.build_dir() / "guest-drivers" / "testguest" / "testguest.elf"
    pad, big = tmp_path / "pad.bin", tmp_path / "big.elf"
    with open(pad, "wb") as f:
        f.truncate(160 << 20)
    subprocess.run(["objcopy", "--add-section", ".pad=%s" % pad, "--set-section-flags",
                    ".pad=noload,readonly", str(full), str(big)], check=True)
    pad.unlink()
    run = run_rig(["kernel=%s" % big, "mem=64", "test=abi"], timeout=120)
    big.unlink()
    assert run.returncode == 0, run.describe()
    m = MEMORY_RE.search(run.stdout)
    assert m, run.describe()
    ram, modules, peak = (int(x) for x in m.groups())
    assert modules >= 160, run.describe()
    # The runner gave QEMU room for the module on top of the usual.
    assert ram >= 160 + 64 + 160 - 8, run.describe()
    assert peak < modules + 64 + 16, "a second copy of the kernel? %s" % m.group(0)
    rig_run.assert_host_clean(run)

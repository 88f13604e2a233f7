# SPDX-License-Identifier: GPL-2.0
"""Every test program of the test guest on the QEMU tier: the bare-metal
host, the real passage and a real MMU. The programs, their device set-up
and what counts as clean are the simulator tier's (tests/e2e): one test
definition, two tiers. On top, the host's own verdict after each run:
every trip's state check passed, every tick was handled once, nothing
leaked."""
import re

import pytest

import qemu_rig as rig_run
from qemu_rig import e2e, run_rig

# The simulator tier's definitions (tests/e2e/test_programs.py, conftest.py).
from conftest import rig, sha256  # noqa: F401  (rig is a fixture)
from test_programs import ALLOWED_SKIPS, FATAL_PROGRAMS, SUMMARY_PROGRAMS, check_clean


@pytest.fixture(scope="module")
def table():
    run, progs = rig_run.list_programs()
    assert run.returncode == 0, run.describe()
    return progs


def test_every_program_runs_on_this_tier(table):
    missing = set(SUMMARY_PROGRAMS + FATAL_PROGRAMS) - set(table)
    assert not missing, "test=list lacks %s" % sorted(missing)
    for name in SUMMARY_PROGRAMS + FATAL_PROGRAMS:
        assert "qemu" in table[name]["tiers"], "%s is not marked for the QEMU tier" % name


@pytest.mark.parametrize("prog", SUMMARY_PROGRAMS)
def test_program(rig, table, prog):
    run = run_rig(rig["args"] + ["test=%s" % prog, "seed=3"],
                  timeout=table[prog]["timeout"] + 30)
    check_clean(run, prog)
    rig_run.assert_host_clean(run)
    assert sha256(rig["disk1"]) == rig["disk1_hash"], "the read-only image changed"


def test_all_in_one_boot(rig):
    run = run_rig(rig["args"] + ["test=all", "seed=11"], timeout=300)
    m = re.search(r"^== summary: (\d+) programs, (\d+) passed, (\d+) failed",
                  run.stdout, re.M)
    assert m, run.describe()
    assert int(m.group(1)) == len(SUMMARY_PROGRAMS), run.describe()
    assert int(m.group(3)) == 0 and run.returncode == 0, run.describe()
    for prog in SUMMARY_PROGRAMS:
        check_clean(run, prog)
    rig_run.assert_host_clean(run)


def test_paged_guest_ram(rig):
    """The rig also runs the monitor's default, paged RAM (guest pages
    scattered over host frames), which Unicorn 2.0.1 cannot."""
    run = run_rig(rig["args"] + ["test=abi,timer,cobd_rw,conet_ping"], timeout=120,
                  contiguous=False)
    assert "(paged)" in run.stdout, run.describe()
    for prog in ("abi", "timer", "cobd_rw", "conet_ping"):
        check_clean(run, prog)
    rig_run.assert_host_clean(run)


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
    check_clean(run, "host_irq")
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


def test_unchecked_build_runs_the_same(rig):
    run = run_rig(rig["args"] + ["test=abi,cobd_info"], timeout=60, options=["--no-check"])
    check_clean(run, "abi")
    rep = rig_run.host_report(run)
    assert rep and rep[1] == 0, run.describe()

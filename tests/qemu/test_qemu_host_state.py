# SPDX-License-Identifier: GPL-2.0
"""The bare host's per-trip state check covers the host registers the
switch does not load and a Linux guest could write (docs/protocol.md,
"Passage rules"). The test guest's host_state program writes one of them
(which=NAME) to a different legal value and yields: the check must fire
on that trip, name that register with both values, and the rig must exit
with the state-check status (75).

The host says at start which registers it checks on this CPU (CPUID: an
MSR the CPU does not have is a #GP in the host, never read). A register
the CPU lacks is a skip with the host's reason, except where this file
requires it: QEMU's default model (qemu64) must cover SYSENTER x3, PAT,
MTRRdefType, DR0-DR3 and DR6, and -cpu max all of them.

QEMU drops writes to MSRs it does not model: the guest then says so, and
that never counts as the check working (it is the instruction audit's
job to see such a write)."""
import re

import pytest

import qemu_rig as rig_run
from qemu_rig import run_rig

REGISTERS = ("sysenter_cs", "sysenter_esp", "sysenter_eip", "tsc_aux", "pat",
             "misc_enable", "mtrr_def_type", "mcg_ctl", "dr0", "dr1", "dr2", "dr3", "dr6")
CPUS = ("default", "max")
REQUIRED = {
    "default": {"sysenter_cs", "sysenter_esp", "sysenter_eip", "pat", "mtrr_def_type",
                "dr0", "dr1", "dr2", "dr3", "dr6"},
    "max": set(REGISTERS),
}
ALSO_RE = re.compile(r"^colinux-bare: state check: also (.*?)\r?$", re.M)
NOT_RE = re.compile(r"^colinux-bare: state check: not (\S+) \((.*)\)\r?$", re.M)
EXIT_STATE = rig_run.EXIT_STATE


def options(cpu):
    return [] if cpu == "default" else ["--cpu", cpu]


def coverage(run):
    """(registers checked, {register: why not}) from the host's start lines."""
    m = ALSO_RE.search(run.stdout)
    assert m, run.describe()
    return set(m.group(1).split()) - {"nothing"}, dict(NOT_RE.findall(run.stdout))


def host_state(reg, cpu, words=()):
    return run_rig(["test=host_state", "which=%s" % reg] + list(words), timeout=30,
                   options=options(cpu))


def test_the_guest_names_the_same_registers():
    """The guest's row lists the registers it can write: these ones."""
    args = rig_run.QEMU.table().programs["host_state"].args
    m = re.search(r"which=(\S+)", args)
    assert m and tuple(m.group(1).split("|")) == REGISTERS, args


@pytest.mark.parametrize("cpu", CPUS)
def test_the_host_says_what_it_checks(cpu):
    run = run_rig(["test=abi"], timeout=30, options=options(cpu))
    assert run.returncode == 0, run.describe()
    checked, missing = coverage(run)
    assert checked | set(missing) == set(REGISTERS), run.describe()
    assert not checked & set(missing), run.describe()
    assert REQUIRED[cpu] <= checked, "the %s CPU must cover %s\n%s" % (
        cpu, sorted(REQUIRED[cpu] - checked), run.describe())
    assert all(missing.values()), "a register left out without a reason\n" + run.describe()
    rig_run.assert_host_clean(run)


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("reg", REGISTERS)
def test_the_check_fires(reg, cpu):
    run = host_state(reg, cpu)
    checked, missing = coverage(run)
    if reg in missing:
        assert reg not in REQUIRED[cpu], "%s must be checked on the %s CPU\n%s" % (
            reg, cpu, run.describe())
        # The guest sees the same CPU, writes nothing, and ends cleanly.
        assert re.search(r"^SKIP  host_state: %s: not on this CPU" % reg, run.stdout, re.M), \
            run.describe()
        assert run.returncode == 0, run.describe()
        pytest.skip("the %s CPU has no %s (%s)" % (cpu, reg, missing[reg]))
    assert reg in checked, run.describe()
    if "this CPU drops the write" in run.stdout:
        # Not the check working: nothing changed that it could see.
        assert reg not in REQUIRED[cpu], "QEMU drops writes of %s\n%s" % (reg, run.describe())
        pytest.skip("QEMU drops writes of %s: the instruction audit's job" % reg)
    m = re.search(r"host_state: %s is (0x[0-9a-f]+); writing (0x[0-9a-f]+)" % reg, run.stdout)
    assert m, run.describe()
    old, new = int(m.group(1), 16), int(m.group(2), 16)
    assert old != new
    assert run.returncode == EXIT_STATE, run.describe()
    # That register, those values, and nothing else.
    assert rig_run.state_check_failures(run) == [(reg, old, new)], run.describe()
    assert re.search(r"did not restore the host's state after trip \d+", run.stdout), \
        run.describe()
    assert "went unnoticed" not in run.stdout, run.describe()


def test_a_dropped_write_is_not_a_catch():
    """QEMU keeps MCG_CTL only at 0 or all-ones: value=5 is dropped. The
    guest says so and fails; the host's check has nothing to see, passes
    every trip, and the rig's status is the guest's failure count."""
    run = host_state("mcg_ctl", "default", ["value=5"])
    if "mcg_ctl" not in coverage(run)[0]:
        pytest.skip("the default CPU has no MCG_CTL")
    assert re.search(r"^FAIL  host_state: mcg_ctl: wrote 0x5, reads (0x[0-9a-f]+): "
                     r"this CPU drops the write", run.stdout, re.M), run.describe()
    assert run.returncode == 1, run.describe()
    assert not rig_run.state_check_failures(run), run.describe()
    rig_run.assert_host_clean(run)

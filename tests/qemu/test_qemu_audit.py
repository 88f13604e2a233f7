# SPDX-License-Identifier: GPL-2.0
"""The instruction audit (qemu-rig/run --audit, docs/audit.md): a TCG
plugin counts every wrmsr, in, out, hlt, mwait, wbinvd, invd, xsetbv and
CR0/CR4/CR8/DR write by class, and the run fails when the guest executes
one the whitelist does not allow, or a wrmsr whose MSR number is not
known. A whole test-guest run passes it; test=audit_bad, which executes
an out and two wrmsr of host MSRs on purpose, fails it by name."""
import re
import subprocess
from collections import namedtuple

import qemu_rig as rig_run
from qemu_rig import run_rig

import tg_table

EXIT_AUDIT = 76
PASSAGE_VA = 0xffff800000000000
MSR_SYSENTER_CS = 0x174
MSR_TSC_AUX = 0xc0000103
# What the passage loads on every switch (docs/passage.md, section 4).
PASSAGE_MSRS = {0xc0000100, 0xc0000101, 0xc0000102,         # FS, GS, KERNEL_GS base
                0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084}  # STAR LSTAR CSTAR SFMASK
# What the bare host sets once at boot (qemu-rig/host/boot.S, cpu.c).
# EFER, the syscall MSRs and the GS bases; and the SYSENTER MSRs, which
# the host gives values of its own so that a guest's zeros show (QEMU's
# default model has SEP, not RDTSCP: no TSC_AUX).
HOST_MSRS = {0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
             0xc0000101, 0xc0000102, 0x174, 0x175, 0x176}

Row = namedtuple("Row", "cls kind va count arg msr source symbol disas")


def read_report(path):
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        f = line.split("\t")
        assert len(f) == 9, line
        rows.append(Row(f[0], f[1], int(f[2], 16), int(f[3]), f[4], f[5], f[6], f[7], f[8]))
    return rows


def audit_bad_sites():
    """(function address, out, wrmsr 1, wrmsr 2) of tg_test_audit_bad, from
    the guest ELF itself: the audit must name these addresses."""
    elf = rig_run.build_dir() / "guest-drivers" / "testguest" / "testguest.elf"
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          "--disassemble=tg_test_audit_bad", str(elf)],
                         check=True, capture_output=True, text=True).stdout
    func = int(re.search(r"^([0-9a-f]+) <tg_test_audit_bad>:", out, re.M).group(1), 16)
    outs = [int(a, 16) for a in re.findall(r"^\s*([0-9a-f]+):\s+out\s", out, re.M)]
    wrmsrs = [int(a, 16) for a in re.findall(r"^\s*([0-9a-f]+):\s+wrmsr", out, re.M)]
    assert len(outs) == 1 and len(wrmsrs) == 2, out
    return func, outs[0], wrmsrs[0], wrmsrs[1]


def failure_line(run, kind, va, func):
    m = re.search(r"^qemu-rig: audit:   guest %s at 0x%x <tg_test_audit_bad\+0x%x>, "
                  r"1 time: (.*)$" % (kind, va, va - func), run.stderr, re.M)
    assert m, "the audit did not name the %s at 0x%x\n%s" % (kind, va, run.describe())
    return m.group(1)


def test_audit_passes_over_every_program(tmp_path):
    """The whole of test=all with every device: the test guest executes
    nothing the audit watches; the passage's and the host's writes are
    seen, in their own classes, with exact MSR numbers and counts."""
    report = tmp_path / "audit.tsv"
    tier = rig_run.QEMU
    progs = tier.table().group("all")
    setup = tg_table.Setup(tier, progs, tmp_path)
    assert setup.unavailable is None, setup.unavailable
    with setup:
        run = tier.run(setup.args + ["test=all", "seed=11"],
                       sum(p.timeout for p in progs), setup.env,
                       list(setup.options) + ["--audit", "--audit-report", str(report)])
        assert run.returncode == 0, run.describe()
        for p in progs:
            tg_table.check_end(run, p)
        setup.check_host_side(run, alone=False)
    rig_run.assert_host_clean(run)
    trips = rig_run.host_report(run)[0]
    m = re.search(r"^qemu-rig: audit: passed \(\S+/qemu-rig/audit/testguest\.whitelist\): "
                  r"(\d+) guest entries", run.stderr, re.M)
    assert m, run.describe()
    # The plugin saw the CPU go into the guest exactly as often as the host sent it.
    assert int(m.group(1)) == trips, (m.group(0), trips)

    rows = read_report(report)
    assert not [r for r in rows if r.cls == "guest"], [r for r in rows if r.cls == "guest"]
    # The passage loads its MSRs on every switch, at the guest's address of
    # its code page going in and at the host's coming back: exact numbers
    # from the code, once per trip each way.
    loads = {}
    for r in rows:
        if r.cls == "passage" and r.kind == "wrmsr":
            assert r.source == "code" and r.msr != "?", r
            side = "guest" if r.va >> 12 == PASSAGE_VA >> 12 else "host"
            loads[(side, int(r.msr, 16))] = r.count
            assert r.symbol.startswith("co_passage_to_guest"), r
    assert loads == {(side, msr): trips for side in ("guest", "host") for msr in PASSAGE_MSRS}
    passage_cr = {r.kind for r in rows if r.cls == "passage" and r.kind in ("cr0", "cr4")}
    assert passage_cr == {"cr0", "cr4"}, rows
    # The host: its MSR set-up at boot (each once), its port I/O and hlt.
    host_wrmsr = [r for r in rows if r.cls == "host" and r.kind == "wrmsr"]
    assert {int(r.msr, 16) for r in host_wrmsr} == HOST_MSRS, host_wrmsr
    assert all(r.count == 1 and r.source == "code" for r in host_wrmsr), host_wrmsr
    host_kinds = {r.kind for r in rows if r.cls == "host"}
    assert {"in", "out", "hlt", "cr0", "cr4"} <= host_kinds, host_kinds
    assert any(r.cls == "host" and r.kind == "out" and r.symbol.startswith("serial_write")
               for r in rows), "no serial console output counted for the host"


def test_audit_fails_a_guest_that_breaks_the_whitelist(tmp_path):
    """test=audit_bad passes by itself; the audit fails it and names the
    out and both wrmsr with their addresses, symbols and MSR numbers (the
    second one's ECX comes from memory: only gdb knows it)."""
    func, out_va, wr1, wr2 = audit_bad_sites()
    report = tmp_path / "audit.tsv"
    run = run_rig(["test=audit_bad"], timeout=60,
                  options=["--audit", "--audit-report", str(report)])
    assert run.returncode == EXIT_AUDIT, run.describe()
    assert run.summaries["audit_bad"] == (3, 0, 0, 0), run.describe()
    assert "audit: FAILED: the guest broke" in run.stderr and "at 3 sites:" in run.stderr
    assert failure_line(run, "out", out_va, func) == "port 0x80 not allowed   [outb %al, $0x80]"
    assert failure_line(run, "wrmsr", wr1, func) == \
        "MSR 0x174 (SYSENTER_CS) not allowed (MSR number from gdb)   [wrmsr]"
    assert failure_line(run, "wrmsr", wr2, func) == \
        "MSR 0xc0000103 (TSC_AUX) not allowed (MSR number from gdb)   [wrmsr]"
    assert "exit status 76 (the run's own status: 0)" in run.stderr

    guest = sorted((r for r in read_report(report) if r.cls == "guest"), key=lambda r: r.va)
    assert [(r.kind, r.va, r.count, r.arg, r.msr) for r in guest] == [
        ("out", out_va, 1, "0x80", "-"),
        ("wrmsr", wr1, 1, "-", "0x174"),
        ("wrmsr", wr2, 1, "-", "0xc0000103")], guest


def test_without_the_audit_the_bad_guest_passes():
    """The same program without --audit: it is the audit that fails it."""
    run = run_rig(["test=audit_bad"], timeout=60)
    assert run.returncode == 0, run.describe()
    assert "audit:" not in run.stderr


def test_an_unknown_msr_fails_closed(tmp_path):
    """Without the gdb fallback the second wrmsr's MSR number is not known
    (ECX comes from memory): the audit fails it even though the whitelist
    allows every MSR. The first one's number comes from the code."""
    func, out_va, wr1, wr2 = audit_bad_sites()
    wl = tmp_path / "lax.whitelist"
    wl.write_text("wrmsr any   everything, to see that an unknown MSR still fails\n"
                  "out 0x80    the POST port\n")
    report = tmp_path / "audit.tsv"
    run = run_rig(["test=audit_bad"], timeout=60,
                  options=["--audit=%s" % wl, "--audit-no-gdb", "--audit-report", str(report)])
    assert run.returncode == EXIT_AUDIT, run.describe()
    assert "at 1 site:" in run.stderr, run.describe()
    assert failure_line(run, "wrmsr", wr2, func).startswith(
        "MSR number not known for 1 of 1 executions: ECX is not visible in the code"), \
        run.describe()
    guest = {r.va: r for r in read_report(report) if r.cls == "guest"}
    assert (guest[wr1].msr, guest[wr1].source) == ("0x174", "code"), guest
    assert (guest[wr2].msr, guest[wr2].source) == ("?", "unknown"), guest


def test_whitelist_entries_allow_exactly_what_they_name(tmp_path):
    exact = tmp_path / "exact.whitelist"
    exact.write_text("# what test=audit_bad does\n"
                     "out    0x80                   the POST port (test)\n"
                     "wrmsr  0x174                  SYSENTER_CS (test)\n"
                     "wrmsr  0xc0000100-0xc0000103  FS..TSC_AUX (test)\n")
    run = run_rig(["test=audit_bad"], timeout=60, options=["--audit=%s" % exact])
    assert run.returncode == 0, run.describe()
    assert re.search(r"audit: passed \(\S+exact\.whitelist\): \d+ guest entries; "
                     r"sites by class: .*guest 3$", run.stderr, re.M), run.describe()

    func, out_va, wr1, wr2 = audit_bad_sites()
    short = tmp_path / "short.whitelist"
    short.write_text("out 0x80 the POST port (test)\n"
                     "wrmsr 0x174-0x176 the SYSENTER MSRs (test)\n"
                     "in any a kind the guest does not use (test)\n")
    run = run_rig(["test=audit_bad"], timeout=60, options=["--audit=%s" % short])
    assert run.returncode == EXIT_AUDIT, run.describe()
    assert "at 1 site:" in run.stderr, run.describe()
    assert failure_line(run, "wrmsr", wr2, func).startswith("MSR 0xc0000103 (TSC_AUX) not allowed")


def test_a_whitelist_entry_needs_a_reason(tmp_path):
    wl = tmp_path / "bad.whitelist"
    wl.write_text("# fine\nout 0x80\n")
    run = run_rig(["test=audit_bad"], timeout=30, options=["--audit=%s" % wl])
    assert run.returncode == 64, run.describe()
    assert "bad.whitelist:2: want KIND WHAT REASON" in run.stderr, run.describe()

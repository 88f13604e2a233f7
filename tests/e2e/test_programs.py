# SPDX-License-Identifier: GPL-2.0
"""Every test program of the test guest, through colinux-sim, with every
kind of device configured: the summary line and the exit code (the number
of failures) must say that everything passed, and the only skips are the
ones this set-up cannot satisfy."""
import re

import pytest

import colinux_e2e as e2e
from conftest import sha256

SUMMARY_PROGRAMS = ["abi", "console", "timer", "host_irq", "pagefault",
                    "cobd_info", "cobd_rw", "cobd_errors", "conet_arp",
                    "conet_ping", "conet_udp", "conet_pcap", "conet_loop",
                    "conet_errors"]
FATAL_PROGRAMS = ["panic", "crash", "triple"]
BENCH_PROGRAMS = ["bench_cobd"]
# QEMU tier only: what qemu-rig/run --audit must catch (tests/qemu/test_qemu_audit.py).
AUDIT_PROGRAMS = ["audit_bad"]

# What the rig legitimately lacks, per program (prefixes of the reason).
ALLOWED_SKIPS = {
    "console": ["keyboard input: no input=WORD"],
    "host_irq": ["no host interrupt arrived"],
    "cobd_rw": ["unit 1 is read-only"],
}


def test_list_matches_table():
    run, progs = e2e.list_programs()
    assert run.returncode == 0, run.describe()
    assert sorted(progs) == sorted(SUMMARY_PROGRAMS + FATAL_PROGRAMS + BENCH_PROGRAMS +
                                   AUDIT_PROGRAMS), \
        "the guest's table and this file disagree: %s" % sorted(progs)
    for name, p in progs.items():
        if name in AUDIT_PROGRAMS:
            assert p["tiers"] == ["qemu"] and "all" not in p["groups"], name
            continue
        assert "unicorn" in p["tiers"], name
        assert p["timeout"] > 0 and p["desc"], name
        if name in FATAL_PROGRAMS:
            assert "all" not in p["groups"] and p["expect"] != "summary", name
        elif name in BENCH_PROGRAMS:
            assert "all" not in p["groups"] and "bench" in p["groups"], name
        else:
            assert "all" in p["groups"] and p["expect"] == "summary", name


def check_clean(run, prog):
    assert run.returncode == 0, run.describe()
    assert prog in run.summaries, run.describe()
    passed, failed, skipped, xfailed = run.summaries[prog]
    mine = [r for r in run.results if r.program == prog]
    assert failed == 0 and not [r for r in mine if r.status == "FAIL"], run.describe()
    assert passed == len([r for r in mine if r.status == "PASS"]) > 0, run.describe()
    allowed = ALLOWED_SKIPS.get(prog, [])
    skips = [r for r in mine if r.status == "SKIP"]
    for r in skips:
        assert any(r.text.startswith(a) for a in allowed), \
            "unexpected skip in %s: %s" % (prog, r.text)
    assert skipped == len(skips) and xfailed == 0, run.describe()


@pytest.fixture(scope="module")
def table():
    run, progs = e2e.list_programs()
    assert run.returncode == 0, run.describe()
    return progs


@pytest.mark.parametrize("prog", SUMMARY_PROGRAMS)
def test_program(rig, table, prog):
    assert prog in table, "test=list does not show %s" % prog
    run = e2e.run_sim(rig["args"] + ["test=%s" % prog, "seed=3"],
                      timeout=table[prog]["timeout"])
    check_clean(run, prog)
    assert sha256(rig["disk1"]) == rig["disk1_hash"], "the read-only image changed"


def test_all_in_one_boot(rig):
    run = e2e.run_sim(rig["args"] + ["test=all", "seed=11"], timeout=120)
    m = re.search(r"^== summary: (\d+) programs, (\d+) passed, (\d+) failed",
                  run.stdout, re.M)
    assert m, run.describe()
    assert int(m.group(1)) == len(SUMMARY_PROGRAMS), run.describe()
    assert int(m.group(3)) == 0 and run.returncode == 0, run.describe()
    for prog in SUMMARY_PROGRAMS:
        check_clean(run, prog)


def test_unknown_program_fails():
    run = e2e.run_sim(["test=no_such_thing"], timeout=30)
    assert run.returncode == 1, run.describe()
    assert "no such test program or group" in run.stdout


def test_panic():
    run = e2e.run_sim(["test=panic"], timeout=30)
    assert run.returncode == e2e.EXIT_GUEST_ERROR, run.describe()
    assert "PANIC: deliberate panic (test=panic)" in run.stdout
    assert "guest panic: deliberate panic (test=panic)" in run.stderr


def test_crash_reports_the_fault():
    run = e2e.run_sim(["test=crash"], timeout=30)
    assert run.returncode == e2e.EXIT_GUEST_ERROR, run.describe()
    assert "a breakpoint was handled and returned (1)" in run.stdout
    assert re.search(r"unhandled #PF page fault \(vector 14\), error 0x0 at RIP "
                     r"0xffffffff8[0-9a-f]+, CR2 0xffffc8ffdead0000", run.stderr), \
        run.describe()
    assert "backtrace: 0xffffffff8" in run.stdout


def test_triple_fault_stops_the_vm():
    run = e2e.run_sim(["test=triple"], timeout=30)
    assert run.returncode == e2e.EXIT_CPU_FAULT, run.describe()
    assert "triple fault" in run.stderr and "vector 6" in run.stderr, run.describe()
    assert "came back" not in run.stdout


def test_bench_cobd_load(tmp_path):
    """The benchmark load: every request succeeds, and at depth 32 one
    notify carries a ring's worth (colinux-sim --stats counts switches)."""
    img = tmp_path / "disk.img"
    e2e.make_image(img, 4 << 20)
    run = e2e.run_sim(["--stats", "cobd0=%s" % img, "test=bench_cobd",
                       "count=640", "depth=32", "op=write"], timeout=120)
    assert run.returncode == 0, run.describe()
    m = re.search(r"stats: .* (\d+) switches .* (\d+) requests .* ([\d.]+) switches/request",
                  run.stderr)
    assert m, run.describe()
    assert int(m.group(2)) >= 640
    assert float(m.group(3)) < 0.1, run.describe()

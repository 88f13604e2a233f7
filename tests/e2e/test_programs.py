# SPDX-License-Identifier: GPL-2.0
"""Every test program of the test guest through colinux-sim, each with the
host set-up its row of the guest's table asks for (test=list; tg_table.py
builds it): the summary line and the exit code must say that everything
passed and the only skips are the ones the row allows, and a program that
ends the VM on purpose ends it with the exit status the row names. The
programs are the guest's rows: nothing here names them."""
import re

import pytest

import colinux_e2e as e2e
import tg_table

TIER = tg_table.SIM


def pytest_generate_tests(metafunc):
    tg_table.parametrize_programs(metafunc, TIER)


def test_table_is_consistent():
    """The rows make sense together: what a harness relies on holds for
    every program, and group "all" can share one boot."""
    table = TIER.table()
    assert table.group("all"), "no program in group all"
    for name, p in table.programs.items():
        assert p.timeout > 0 and p.desc and p.groups and p.tiers, name
        assert set(p.tiers) <= {"unicorn", "qemu"}, name
        assert p.expect in tg_table.END_EXIT, name
        assert p.exit == tg_table.END_EXIT[p.expect], name
        assert set(p.needs) <= set(table.needs), "%s: undescribed need" % name
        if p.expect != "summary":
            assert "all" not in p.groups, "%s ends the VM, so not in all" % name
        if {"bench", "selftest"} & set(p.groups):
            assert "all" not in p.groups, name
        for d in p.disks:
            assert not (d.ro and d.stamp), "%s stamps a read-only disk" % name
    # Raises SetupConflict if the rows of "all" disagree.
    tg_table.merge_disks(table.group("all"))
    tg_table.merge_words(table.group("all"))


def test_program(tmp_path, prog):
    tg_table.run_program(TIER, prog, tmp_path)


def test_all_in_one_boot(tmp_path):
    tg_table.run_group(TIER, "all", tmp_path)


def test_result_api_lines(tmp_path):
    """The prefix stack, as result.c describes it, word for word."""
    run, _ = tg_table.run_program(TIER, "result_api", tmp_path)
    got = [(r.status, r.text) for r in run.results if r.program == "result_api"]
    assert got == [("PASS", "no prefix"), ("PASS", "unit 3: one level"),
                   ("PASS", "unit 3: round 7 of 12: two levels"),
                   ("PASS", "unit 3: back to one"), ("PASS", "none again"),
                   ("PASS", "L0: L1: L2: L3: deepest"), ("PASS", "unwound"),
                   ("PASS", "0" * 159 + "cut"), ("PASS", "whole again")], run.describe()


@pytest.mark.parametrize("words,fails", [
    (["leak=2"], [r"8 KiB from tg_page_alloc not given back \(tg_mm_mark/tg_mm_release\)"]),
    (["unbalanced=push"], [r"message prefixes pushed and not popped: 1"]),
    (["unbalanced=pop"], [r"message prefixes popped that were not pushed: 1"]),
    (["leak=2", "unbalanced=push"], [r"message prefixes pushed and not popped: 1",
                                     r"8 KiB from tg_page_alloc not given back .*"]),
    # Everything: the next program runs only if the memory came back.
    (["leak=all", "mem=16"], [r"\d+ KiB from tg_page_alloc not given back .*"]),
])
def test_result_api_fails_a_careless_program(words, fails):
    """A program that keeps memory or leaves the prefix stack unbalanced
    fails with the result API's own lines (without the program's prefix),
    and the program after it (host_irq takes a page) is not harmed."""
    run = e2e.run_sim(["test=result_api,host_irq"] + words, timeout=60)
    got = [r.text for r in run.of("FAIL")]
    assert len(got) == len(fails) and all(re.fullmatch(f, t) for f, t in zip(fails, got)), \
        run.describe()
    assert {r.program for r in run.of("FAIL")} == {"result_api"}, run.describe()
    assert run.returncode == len(fails), run.describe()
    assert run.summaries["host_irq"][1] == 0, run.describe()


def test_unknown_program_fails():
    run = e2e.run_sim(["test=no_such_thing"], timeout=30)
    assert run.returncode == 1, run.describe()
    assert "no such test program or group" in run.stdout


def test_debug_print_shown_by_default(monkeypatch):
    """CO_OP_DEBUG_PRINT (a Linux guest's early console) is logged at
    info, which colinux-sim shows unless $CO_LOG says less; one log line
    per line of text."""
    monkeypatch.delenv("CO_LOG", raising=False)
    run = e2e.run_sim(["test=console"], timeout=30)
    assert run.returncode == 0, run.describe()
    assert ("colinux: info: guest: debug print DEBUG-PRINT-4417\n"
            "colinux: info: guest: its second line\n") in run.stderr, run.describe()
    quiet = e2e.run_sim(["test=console"], timeout=30, env={"CO_LOG": "1"})
    assert quiet.returncode == 0, quiet.describe()
    assert "guest: debug print DEBUG-PRINT-4417" not in quiet.stderr, quiet.describe()


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

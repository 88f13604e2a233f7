# SPDX-License-Identifier: GPL-2.0
"""The cooperative kernel's build results (out/coop): the debug vmlinux and
its stripped boot copy load the same image, Linux's gdb scripts load with
it, and the configurations are the ones kept for review. Nothing boots
here: the cooperative platform does not exist yet.

Needs out/coop and out/baseline (see linux_tier.py); ci/linux builds them
before it runs these tests.
"""
import re
import subprocess

import pytest

import linux_tier as lt


def readelf(*args):
    p = subprocess.run(["readelf"] + list(args), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def sections(elf):
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)", readelf("-SW", str(elf)),
                          re.M))


def loads(elf):
    return [line.split() for line in readelf("-lW", str(elf)).splitlines()
            if line.split()[:1] == ["LOAD"]]


def test_vmlinux_and_boot_copy():
    out = lt.kernel_out("coop")
    vmlinux, boot = out / "vmlinux", out / "vmlinux.boot"
    header = readelf("-hW", str(vmlinux))
    assert re.search(r"Class:\s+ELF64", header) and \
        re.search(r"Machine:\s+Advanced Micro Devices X86-64", header)
    # The monitor enters at the physical entry point, phys_startup_64.
    assert re.search(r"Entry point address:\s+0x1000000\b", header), header

    full, stripped = sections(vmlinux), sections(boot)
    assert {".debug_info", ".debug_line", ".symtab"} <= full
    assert not any(s.startswith(".debug_") for s in stripped), stripped
    assert ".symtab" in stripped and ".strtab" in stripped
    assert loads(vmlinux) == loads(boot), "the boot copy loads other bytes"
    assert boot.stat().st_size < vmlinux.stat().st_size
    symbols = subprocess.run(["nm", str(boot)], capture_output=True,
                             text=True, timeout=60).stdout
    assert re.search(r"^[0-9a-f]+ T startup_64$", symbols, re.M)


def test_gdb_scripts_load():
    out = lt.kernel_out("coop")
    p = subprocess.run(
        ["gdb", "-nx", "-batch",
         "-iex", f"add-auto-load-safe-path {out}",
         "-ex", f"file {out / 'vmlinux'}",
         "-ex", "help lx-dmesg",
         "-ex", "lx-version",
         "-ex", "print sizeof(struct boot_params)",
         "-ex", "print init_task.comm",
         "-ex", "print (int)X86_SUBARCH_COOPERATIVE"],
        capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    # vmlinux-gdb.py was auto-loaded: Linux's lx- commands exist.
    assert "Print Linux kernel log buffer" in p.stdout, p.stdout + p.stderr
    # lx-version reads linux_banner from the file: the fixed stamps.
    assert "Linux version 6.1." in p.stdout and "(colinux@colinux)" in \
        p.stdout and "#1 Thu Jan  1 00:00:00 UTC 1970" in p.stdout, p.stdout
    # The debug info describes the kernel's types and data, and the
    # patch series is in: the subarch value of patches/0001.
    values = re.findall(r"^\$\d+ = (.*)$", p.stdout, re.M)
    assert len(values) == 3, p.stdout
    assert values[0] == "4096", p.stdout
    assert values[1].startswith('"swapper'), p.stdout
    assert values[2] == "5", p.stdout


@pytest.mark.parametrize("flavor", ["coop", "baseline"])
def test_config_is_the_kept_one(flavor):
    out = lt.kernel_out(flavor)
    kept = lt.LINUX / "configs" / f"{flavor}.resolved.config"
    # The kept file is the .config under a two-line header.
    header, body = kept.read_text().split("\n", 2)[:2], \
        kept.read_text().split("\n", 2)[2]
    assert header[0] == "# SPDX-License-Identifier: GPL-2.0", header
    assert header[1].startswith(f"# {flavor} kernel: tinyconfig + "), header
    assert (out / "config").read_text() == body, \
        f"out/{flavor}/config differs from {kept}"


def test_baseline_differs_only_where_plain_qemu_needs_it():
    """The cooperative choices hold in the baseline too, so the two are
    comparable."""
    def values(flavor):
        return dict(re.findall(r"^(CONFIG_\w+)=(.*)$",
                               (lt.LINUX / "configs" /
                                f"{flavor}.resolved.config").read_text(),
                               re.M))
    coop, base = values("coop"), values("baseline")
    for sym in ("SMP", "X86_5LEVEL", "RANDOMIZE_BASE", "PAGE_TABLE_ISOLATION",
                "X86_MCE", "MICROCODE", "MTRR", "IA32_EMULATION", "VT"):
        assert f"CONFIG_{sym}" not in coop and f"CONFIG_{sym}" not in base, sym
    for sym in ("NO_HZ_IDLE", "HIGH_RES_TIMERS", "FRAME_POINTER", "KALLSYMS",
                "EXT2_FS", "DEVTMPFS_MOUNT"):
        assert coop.get(f"CONFIG_{sym}") == "y" == base.get(f"CONFIG_{sym}")
    for sym in ("PCI", "VIRTIO_BLK", "VIRTIO_NET", "SERIAL_8250_CONSOLE",
                "ACPI", "PVH"):
        assert base.get(f"CONFIG_{sym}") == "y" and f"CONFIG_{sym}" not in coop
    assert coop.get("CONFIG_DEBUG_INFO_DWARF5") == "y"
    assert "CONFIG_DEBUG_INFO" not in base

# SPDX-License-Identifier: GPL-2.0
"""gdb against the rig in batch mode, as docs/debugging.md does it: a
breakpoint in a guest driver function is hit, the backtrace names the
guest's call chain, and the rig's commands (qemu-rig/gdb/colinux.py)
print the passage state, the rings and guest memory."""
import re
import struct
import subprocess

import qemu_rig as rig_run
from qemu_rig import e2e, run_rig

SCRIPT = """\
break bare_guest_entry_hook
continue
co-side
delete
break tg_cobd_submit
continue
bt
co-side
co-passage
co-rings
co-gpa 0x200000 32
co-enter-guest
co-side
delete
continue
"""


def first_load_bytes(elf, n):
    """The first @n bytes of the guest kernel's first PT_LOAD segment and
    its p_paddr (an offset into guest RAM)."""
    data = elf.read_bytes()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr = struct.unpack_from(
            "<IIQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            return p_paddr, data[p_offset:p_offset + n]
    raise AssertionError("no PT_LOAD in %s" % elf)


def test_gdb_batch_session(tmp_path):
    script = tmp_path / "session.gdb"
    script.write_text(SCRIPT)
    img = tmp_path / "d0.img"
    e2e.make_image(img, 1 << 20)
    # Paged RAM and RAM at gpa 0: co-gpa must follow the monitor's page list.
    run = run_rig(["cobd0=%s" % img, "test=cobd_info"], timeout=120,
                  options=["--gdb-batch", str(script)], contiguous=False)
    out = run.stderr        # gdb's output; the console is on stdout

    # A host breakpoint first: the CPU is in the host's address space.
    assert re.search(r"Breakpoint 1, .*bare_guest_entry_hook", out), run.describe()
    assert "colinux: the CPU is in the host: host address space" in out, run.describe()

    # The guest driver function, its call chain, the side.
    assert re.search(r"Breakpoint 2, tg_cobd_submit \(d=", out), run.describe()
    chain = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(", out, re.M)
    i = chain.index("tg_cobd_submit")
    assert chain[i:i + 4] == ["tg_cobd_submit", "tg_cobd_io", "info_unit",
                              "tg_test_cobd_info"], chain
    assert "tg_main" in chain[i:] and "co_start" in chain[i:], chain
    assert "colinux: the CPU is in the guest: guest address space" in out, run.describe()

    # co-passage: the shared page and both contexts, read from the guest side.
    assert "shared page: magic 0x53504f43 abi 1 op 2 (RETURN)" in out, run.describe()
    guest_rip = re.search(r"guest context \(saved in the shared page\):\n  rip 0x([0-9a-f]+)",
                          out)
    host = re.search(r"host context \(saved in the host-state page\):\n  rip 0x([0-9a-f]+)"
                     r"[^\n]*\n[^\n]*\n[^\n]*\n  cr0 0x[0-9a-f]+ cr2 0x[0-9a-f]+ cr3 0x([0-9a-f]+)",
                     out)
    assert guest_rip and host, run.describe()
    assert int(host.group(1), 16) >= 0xffffffffc0000000, "host resumes in its image"
    assert int(guest_rip.group(1), 16) >= 0xffffffff80000000, "guest resumes in its kernel"
    assert re.search(r"star 0x13000800000000 lstar 0xffffffffc0[0-9a-f]+", out), run.describe()

    # co-rings: the cobd queue has requests in flight at tg_cobd_submit.
    assert re.search(r"^cobd0: irq line 8, 1 queue\(s\)\n  queue \d+: ring gpa 0x[0-9a-f]+, "
                     r"\d+ entries; req_prod \d+ req_cons \d+ cpl_prod \d+ cpl_cons \d+",
                     out, re.M), run.describe()
    assert re.search(r"^cocon0: irq line 2, 2 queue\(s\)", out, re.M), run.describe()

    # co-gpa: guest RAM by gpa holds the kernel's first bytes.
    paddr, want = first_load_bytes(rig_run.build_dir() / "guest-drivers" / "testguest" /
                                   "testguest.elf", 32)
    assert paddr == 0x200000
    dump = re.findall(r"^0x00002000[01]0: ((?:[0-9a-f]{2} ){15}[0-9a-f]{2})", out, re.M)
    assert bytes.fromhex("".join(dump).replace(" ", "")) == want, out

    # co-enter-guest stops on the guest's next instruction: the rip the
    # passage saved for it.
    assert re.search(r"Temporary breakpoint 3, 0xffff800000000[0-9a-f]+ in", out), out
    sides = re.findall(r"colinux: the CPU is in the guest: guest address space "
                       r"\(CR3 0x[0-9a-f]+\), rip 0x([0-9a-f]+)", out)
    assert sides and sides[-1] == guest_rip.group(1), \
        "entered at %s, saved rip %s\n%s" % (sides, guest_rip.group(1), out[-6000:])

    # The guest then ran to its end under the debugger.
    assert run.returncode == 0, run.describe()
    assert "== cobd_info:" in run.stdout and "FAIL" not in run.stdout, run.describe()


def debug_sections(elf):
    """Names of the .debug_* sections of an ELF64 file."""
    data = elf.read_bytes()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    str_off, = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)
    names = []
    for i in range(shnum):
        name, = struct.unpack_from("<I", data, shoff + i * shentsize)
        end = data.index(b"\0", str_off + name)
        names.append(data[str_off + name:end].decode())
    return [n for n in names if n.startswith(".debug")]


def test_stripped_kernel_full_symbols(tmp_path):
    """A large kernel boots as a stripped copy (objcopy --strip-debug: the
    symbol table stays for the monitor) while gdb takes the full image's
    symbols (--guest-symbols): a breakpoint by function name hits in the
    stripped guest, and the backtrace has source lines."""
    full = rig_run.build_dir() / "guest-drivers" / "testguest" / "testguest.elf"
    stripped = tmp_path / "testguest-stripped.elf"
    subprocess.run(["objcopy", "--strip-debug", str(full), str(stripped)], check=True)
    assert debug_sections(full) and not debug_sections(stripped)
    script = tmp_path / "session.gdb"
    script.write_text("break tg_cobd_submit\ncontinue\nbt 3\ndelete\ncontinue\n")
    img = tmp_path / "d0.img"
    e2e.make_image(img, 1 << 20)
    run = run_rig(["kernel=%s" % stripped, "cobd0=%s" % img, "test=cobd_info"], timeout=120,
                  options=["--gdb-batch", str(script), "--guest-symbols", str(full)])
    out = run.stderr
    # The machine booted the stripped copy; gdb read the full one.
    assert re.search(r"command line \"[^\"]* kernel=%s " % re.escape(str(stripped)),
                     run.stdout), run.describe()
    assert "guest symbols from %s." % full in out, out
    assert "warning" not in out, out
    assert re.search(r"Breakpoint 1, tg_cobd_submit \(d=", out), run.describe()
    frames = re.findall(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\w+) \(.*?\)\s+at (\S+):(\d+)$",
                        re.sub(r"\n\s+", " ", out), re.M)
    assert [f[1] for f in frames[:2]] == ["tg_cobd_submit", "tg_cobd_io"], out
    assert all(f[2].endswith("guest-drivers/testguest/cobd.c") for f in frames[:2]), frames
    assert run.returncode == 0, run.describe()
    assert "== cobd_info:" in run.stdout and "FAIL" not in run.stdout, run.describe()


def test_guest_symbols_that_do_not_match_warn(tmp_path):
    """--guest-symbols names the wrong image: the runner says so (gdb's
    addresses would be wrong), and refuses it without gdb."""
    other = tmp_path / "other.elf"
    full = rig_run.build_dir() / "guest-drivers" / "testguest" / "testguest.elf"
    subprocess.run(["objcopy", "--change-addresses", "0x1000", str(full), str(other)],
                   check=True, capture_output=True)
    run = run_rig(["test=abi"], timeout=30,
                  options=["--dry-run", "--gdb", "--guest-symbols", str(other)])
    assert run.returncode == 0, run.describe()
    assert "does not describe kernel=" in run.stderr, run.describe()
    run = run_rig(["test=abi"], timeout=30, options=["--guest-symbols", str(full)])
    assert run.returncode == 64, run.describe()     # usage
    assert "--guest-symbols is for gdb" in run.stderr, run.describe()

# SPDX-License-Identifier: GPL-2.0
"""gdb against the rig in batch mode, as docs/debugging.md does it: a
breakpoint in a guest driver function is hit, the backtrace names the
guest's call chain, and the rig's commands (qemu-rig/gdb/colinux.py)
print the passage state, the rings and guest memory."""
import re
import struct

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

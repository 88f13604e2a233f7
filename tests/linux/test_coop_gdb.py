# SPDX-License-Identifier: GPL-2.0
"""A kernel developer's gdb session against the cooperative Linux guest,
in batch mode, as docs/debugging.md ("A Linux guest") does it:
qemu-rig/run --gdb-batch loads the full vmlinux beside vmlinux.boot and
Linux's own gdb scripts; a breakpoint in the cooperative platform stops
with the whole call chain (from a user process's write() down to the
hvc back-end), lx-dmesg and lx-ps read the guest's kernel, stepping over
a switch to the host comes back to the guest's code, and the rig's
commands show the side, the lines and the passage. At the end the host
asks the guest to power off (SIGTERM to the rig), which it does.
"""
import os
import re
import signal

import linux_tier as lt

RUN = lt.REPO / "qemu-rig" / "run"

SCRIPT = """\
break coop_con_init
continue
bt
lx-dmesg
delete
break coop_timer_next
continue
next
next
next
next
bt 1
co-side
delete
break coop_put_chars if s[0] == 'r' && s[1] == 'o' && s[2] == 'o' && s[3] == 't'
continue
co-side
bt
lx-ps
co-lines
co-passage
delete
lx-symbols
co-side
echo @@GDB-DONE@@\\n
continue
"""


def test_gdb_batch_session(tmp_path):
    script = tmp_path / "linux.gdb"
    script.write_text(SCRIPT)
    kernel = lt.kernel_out("coop") / "vmlinux.boot"
    args = []
    if os.environ.get("CO_BUILD_DIR"):
        args += ["--build-dir", os.environ["CO_BUILD_DIR"]]
    args += ["--gdb-batch", str(script), "--timeout", "600", f"kernel={kernel}",
             f"initrd={lt.initramfs()}", "mem=128", "console=hvc0"]
    con = lt.Console(args, program=RUN)
    con.expect(r"@@GDB-DONE@@", 500, "the end of the gdb script")
    # A power request from the host: the guest powers off in order.
    os.kill(con.proc.pid, signal.SIGTERM)
    con.expect(r"the host asks for a power-off", 120)
    con.expect(r"guest stopped: power off", 120)
    assert con.wait_exit(120) == 0, con.transcript()
    con.reader.join(10)
    out = con.transcript(tail=1 << 22)

    def part(first, last):
        i = out.index(first)
        return out[i:out.index(last, i)]

    def chain(text):
        return re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(", text, re.M)

    assert re.search(r"gdb takes the guest's symbols from \S+/vmlinux ", out), out
    assert re.search(r"colinux: Linux's gdb scripts from \S+/vmlinux-gdb\.py", out)

    # An initcall of the platform: the boot's call chain down to it, then
    # lx-dmesg: the kernel's log buffer, read from guest memory.
    one = part("Breakpoint 1, coop_con_init () at ", "Breakpoint 2, ")
    c = chain(one)
    assert c[:2] == ["coop_con_init", "do_one_initcall"], c
    assert "kernel_init" in c and "ret_from_fork" in c, c
    assert re.search(r"\[ +0\.000000\] Linux version 6\.1\.\d+", one), one
    assert "cooperative: 256 virtual interrupt lines" in one, one

    # Four "next"s from the timer's set_next_event, one of them over the
    # switch to the host (co_guest_call): gdb stops in guest code.
    two = part("Breakpoint 2, coop_timer_next (delta=", "Breakpoint 3, ")
    m = re.search(r"^#0 +(.*)$", two, re.M)
    assert m, two
    assert "0xffff80000000" not in m.group(1), "stranded in the passage: " + two
    assert "colinux: the CPU is in the guest: guest address space" in two, two

    # The shell writes its prompt: a user process's write() reaches the
    # platform's hvc back-end, the CPU in that process's address space.
    three = part('Breakpoint 3, coop_put_chars (vt=0, s=', "@@GDB-DONE@@")
    assert '"root@colinux:/# ' in three.split("\n")[0], three
    assert "colinux: the CPU is in the guest: guest address space" in three
    c = chain(three)
    assert c[:4] == ["coop_put_chars", "hvc_push", "hvc_write",
                     "process_output_block"], c
    assert "ksys_write" in c and "do_syscall_64" in c, c
    tasks = re.findall(r"^0x[0-9a-f]+ +(\d+) +(\S+)$", three, re.M)
    assert ("0", "swapper") in tasks and ("1", "init") in tasks, tasks
    assert any(comm == "sh" for _, comm in tasks), tasks
    # co-lines: the platform's three lines unmasked, the rest masked.
    assert re.search(r"   0  timer0   \w+, unmasked\n   1  power0   \w+, unmasked\n"
                     r"   2  cocon0   \w+, unmasked\n253 lines masked in all", three)
    assert "side now: guest address space" in three, "co-passage"
    # lx-symbols reloads vmlinux alone; the rig's commands still work.
    after = three[three.index("loading vmlinux"):]
    assert "colinux: the CPU is in the guest" in after, after

# SPDX-License-Identifier: GPL-2.0
"""Linux 6.1 as a coLinux guest on the QEMU rig (qemu-rig/run), as a user
drives it: the cooperative kernel boots through the real passage from
the project's initramfs to a busybox shell on hvc0 (cocon), commands
typed on standard input run, and every way out of Linux ends the run
with the status it should.

One boot serves the shell tests (module fixture); the power tests each
boot their own. Every run must end with all of the bare host's state
checks passed and nothing left over after teardown.

Needs out/coop and out/rootfs (ci/linux builds them) and the rig's host
(qemu-rig/run builds it, or CO_BUILD_DIR names a build that has it).
"""
import hashlib
import os
import re
import signal
import struct
import subprocess
import time

import pytest

import linux_tier as lt

RUN = lt.REPO / "qemu-rig" / "run"
WHITELIST = lt.REPO / "qemu-rig" / "audit" / "linux.whitelist"
BOOT_TIMEOUT = 180


def rig(words, options=(), timeout=600):
    """qemu-rig/run booting the cooperative kernel with the initramfs;
    its standard input and output are the guest's console."""
    kernel = lt.kernel_out("coop") / "vmlinux.boot"
    args = []
    if os.environ.get("CO_BUILD_DIR"):
        args += ["--build-dir", os.environ["CO_BUILD_DIR"]]
    args += list(options) + ["--timeout", str(timeout),
                             f"kernel={kernel}", f"initrd={lt.initramfs()}",
                             "mem=128", "console=hvc0"] + list(words)
    return lt.Console(args, program=RUN)


def at_prompt(con, timeout=BOOT_TIMEOUT):
    con.expect(r"colinux-rootfs: ready", timeout, "the root image's rcS")
    con.expect(re.escape(lt.PROMPT), 60, "the shell prompt")


def host_report(con, status, timeout=120):
    """Wait for the rig to exit with status; return its whole output
    after checking the bare host's closing report."""
    rc = con.wait_exit(timeout)
    con.reader.join(10)
    out = con.transcript(tail=1 << 20)
    if rc != status:
        con.fail(f"qemu-rig/run exited {rc}, expected {status}")
    m = re.search(r"colinux-bare: (\d+) trips into the guest, "
                  r"(\d+) state checks passed", out)
    assert m, out[-3000:]
    assert int(m.group(1)) > 100 and m.group(1) == m.group(2), m.group(0)
    m = re.search(r"after teardown: (\d+) heap blocks \((\d+) bytes\), "
                  r"(\d+) pages outstanding", out)
    assert m and m.groups() == ("0", "0", "0"), out[-3000:]
    return out


@pytest.fixture(scope="module")
def shell():
    con = rig([])
    at_prompt(con)
    yield con
    con.send("poweroff\n")
    host_report(con, 0)


def test_banner_and_platform_line(shell):
    out = shell.transcript(tail=1 << 20)
    assert re.search(r"guest: \[ *[0-9.]+\] Linux version 6\.1\.\d+", out), out
    m = re.search(r"cooperative: RAM 0x[0-9a-f]+-0x[0-9a-f]+ \(128 MiB\), "
                  r"passage at 0xffff800000000000", out)
    assert m, out
    # The real console takes over from the boot console.
    assert "printk: console [hvc0] enabled" in out, out


def test_uname(shell):
    out, rc = shell.run("uname -a")
    assert rc == 0
    assert re.match(r"Linux colinux 6\.1\.\d+ .* x86_64", out), out


def test_interrupts_are_the_cooperative_lines(shell):
    out, rc = shell.run("cat /proc/interrupts")
    assert rc == 0
    lines = {m.group(3): (int(m.group(1)), m.group(2))
             for m in re.finditer(r"^ *\d+: +(\d+) +coop +(\d+) +(\S+)$",
                                  out, re.M)}
    assert set(lines) >= {"coop-timer", "coop-power", "hvc_console"}, out
    assert lines["coop-timer"][1] == "0" and lines["coop-power"][1] == "1"
    assert lines["hvc_console"][1] == "2"
    # The timer ran, and typing reached the console's line.
    assert lines["coop-timer"][0] > 0 and lines["hvc_console"][0] > 0, out


def test_dmesg_has_the_platform(shell):
    out, rc = shell.run("dmesg")
    assert rc == 0
    assert "cooperative: RAM" in out, out
    assert re.search(r"cooperative: 256 virtual interrupt lines, entered on "
                     r"vector 0x[0-9a-f]+", out), out
    # No PMU probe (patch 0008): not even its banner.
    assert "Performance Events" not in out, out


def test_ls_proc_and_a_pipeline(shell):
    out, rc = shell.run("ls /proc")
    assert rc == 0
    for name in ("cpuinfo", "interrupts", "meminfo", "self", "1"):
        assert re.search(rf"\b{name}\b", out), (name, out)
    out, rc = shell.run("seq 1 100 | awk '{ s += $1 } END { print s }' | tr 0 o")
    assert (out, rc) == ("5o5o\n", 0)


def test_sleep_takes_a_second_of_host_time(shell):
    """The markers come from the shell itself (builtin echo): the time
    between them is the sleep, plus one console round trip."""
    shell.send('echo @@"T0"@@; sleep 1; echo @@"T1"@@\n')
    shell.expect(r"@@T0@@\n", 30)
    t0 = time.monotonic()
    shell.expect(r"@@T1@@\n", 30)
    dt = time.monotonic() - t0
    shell.expect(re.escape(lt.PROMPT), 30)
    assert 0.8 <= dt <= 1.2, f"sleep 1 took {dt:.3f} s of host time"


def test_typed_burst_arrives_whole(shell):
    """200 characters in one write to the rig's standard input."""
    text = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[i * 7 % 36]
                   for i in range(200))
    out, rc = shell.run(f"echo {text} | wc -c; echo {text} | md5sum")
    assert rc == 0
    count, digest = out.split("\n")[:2]
    assert int(count) == 201, out
    assert digest.split()[0] == hashlib.md5((text + "\n").encode()).hexdigest()


def test_typed_ahead_input_arrives_whole(shell):
    """6 KiB typed faster than the guest reads it (into cat, the console in
    cooked mode), then 20 command lines each typed the moment the prompt
    shows: every byte arrives once and in order. Before the bare host
    drained its UART with interrupts off, about one byte in a few
    thousand was lost or doubled here."""
    blob = "".join("".join("abcdefghijklmnopqrstuvwxyz"[(i * 7 + j * 3) % 26]
                           for j in range(150)) + "\n" for i in range(40))
    shell.send("stty -echo; cat > /tmp/typed; stty echo\n")
    time.sleep(1)
    shell.send(blob)
    time.sleep(3)
    shell.send("\x04")
    out, rc = shell.run("md5sum < /tmp/typed; wc -c < /tmp/typed", 60)
    assert rc == 0
    digest, size = out.split()[0], out.split()[-1]
    assert (digest, int(size)) == (hashlib.md5(blob.encode()).hexdigest(), len(blob)), out
    for i in range(20):
        text = blob[i * 151:i * 151 + 150]
        out, rc = shell.run(f"echo {text} | md5sum; ls /proc > /dev/null", 60)
        assert out.split()[0] == hashlib.md5((text + "\n").encode()).hexdigest(), (i, out)


def test_idle_guest_switches_rarely(shell):
    """Tickless idle: at the prompt the guest sleeps in the idle operation
    until its next timer; the switches it makes (coop.switches) over 60 s
    stay far below a periodic tick's 1000 or even 100 per second, and it
    still answers afterwards."""
    before, rc = shell.run("cat /sys/module/coop/parameters/switches")
    assert rc == 0
    time.sleep(60)
    after, rc = shell.run("cat /sys/module/coop/parameters/switches")
    per_s = (int(after) - int(before)) / 60
    print(f"switches per second at the idle prompt: {per_s:.1f}")
    assert per_s < 50, f"{per_s:.1f} switches per second at idle"


def power(command, status, options=(), timeout=120):
    con = rig([], options)
    at_prompt(con, timeout)
    con.send(command + "\n")
    return host_report(con, status, timeout)


def test_poweroff_exits_0():
    out = power("poweroff", 0)
    assert "reboot: Power down" in out, out[-3000:]
    assert "guest stopped: power off: power off (exit code 0)" in out


def test_guest_chosen_exit_code():
    out = power("echo 42 > /sys/module/coop/parameters/exit_code; poweroff -f",
                42)
    assert "power off (exit code 42)" in out, out[-3000:]


def test_reboot_is_reported():
    out = power("reboot", 0)
    assert "guest stopped: reboot" in out, out[-3000:]


def test_panic_ends_the_run_with_the_panic_text():
    out = power("echo c > /proc/sysrq-trigger", 70)
    assert "Kernel panic - not syncing: sysrq triggered crash" in out
    assert re.search(r"guest stopped: guest panic: sysrq triggered crash",
                     out), out[-3000:]


def test_host_power_event_powers_off_in_order():
    """SIGTERM to qemu-rig/run is the host's power button: the bare host
    raises the power line, the guest runs /sbin/poweroff through init."""
    con = rig([])
    at_prompt(con)
    os.kill(con.proc.pid, signal.SIGTERM)
    out = host_report(con, 0)
    assert "cooperative: the host asks for a power-off" in out, out[-3000:]
    assert "The system is going down NOW!" in out, out[-3000:]
    assert "guest stopped: power off: power off (exit code 0)" in out


def test_audit_boot_to_poweroff():
    """The instruction audit over the whole run: no port I/O, hlt or MSR
    write outside linux.whitelist."""
    out = power("ls /proc > /dev/null; poweroff", 0,
                ["--audit=%s" % WHITELIST], timeout=600)
    assert re.search(r"qemu-rig: audit: passed .*: (\d+) guest entries", out), \
        out[-3000:]


def test_audit_fails_a_write_off_the_whitelist(tmp_path):
    """The same run with FS_BASE and the other base MSRs struck from the
    whitelist fails with 76 and names the writes: the audit of Linux is
    not vacuous."""
    strict = tmp_path / "strict.whitelist"
    strict.write_text("".join(line for line in WHITELIST.read_text().splitlines(True)
                              if not line.startswith("wrmsr 0xc0000100")))
    out = power("poweroff", 76, ["--audit=%s" % strict], timeout=600)
    assert re.search(r"audit: FAILED: the guest broke .*strict\.whitelist", out), \
        out[-3000:]
    assert re.search(r"guest wrmsr at 0xffffffff[0-9a-f]+ <[^>]+>, \d+ times?: "
                     r"MSR 0xc0000100 \(FS_BASE\)", out), out[-3000:]


def without_sysenter_hook(src, dst):
    """A copy of vmlinux.boot with patch 0007's SYSENTER hook taken out:
    in syscall_init the branches on x86_coop() (cmpq $0, coop_passage_pgd)
    that skip the three SYSENTER writes are turned into "always write"
    (je into jmp, jne into two nops). The same kernel otherwise, so the
    test shows that the checks, not luck, stand between such a build and
    the host."""
    dis = subprocess.run(["objdump", "-d", "--disassemble=syscall_init", str(src)],
                         capture_output=True, text=True, check=True).stdout
    insns = re.findall(r"^ *([0-9a-f]+):\t((?:[0-9a-f]{2} )+)[ \t]*(\S*)", dis, re.M)
    data = bytearray(src.read_bytes())
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads = [struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)
             for i in range(phnum)]

    def offset(va):
        for p_type, _, p_off, p_vaddr, _, p_filesz, _ in loads:
            if p_type == 1 and p_vaddr <= va < p_vaddr + p_filesz:
                return p_off + va - p_vaddr
        raise AssertionError(f"0x{va:x} is in no PT_LOAD segment")

    flipped = 0
    for i, (va, raw, mnem) in enumerate(insns[:-1]):
        line = next(ln for ln in dis.splitlines() if ln.strip().startswith(va + ":"))
        if mnem != "cmpq" or "<coop_passage_pgd>" not in line:
            continue
        # The branch after it: a two-byte je or jne.
        j = next(k for k in range(i + 1, min(i + 3, len(insns))) if insns[k][2] in ("je", "jne"))
        jva, jraw, jmnem = insns[j]
        off = offset(int(jva, 16))
        assert len(jraw.split()) == 2, (jva, jraw)
        data[off:off + 2] = (b"\xeb" + data[off + 1:off + 2]) if jmnem == "je" else b"\x90\x90"
        flipped += 1
    assert flipped >= 1, f"no x86_coop() branch found in syscall_init:\n{dis}"
    dst.write_bytes(bytes(data))


def test_a_build_without_the_sysenter_hook_is_caught(tmp_path):
    """Both checks catch a kernel that writes the host's SYSENTER MSRs:
    the bare host's state check stops the VM after the trip that brought
    them back changed (75), and the audit names the writes (76, which
    takes precedence)."""
    broken = tmp_path / "vmlinux.boot"
    without_sysenter_hook(lt.kernel_out("coop") / "vmlinux.boot", broken)
    args = []
    if os.environ.get("CO_BUILD_DIR"):
        args += ["--build-dir", os.environ["CO_BUILD_DIR"]]
    args += ["--audit=%s" % WHITELIST, "--timeout", "600", f"kernel={broken}",
             f"initrd={lt.initramfs()}", "mem=128", "console=hvc0"]
    con = lt.Console(args, program=RUN)
    # The first trip after syscall_init() stops it, long before a prompt.
    con.expect(r"colinux-bare: exit status", 300, "the bare host's stop")
    rc = con.wait_exit(300)
    con.reader.join(10)
    out = con.transcript(tail=1 << 20)
    assert rc == 76, out[-3000:]
    assert "colinux-rootfs: ready" not in out, out[-3000:]
    assert re.search(r"sysenter_cs", out), out[-3000:]
    assert re.search(r"guest wrmsr at 0xffffffff[0-9a-f]+ <syscall_init\+0x[0-9a-f]+>, "
                     r"1 time: MSR 0x174 \(SYSENTER_CS\) not allowed", out), out[-3000:]
    assert "the run's own status: 75" in out, out[-3000:]

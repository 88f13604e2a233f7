# SPDX-License-Identifier: GPL-2.0
"""The baseline kernel (guest-drivers/linux/configs/baseline.config) boots
in plain QEMU, TCG, to a busybox shell on the ext2 root image, runs
commands, and powers QEMU off; and it reaches the root images' boot marker
from the disk and from the initramfs.

Needs out/baseline and out/rootfs (see linux_tier.py); ci/linux builds
them before it runs these tests.
"""
import shutil

import linux_tier as lt

# TCG boots the baseline in a few seconds; the margins are for a loaded
# machine.
BOOT_TIMEOUT = 120
COMMAND_TIMEOUT = 30
EXIT_TIMEOUT = 30


def qemu_args(kernel, append, disk=None, initrd=None):
    args = ["-machine", "pc", "-accel", "tcg", "-m", "256M", "-smp", "1",
            # The serial port on standard input and output, nothing else.
            "-display", "none", "-vga", "none", "-monitor", "none",
            "-serial", "stdio", "-no-reboot",
            # PVH: QEMU enters vmlinux through its PVH ELF note.
            "-kernel", kernel,
            # panic=-1 reboots at once on a panic, which -no-reboot turns
            # into an exit: a broken boot ends the test early.
            "-append", f"console=ttyS0 panic=-1 {append}",
            "-netdev", "user,id=net0",
            "-device", "virtio-net-pci,netdev=net0"]
    if disk:
        args += ["-drive", f"file={disk},format=raw,if=virtio"]
    if initrd:
        args += ["-initrd", initrd]
    return args


def test_boot_to_shell_and_poweroff(tmp_path):
    kernel = lt.baseline_kernel()
    release = lt.linux_release(kernel.parent / "config") \
        if (kernel.parent / "config").exists() else r"\S+"
    # The guest writes to its disk: boot a copy.
    disk = tmp_path / "root.img"
    shutil.copyfile(lt.root_image(), disk)
    con = lt.Console(qemu_args(kernel, "root=/dev/vda rw co_mode=shell",
                               disk=disk))
    try:
        con.expect(r"Linux version ", BOOT_TIMEOUT, "the kernel banner")
        con.expect(r"colinux-rootfs: ready\n", BOOT_TIMEOUT,
                   "the root image's rcS")
        con.expect(lt.PROMPT, BOOT_TIMEOUT, "the busybox prompt")

        out, rc = con.run("uname -a", COMMAND_TIMEOUT)
        assert rc == 0
        # Fixed build stamps: KBUILD_BUILD_VERSION=1 and the date of @0.
        assert out.strip() == (f"Linux colinux {release} #1 Thu Jan  1 "
                               "00:00:00 UTC 1970 x86_64 GNU/Linux"), out

        out, rc = con.run("cat /proc/version", COMMAND_TIMEOUT)
        assert rc == 0 and "(colinux@colinux)" in out, out

        # A pipeline through three processes: virtio-net came up as eth0.
        out, rc = con.run("ls /sys/class/net | sort | tr '\\n' ' '",
                          COMMAND_TIMEOUT)
        assert rc == 0 and out == "eth0 lo ", repr(out)

        # The root is the ext2 image on virtio-blk, writable.
        out, rc = con.run("grep ' / ' /proc/mounts | cut -d ' ' -f 3,4 | "
                          "cut -d , -f 1; cat /sys/block/vda/size",
                          COMMAND_TIMEOUT)
        size = disk.stat().st_size // 512
        assert rc == 0 and out.split() == ["ext2", "rw", str(size)], out
        out, rc = con.run("echo written > /tmp/probe && cat /tmp/probe",
                          COMMAND_TIMEOUT)
        assert rc == 0 and out == "written\n", repr(out)

        con.send("poweroff -f\n")
        rc = con.wait_exit(EXIT_TIMEOUT)
        assert rc == 0, f"QEMU exit status {rc}\n{con.transcript()}"
    finally:
        con.kill()


def expect_marker(con, first):
    """The lines in @first, then the boot marker, then QEMU's exit 0
    (co_mode=marker powers off)."""
    try:
        for pattern, what in first:
            con.expect(pattern, BOOT_TIMEOUT, what)
        con.expect(r"COLINUX-MARKER: userspace reached, uptime [0-9.]+ s\n",
                   BOOT_TIMEOUT, "the boot marker")
        rc = con.wait_exit(EXIT_TIMEOUT)
        assert rc == 0, f"QEMU exit status {rc}\n{con.transcript()}"
    finally:
        con.kill()


def test_marker_from_disk(tmp_path):
    disk = tmp_path / "root.img"
    shutil.copyfile(lt.root_image(), disk)
    con = lt.Console(qemu_args(lt.baseline_kernel(),
                               "root=/dev/vda ro co_mode=marker", disk=disk))
    expect_marker(con, [(r"Run /sbin/init as init process", "the disk's /sbin/init")])


def test_marker_from_initramfs():
    # No disk: the kernel runs /init from the uncompressed initramfs.
    con = lt.Console(qemu_args(lt.baseline_kernel(), "co_mode=marker",
                               initrd=lt.initramfs()))
    expect_marker(con, [(r"Unpacking initramfs", "the initramfs being unpacked"),
                        (r"Run /init as init process", "the initramfs's /init")])

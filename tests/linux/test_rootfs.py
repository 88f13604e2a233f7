# SPDX-License-Identifier: GPL-2.0
"""guest-drivers/linux/rootfs/mkrootfs: the root images are byte-identical
from run to run and from user to user, e2fsck-clean, owned by root, and
the ext2 image and the initramfs hold the same tree. These tests build
their own images (about a second each); they need no kernel."""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import linux_tier as lt


def mkrootfs(out, user=None, script=lt.MKROOTFS):
    cmd = [str(script), "-o", str(out)]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}",
               "--clear-groups", "env", "HOME=/"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"{cmd} failed ({p.returncode}):\n{p.stderr}"
    return out / "root.img", out / "initramfs.cpio"


def e2fsck_clean(img):
    p = subprocess.run(["e2fsck", "-fn", str(img)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, f"e2fsck -fn {img}:\n{p.stdout}{p.stderr}"


def cpio_paths(cpio):
    p = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(cpio, "rb"),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


def test_two_runs_are_identical(tmp_path):
    img1, cpio1 = mkrootfs(tmp_path / "a")
    # Another second on the clock: nothing may depend on the time.
    time.sleep(1.1)
    img2, cpio2 = mkrootfs(tmp_path / "b")
    assert img1.read_bytes() == img2.read_bytes(), "root.img differs"
    assert cpio1.read_bytes() == cpio2.read_bytes(), "initramfs.cpio differs"
    e2fsck_clean(img1)


def test_image_is_owned_by_root_and_matches_initramfs(tmp_path):
    img, cpio = mkrootfs(tmp_path)
    paths = [p for p in cpio_paths(cpio) if p != "."]
    # cpio -t lists "." too; directories are those with entries below.
    dirs = sorted({"/"} | {"/" + p.rsplit("/", 1)[0] for p in paths
                           if "/" in p})
    # debugfs "ls -p" lines: /inode/mode/uid/gid/name/size/
    cmds = tmp_path / "cmds"
    cmds.write_text("".join(f'ls -p "{d}"\n' for d in dirs))
    p = subprocess.run(["debugfs", "-f", str(cmds), str(img)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    seen = set()
    cwd = None
    for line in p.stdout.splitlines():
        if line.startswith("debugfs:"):
            cwd = line.split('"')[1]
            continue
        fields = line.split("/")
        if len(fields) < 7:
            continue
        _, ino, mode, uid, gid, name = fields[:6]
        assert (uid, gid) == ("0", "0"), f"{cwd}/{name}: uid {uid} gid {gid}"
        if name not in (".", "..", "lost+found"):
            seen.add((cwd.rstrip("/") + "/" + name).lstrip("/"))
    assert seen == set(paths), (
        f"only in the image: {sorted(seen - set(paths))}; "
        f"only in the initramfs: {sorted(set(paths) - seen)}")
    for must in ("bin/busybox", "bin/sh", "sbin/init", "init",
                 "etc/inittab", "etc/init.d/rcS", "etc/passwd", "dev",
                 "proc", "sys", "tmp"):
        assert must in seen, f"{must} missing from the image"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to run mkrootfs as another user "
                           "(as non-root, the other tests already run it "
                           "without privileges)")
def test_unprivileged_user_gets_the_same_bytes(tmp_path):
    img1, cpio1 = mkrootfs(tmp_path / "root")
    # pytest's tmp_path is private to root; nobody (65534) gets a folder
    # of its own in /tmp.
    out = Path(tempfile.mkdtemp(prefix="mkrootfs-nobody-"))
    # The checkout may sit where nobody cannot look (a "mktemp -d" clone is
    # 0700): nobody runs a copy of the script and its skeleton from /tmp.
    src = Path(tempfile.mkdtemp(prefix="mkrootfs-src-"))
    try:
        os.chmod(src, 0o755)
        shutil.copytree(lt.MKROOTFS.parent, src / "rootfs")
        os.chown(out, 65534, 65534)
        img2, cpio2 = mkrootfs(out, user="65534",
                               script=src / "rootfs" / lt.MKROOTFS.name)
        assert img1.read_bytes() == img2.read_bytes(), \
            "root.img built by nobody differs from root's"
        assert cpio1.read_bytes() == cpio2.read_bytes(), \
            "initramfs.cpio built by nobody differs from root's"
    finally:
        shutil.rmtree(out)
        shutil.rmtree(src)


def test_bad_usage_is_reported():
    p = subprocess.run([str(lt.MKROOTFS), "--size", "four"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--size 'four'" in p.stderr, p.stderr
    p = subprocess.run([str(lt.MKROOTFS), "--frobnicate"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "'--frobnicate'" in p.stderr, p.stderr
    p = subprocess.run([str(lt.MKROOTFS), "-o", "/proc/colinux-rootfs"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "/proc/colinux-rootfs" in p.stderr, p.stderr

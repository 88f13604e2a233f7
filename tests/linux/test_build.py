# SPDX-License-Identifier: GPL-2.0
"""guest-drivers/linux/build: its cheap error paths, each with its exit
status and a message that names the problem and the value. None of these
builds a kernel.

Most cases run a copy of the inputs (guest-drivers/linux, the guest library
and the ABI headers) with one thing broken. The configuration cases share
the tree already extracted in the build folder (CO_LINUX_BUILD_DIR, as
ci/linux leaves it): their copy has the same tarball and patches, so the
tree is reused and only a scratch configuration is resolved; the kernels
and results in that folder are not touched.
"""
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import linux_tier as lt

EX_USAGE = 2
EX_TOOL = 3
EX_TARBALL = 4
EX_SOURCE = 5
EX_CONFIG = 6
EX_RESOLVED = 7


def run(script, *args, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([str(script)] + list(args), capture_output=True,
                       text=True, timeout=timeout, env=e,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def clone(tmp_path):
    """A copy of the build's inputs, laid out as in the repository; returns
    (repo copy, its build script)."""
    root = tmp_path / "repo"
    for rel in ("guest-drivers/linux", "guest-drivers/lib",
                "monitor/include/colinux/abi"):
        shutil.copytree(lt.REPO / rel, root / rel)
    return root, root / "guest-drivers/linux/build"


def test_unknown_option():
    rc, _, err = run(lt.BUILD, "--frobnicate")
    assert rc == EX_USAGE and "unknown option '--frobnicate'" in err, err


def test_build_folder_that_cannot_be_written():
    rc, _, err = run(lt.BUILD, "--coop",
                     env={"CO_LINUX_BUILD_DIR": "/proc/colinux-build"})
    assert rc == EX_USAGE, err
    assert "cannot write to the build folder /proc/colinux-build" in err, err


def test_missing_tarball(tmp_path):
    missing = tmp_path / "linux-source-6.1.tar.xz"
    rc, _, err = run(lt.BUILD, "--coop",
                     env={"CO_LINUX_TARBALL": str(missing),
                          "CO_LINUX_BUILD_DIR": str(tmp_path / "b")})
    assert rc == EX_TARBALL, err
    assert str(missing) in err and "does not exist" in err, err
    assert f"apt-get install linux-source-6.1={lt.pinned_version()}" in err, err


def test_missing_tool(tmp_path):
    # A PATH with everything but bison.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for d in os.environ["PATH"].split(":"):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            src = os.path.join(d, name)
            if name != "bison" and not (bindir / name).exists() and \
                    os.access(src, os.X_OK):
                (bindir / name).symlink_to(src)
    rc, _, err = run(lt.BUILD, "--print-key", env={"PATH": str(bindir)})
    assert rc == EX_TOOL, err
    assert "bison (package bison)" in err and "apt-get install bison" in err, \
        err


def fake_tarball(path, patches, sublevel, fit):
    """A tarball of a pretend Linux tree: a Makefile with its version, and
    the files the patches change. With fit, each file holds the patches'
    pre-images (their hunks' context and removed lines, in series order,
    so that every patch applies with zero fuzz at an offset); without,
    the files hold other text."""
    files = {"Makefile": f"VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = {sublevel}\n",
             "arch/x86/.keep": ""}
    for patch in patches:
        name = None
        for line in Path(patch).read_text().splitlines():
            if line.startswith("diff "):
                name = None
            elif line.startswith("+++ b/"):
                name = line[6:]
                files.setdefault(name, "" if fit else "nothing of the sort\n")
            elif line.startswith("@@"):
                continue
            elif fit and name and line[:1] in (" ", "-"):
                files[name] += line[1:] + "\n"
    with tarfile.open(path, "w:xz") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"linux-source-6.1/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def series():
    """The patches of the series, in order: [(path, name)]."""
    names = [s.split("#")[0].strip() for s in
             (lt.LINUX / "patches/series").read_text().splitlines()]
    return [(lt.LINUX / "patches" / n, n) for n in names if n]


def test_other_tarball_whose_patch_does_not_apply(tmp_path):
    patch, name = series()[0]
    tarball = tmp_path / "other.tar.xz"
    fake_tarball(tarball, [patch], 999, fit=False)
    rc, _, err = run(lt.BUILD, "--coop",
                     env={"CO_LINUX_TARBALL": str(tarball),
                          "CO_LINUX_BUILD_DIR": str(tmp_path / "b")})
    assert rc == EX_SOURCE, err
    assert "WARNING: the Linux source is not the pinned one." in err, err
    assert f"linux-source-6.1 {lt.pinned_version()}" in err, err
    assert "Linux 6.1.999" in err, err
    assert f"patch guest-drivers/linux/patches/{name} does not apply with " \
           "zero fuzz" in err, err
    assert "refusing this source" in err, err


def test_other_tarball_whose_patches_apply_warns(tmp_path):
    tarball = tmp_path / "other.tar.xz"
    fake_tarball(tarball, [p for p, _ in series()], 998, fit=True)
    rc, out, err = run(lt.BUILD, "--coop",
                       env={"CO_LINUX_TARBALL": str(tarball),
                            "CO_LINUX_BUILD_DIR": str(tmp_path / "b")})
    assert "WARNING: the Linux source is not the pinned one." in err, err
    assert "Linux 6.1.998" in err and lt.pinned_version() in err, err
    assert "Every patch applied with zero fuzz, so the build goes on" in err
    assert "patches applied at an offset" in out, out
    # The pretend tree has no Kconfig: the build goes on and fails there.
    assert rc == EX_CONFIG and "configuring the coop kernel failed" in err, err


def test_series_names_a_missing_patch(tmp_path):
    root, build = clone(tmp_path)
    series = root / "guest-drivers/linux/patches/series"
    series.write_text(series.read_text() + "0099-not-there.patch\n")
    rc, _, err = run(build, "--print-key")
    assert rc == EX_SOURCE, err
    assert "names '0099-not-there.patch'" in err, err


def test_overlay_may_not_replace_a_tree_file(tmp_path):
    root, build = clone(tmp_path)
    (root / "guest-drivers/linux/overlay/Makefile").write_text("# no\n")
    rc, _, err = run(build, "--coop", env={
        "CO_LINUX_BUILD_DIR": str(shared_build_dir())})
    assert rc == EX_SOURCE, err
    assert "overlay/Makefile would replace Makefile of the Linux tree" in err
    assert "with a patch" in err, err


def shared_build_dir():
    """The build folder whose tree the configuration cases reuse."""
    d = lt.build_dir()
    if not (d / "src" / "stamp").exists():
        pytest.fail(f"no extracted tree in {d}/src: run "
                    "guest-drivers/linux/build first (ci/linux does), or "
                    "set CO_LINUX_BUILD_DIR", pytrace=False)
    return d


def test_malformed_fragment_line(tmp_path):
    root, build = clone(tmp_path)
    frag = root / "guest-drivers/linux/configs/baseline.config"
    # merge_config.sh would skip both without a word.
    frag.write_text(frag.read_text() + "CONFIG_NO_VALUE\n"
                    "#CONFIG_PCI is not set\n")
    # Caught before any tree work: a fresh build folder stays empty.
    rc, _, err = run(build, "--baseline",
                     env={"CO_LINUX_BUILD_DIR": str(tmp_path / "b")})
    assert rc == EX_CONFIG, err
    assert re.search(r"baseline.config:\d+: not a Kconfig line: "
                     r"CONFIG_NO_VALUE\n", err), err
    assert re.search(r"baseline.config:\d+: not a Kconfig line: "
                     r"#CONFIG_PCI is not set\n", err), err
    assert not (tmp_path / "b" / "src").exists()


def test_requested_value_that_does_not_survive(tmp_path):
    root, build = clone(tmp_path)
    frag = root / "guest-drivers/linux/configs/coop.config"
    # HPET_TIMER is def_bool X86_64: no fragment can turn it off.
    frag.write_text(frag.read_text() + "# CONFIG_HPET_TIMER is not set\n")
    rc, _, err = run(build, "--coop",
                     env={"CO_LINUX_BUILD_DIR": str(shared_build_dir())})
    assert rc == EX_CONFIG, err
    assert re.search(r"CONFIG_HPET_TIMER: asked n \(guest-drivers/linux/"
                     r"configs/coop.config:\d+\), resolved y", err), err


def test_resolved_config_differs_from_the_kept_one(tmp_path):
    root, build = clone(tmp_path)
    kept = root / "guest-drivers/linux/configs/coop.resolved.config"
    kept.write_text(kept.read_text().replace("CONFIG_EXT2_FS=y\n", ""))
    rc, _, err = run(build, "--coop",
                     env={"CO_LINUX_BUILD_DIR": str(shared_build_dir())})
    assert rc == EX_RESOLVED, err
    assert "+CONFIG_EXT2_FS=y" in err, err
    assert "differs from" in err and "--update-config" in err, err


def test_print_key_is_stable_and_per_kernel():
    rc1, out1, err = run(lt.BUILD, "--print-key")
    assert rc1 == 0, err
    rc2, out2, _ = run(lt.BUILD, "--print-key", "--baseline", "--coop")
    assert rc2 == 0 and out1 == out2
    keys = dict(reversed(line.split()) for line in out1.splitlines())
    assert set(keys) == {"coop", "baseline"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys.values())
    assert keys["coop"] != keys["baseline"]

# SPDX-License-Identifier: GPL-2.0
"""End-to-end tests: colinux-sim and the test guest, driven as a user
would. Run: CO_BUILD_DIR=<build dir> /usr/bin/python3 -m pytest tests/e2e
(default build dir: <repo>/build). CO_E2E_TAP_DIR=<dir> also writes one
TAP file per guest test program."""
import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import colinux_e2e as e2e  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def binaries():
    for p in (e2e.sim_path(), e2e.guest_path()):
        if not p.exists():
            pytest.fail("%s is missing: build first (cmake --build %s), or "
                        "set CO_BUILD_DIR" % (p, e2e.build_dir()), pytrace=False)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def rig(tmp_path):
    """Every kind of device: two disks (one read-only), slirp, a pcap
    capture and a loopback pair, plus a UDP echo server for slirp."""
    d0, d1 = tmp_path / "disk0.img", tmp_path / "disk1.img"
    e2e.make_image(d0, 4 << 20)
    e2e.make_image(d1, 1 << 20, fill=b"RO-IMAGE")
    pcap = tmp_path / "eth1.pcap"
    with e2e.UdpEcho() as echo:
        yield dict(
            args=["cobd0=%s" % d0, "cobd1=%s,ro" % d1, "eth0=slirp",
                  "eth1=pcap,%s" % pcap, "eth2=loop,e2e-%s" % tmp_path.name,
                  "eth3=loop,e2e-%s" % tmp_path.name, "slirp=0", "pcap=1",
                  "loop=2,3", "udp_port=%d" % echo.port],
            disk0=d0, disk1=d1, pcap=pcap, echo=echo,
            disk1_hash=sha256(d1))

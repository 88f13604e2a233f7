# SPDX-License-Identifier: GPL-2.0
"""The devices on the QEMU tier are real: cobd writes land in the image
file through QEMU's IDE disk, conet's slirp units reach QEMU's user-mode
network through an e1000, pcap captures come out of the machine. The
checks are the simulator tier's (tests/e2e)."""
import re

import pytest

import qemu_rig as rig_run
import tg_table
from qemu_rig import e2e, run_rig
from conftest import sha256
from test_cobd import STAMP_RE, check_image
from test_conet import check_udp


@pytest.mark.parametrize("seed", [5, 1234567])
def test_cobd_rw_images(tmp_path, seed):
    sizes = [4 << 20, 2 << 20, 256 << 10]
    imgs = [tmp_path / ("d%d.img" % i) for i in range(len(sizes))]
    for img, size in zip(imgs, sizes):
        e2e.make_image(img, size)
    rounds, span, stamp = 8, 4096, 200
    run = run_rig(["cobd%d=%s" % (i, p) for i, p in enumerate(imgs)] +
                  ["test=cobd_rw", "seed=%d" % seed, "rounds=%d" % rounds,
                   "span=%d" % span, "stamp=%d" % stamp], timeout=180)
    assert run.returncode == 0 and run.summaries["cobd_rw"][1] == 0, run.describe()
    stamps = {int(m.group(1)): m.groups() for m in STAMP_RE.finditer(run.stdout)}
    assert sorted(stamps) == [0, 1, 2], run.describe()
    for unit, img in enumerate(imgs):
        _, sectors, s, gen = (int(x) for x in stamps[unit])
        unit_span = min(span, sizes[unit] // e2e.SECTOR)
        assert s == seed and gen == e2e.STAMP_GEN
        assert sectors == min(stamp, unit_span)
        written = check_image(img, seed, unit, rounds, unit_span, sectors)
        assert written > 0 or unit_span == sectors, "unit %d: rounds wrote nothing" % unit
    rig_run.assert_host_clean(run)


def test_cobd_programs_on_ram_disks(tmp_path):
    """cobdN=PATH,ram: the images go in as multiboot modules and the host
    serves them from RAM. The cobd programs pass on them as on IDE drives
    (the read-only unit stays read-only), and no write reaches the files:
    every image, the written ones too, is as it was."""
    table = rig_run.QEMU.table()
    progs = [table.programs[p] for p in ("cobd_info", "cobd_rw", "cobd_errors")]
    with tg_table.Setup(rig_run.QEMU, progs, tmp_path) as s:
        args = [a + ",ram" if re.match(r"cobd\d+=", a) else a for a in s.args]
        run = run_rig(args + ["test=cobd_info,cobd_rw,cobd_errors", "seed=7"], timeout=120,
                      options=s.options)
        for p in progs:
            tg_table.check_clean(run, p)
        assert s.images and "ide0:" not in run.stdout, run.describe()
        for unit, d, path, before in s.images:
            assert ("colinux-bare: RAM disk %s: %d KiB in module memory, writes are not "
                    "written back" % (path, d.kib)) in run.stdout, run.describe()
            assert sha256(path) == before, "cobd%d: a RAM disk wrote back" % unit
    assert re.search(r"^cobd_rw: stamp unit=0 sectors=\d+", run.stdout, re.M), run.describe()
    rig_run.assert_host_clean(run)


def test_read_only_image_untouched(tmp_path):
    img = tmp_path / "ro.img"
    e2e.make_image(img, 1 << 20, fill=b"READONLY")
    before = sha256(img)
    run = run_rig(["cobd0=%s,ro" % img, "test=cobd_info,cobd_errors,cobd_rw"], timeout=60)
    assert run.returncode == 0, run.describe()
    assert any(r.text == "unit 0: WRITE to a read-only unit: status -30 (want -30), len 0"
               for r in run.of("PASS")), run.describe()
    assert sha256(img) == before


def test_udp_through_qemu_user_network():
    with e2e.UdpEcho() as echo:
        run = run_rig(["eth0=slirp", "test=conet_udp", "slirp=0", "udp_port=%d" % echo.port,
                       "seed=9", "count=6"], timeout=60)
        received = echo.received
    check_udp(run, received, 9, 6)


def test_arp_and_ping_through_the_e1000():
    run = run_rig(["eth0=slirp", "test=conet_arp,conet_ping", "slirp=0"], timeout=60)
    assert run.returncode == 0, run.describe()
    assert "conet_arp: gateway mac 52:55:0a:00:02:02" in run.stdout
    assert re.search(r"colinux-bare: e1000 0 at 00:\d\d\.0, mac [0-9a-f:]+, link up",
                     run.stdout), run.describe()


def test_pcap_capture_comes_out_of_the_machine(tmp_path):
    pcap = tmp_path / "cap.pcap"
    run = run_rig(["eth0=pcap,%s" % pcap, "test=conet_pcap", "pcap=0", "seed=77",
                   "count=12"], timeout=60)
    assert run.returncode == 0, run.describe()
    rows = e2e.tshark_fields(pcap, ["ip.src", "ip.dst", "udp.srcport", "udp.dstport",
                                    "udp.payload"], "udp")
    assert len(rows) == 12, rows
    for seq, (src, dst, sport, dport, payload) in enumerate(rows):
        assert (src, dst, sport, dport) == ("10.0.2.15", "10.0.2.99", "40000", "9999")
        assert bytes.fromhex(payload.replace(":", "")) == b"colinux-pcap seed=77 seq=%d" % seq


BUSY_RE = re.compile(r"conet_busy: round (\d+): (\d+) of (\d+) echoes before computing, "
                     r"(\d+) more in the ring after (\d+) host interrupts")


def test_frames_reach_a_computing_guest():
    """conet_busy computes with interrupts on and makes no call of its
    own while its UDP echoes come back: the e1000 is polled on the host
    tick the guest forwards (every trip back polls the devices), not only
    while the guest idles. Without that poll the ring stays empty until
    the guest gives up after `ticks` interrupts."""
    ticks = 5000
    with e2e.UdpEcho() as echo:
        run = run_rig(["eth0=slirp", "test=conet_busy", "slirp=0", "udp_port=%d" % echo.port,
                       "count=4", "ticks=%d" % ticks], timeout=60)
        received = len(echo.received)
    assert run.returncode == 0 and run.summaries["conet_busy"][1] == 0, run.describe()
    rounds = [tuple(int(x) for x in m.groups()) for m in BUSY_RE.finditer(run.stdout)]
    assert rounds, run.describe()
    _, before, count, during, interrupts = rounds[-1]
    assert count == 4 and before < count, run.describe()
    assert before + during >= count, run.describe()
    # Within a few ticks of the echo's arrival, far from the bound.
    assert 1 <= interrupts < ticks, run.describe()
    assert received == 4 * len(rounds), "echo server saw %d datagrams" % received
    rig_run.assert_host_clean(run)

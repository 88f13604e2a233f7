# SPDX-License-Identifier: GPL-2.0
"""conet as the host sees it: UDP from the guest through slirp's NAT
arrives at a socket on 127.0.0.1 and the echo gets back; frames sent on a
pcap unit are in the capture file, read back with tshark."""
import re

import colinux_e2e as e2e


def udp_run(extra, seed, count):
    with e2e.UdpEcho() as echo:
        run = e2e.run_sim(extra + ["eth0=slirp", "test=conet_udp", "slirp=0",
                                   "udp_port=%d" % echo.port, "seed=%d" % seed,
                                   "count=%d" % count], timeout=60)
    return run, echo.received


def check_udp(run, received, seed, count):
    assert run.returncode == 0, run.describe()
    assert len([r for r in run.of("PASS") if "echoed back" in r.text]) == count
    got = {}
    for data, peer in received:
        assert peer[0] == "127.0.0.1"
        m = re.match(rb"colinux-udp seed=(\d+) seq=(\d+) ", data)
        assert m, data[:60]
        assert int(m.group(1)) == seed
        got.setdefault(int(m.group(2)), data)
        # The filler after the header: 'a' + (seq + i) % 26 at offset len+i.
        seq, head = int(m.group(2)), len(m.group(0))
        body = data[head:]
        assert body == bytes(ord("a") + (seq + i) % 26 for i in range(len(body)))
    assert sorted(got) == list(range(count))


def test_udp_through_slirp_virtual_time():
    run, received = udp_run([], 9, 6)
    check_udp(run, received, 9, 6)


def test_udp_through_slirp_real_time():
    # --real-time must come before the keys.
    with e2e.UdpEcho() as echo:
        import subprocess
        cmd = [str(e2e.sim_path()), "run", "--real-time",
               "kernel=%s" % e2e.guest_path(), "memwindow=contiguous",
               "eth0=slirp", "test=conet_udp", "slirp=0",
               "udp_port=%d" % echo.port, "seed=21", "count=3"]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        run = e2e.Run(cmd[2:], p.returncode, p.stdout, p.stderr)
        run.results, run.summaries = e2e.parse(p.stdout)
        received = echo.received
    check_udp(run, received, 21, 3)


def test_pcap_capture(tmp_path):
    pcap = tmp_path / "cap.pcap"
    run = e2e.run_sim(["eth0=pcap,%s" % pcap, "test=conet_pcap", "pcap=0",
                       "seed=77", "count=12"], timeout=60)
    assert run.returncode == 0, run.describe()
    rows = e2e.tshark_fields(pcap, ["ip.src", "ip.dst", "udp.srcport",
                                    "udp.dstport", "udp.payload"], "udp")
    assert len(rows) == 12, rows
    for seq, (src, dst, sport, dport, payload) in enumerate(rows):
        assert (src, dst, sport, dport) == ("10.0.2.15", "10.0.2.99", "40000", "9999")
        assert bytes.fromhex(payload.replace(":", "")) == \
            b"colinux-pcap seed=77 seq=%d" % seq
    # tshark also checks the IP header checksum it shows as good.
    bad = e2e.tshark_fields(pcap, ["frame.number"],
                            "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\"")
    assert not bad


def test_arp_and_ping_in_capture_of_errors_program(tmp_path):
    """conet_errors' accepted 14-byte frame reaches the capture; the refused
    ones do not."""
    pcap = tmp_path / "err.pcap"
    run = e2e.run_sim(["eth0=pcap,%s" % pcap, "test=conet_errors"], timeout=60)
    assert run.returncode == 0, run.describe()
    rows = e2e.tshark_fields(pcap, ["frame.len", "eth.type"])
    assert rows == [["14", "0x88b5"]], rows

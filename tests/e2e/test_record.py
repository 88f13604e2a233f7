# SPDX-License-Identifier: GPL-2.0
"""colinux-sim --record FILE: a run's guest traffic as a guest script
(sim-host/include/sim/script.h) that the fuzz targets replay.

A path that cannot be written must fail before any guest runs, naming the
path and the reason; a recording must replay in the fuzz harness to the
end with no finding."""
import subprocess

import pytest

import colinux_e2e as e2e

USAGE = 64


def record(path, args, timeout=60):
    cmd = [str(e2e.sim_path()), "run", "--record", str(path),
           "kernel=%s" % e2e.guest_path(), "mem=16"] + args
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace", timeout=timeout)


@pytest.mark.parametrize("where, reason", [
    ("missing/rec.in", "No such file or directory"),
    (".", "Is a directory"),
])
def test_unwritable_path_fails_up_front(tmp_path, where, reason):
    path = tmp_path / where
    p = record(path, ["test=console"])
    assert p.returncode == USAGE, p.stderr
    assert "cannot record to %s: %s" % (path, reason) in p.stderr, p.stderr
    # Nothing ran: no guest output, no exit of a guest.
    assert "PASS" not in p.stdout and "guest stopped" not in p.stderr, p.stdout


def test_recording_replays(tmp_path):
    path = tmp_path / "console.in"
    p = record(path, ["test=console,abi"])
    assert p.returncode == 0, p.stderr
    size = path.stat().st_size
    assert "recorded %d bytes of guest traffic in %s" % (size, path) in p.stderr
    replay = e2e.build_dir() / "fuzz" / "replay_cocon"
    if not replay.exists():
        pytest.skip("%s is not built" % replay)
    r = subprocess.run([str(replay), str(path)], capture_output=True,
                       text=True, errors="replace", timeout=120,
                       env={"FZ_TRACE": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert "1 inputs ran, no finding" in r.stdout, r.stdout
    # It ends as the run did: the guest's power-off with code 0.
    ops = [line for line in r.stderr.splitlines() if line.startswith("fz:   op ")]
    assert ops and ops[-1].startswith("fz:   op 17 (0 0 "), ops[-3:]

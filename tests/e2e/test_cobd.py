# SPDX-License-Identifier: GPL-2.0
"""cobd as the host sees it: after the guest's random write-then-read run
(cobd_rw), every image file holds exactly what the guest says it wrote.

The guest writes tg_cobd_pattern(seed, unit, gen, sector) into every
sector it touches, gen being the round (1..rounds), and finally stamps
sectors [0, stamp) with gen 0xffff. So on the host: the stamped sectors
must match exactly, every other sector of the span must be zeros or one
round's pattern for that very sector, and nothing past the span changes.
"""
import re
import struct

import pytest

import colinux_e2e as e2e
from conftest import sha256

STAMP_RE = re.compile(r"^cobd_rw: stamp unit=(\d+) sectors=(\d+) seed=(\d+) gen=(\d+)",
                      re.M)
ZERO = bytes(e2e.SECTOR)


def first_words(seed, unit, rounds, sector):
    """First word of each round's pattern of @sector -> the round."""
    base = (seed ^ (unit << 56)) & e2e.M64
    return {e2e.mix64((base ^ (gen << 40) ^ (sector << 6)) & e2e.M64): gen
            for gen in range(1, rounds + 1)}


def check_image(path, seed, unit, rounds, span, stamp):
    data = path.read_bytes()
    written = 0
    for s in range(len(data) // e2e.SECTOR):
        sec = data[s * e2e.SECTOR:(s + 1) * e2e.SECTOR]
        if s < stamp:
            assert sec == e2e.cobd_pattern_sector(seed, unit, e2e.STAMP_GEN, s), \
                "unit %d sector %d: not the stamp" % (unit, s)
        elif s >= span or sec == ZERO:
            assert sec == ZERO, "unit %d sector %d: written past the span" % (unit, s)
        else:
            gen = first_words(seed, unit, rounds, s).get(struct.unpack_from("<Q", sec)[0])
            assert gen, "unit %d sector %d: data of no round" % (unit, s)
            assert sec == e2e.cobd_pattern_sector(seed, unit, gen, s), \
                "unit %d sector %d: round %d's pattern, torn" % (unit, s, gen)
            written += 1
    return written


@pytest.mark.parametrize("seed", [5, 1234567])
def test_cobd_rw_images(tmp_path, seed):
    sizes = [4 << 20, 2 << 20, 256 << 10]
    imgs = [tmp_path / ("d%d.img" % i) for i in range(len(sizes))]
    for img, size in zip(imgs, sizes):
        e2e.make_image(img, size)
    rounds, span, stamp = 8, 4096, 200
    run = e2e.run_sim(["cobd%d=%s" % (i, p) for i, p in enumerate(imgs)] +
                      ["test=cobd_rw", "seed=%d" % seed, "rounds=%d" % rounds,
                       "span=%d" % span, "stamp=%d" % stamp], timeout=120)
    assert run.returncode == 0 and run.summaries["cobd_rw"][1] == 0, run.describe()
    stamps = {int(m.group(1)): m.groups() for m in STAMP_RE.finditer(run.stdout)}
    assert sorted(stamps) == [0, 1, 2], run.describe()
    for unit, img in enumerate(imgs):
        _, sectors, s, gen = (int(x) for x in stamps[unit])
        unit_span = min(span, sizes[unit] // e2e.SECTOR)
        assert s == seed and gen == e2e.STAMP_GEN
        assert sectors == min(stamp, unit_span)
        written = check_image(img, seed, unit, rounds, unit_span, sectors)
        # The rounds must really have left data beyond the stamp.
        assert written > 0 or unit_span == sectors, "unit %d: rounds wrote nothing" % unit


def test_cobd_rw_is_reproducible(tmp_path):
    def image(name, seed):
        img = tmp_path / name
        e2e.make_image(img, 1 << 20)
        run = e2e.run_sim(["cobd0=%s" % img, "test=cobd_rw", "seed=%d" % seed,
                           "rounds=4"], timeout=60)
        assert run.returncode == 0, run.describe()
        return sha256(img)

    assert image("a.img", 42) == image("b.img", 42)
    assert image("c.img", 43) != image("a.img", 42)


def test_read_only_image_untouched(tmp_path):
    img = tmp_path / "ro.img"
    e2e.make_image(img, 1 << 20, fill=b"READONLY")
    before = sha256(img)
    run = e2e.run_sim(["cobd0=%s,ro" % img, "test=cobd_info,cobd_errors,cobd_rw"],
                      timeout=60)
    assert run.returncode == 0, run.describe()
    assert any(r.text == "unit 0: WRITE to a read-only unit: status -30 (want -30), len 0"
               for r in run.of("PASS")), run.describe()
    assert sha256(img) == before

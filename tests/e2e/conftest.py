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

# Licensed under the Apache License, Version 2.0 or the MIT License.
# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Power cuts on the twin: 5 of `make soak`'s 200 (tools/soak.py): QEMU is
killed with SIGKILL at random moments during FTP uploads and overwrites and
the same image is booted again. After each cut fsck.fat finds the volume
sound (dirty flag, stale free count, lagging FAT mirror and leaked clusters
allowed), every upload answered 226 is byte-identical, the file being
written is its old content, absent or a prefix of the new one, and the next
boot mounts it."""
import os
import random
import sys

from twin import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import soak  # noqa: E402


def test_five_power_cuts_lose_nothing_that_was_acknowledged(tmp_path):
    seed = random.randrange(1 << 30)
    r = soak.soak(5, seed, str(tmp_path), log=lambda line: None)
    assert r["cuts"] == 5
    assert r["failures"] == [], f"seed {seed}: {r['failures']}"
    assert r["unmountable"] == r["damaged_closed_files"] == r["not_mounted_at_boot"] == 0
    assert "bad" not in r["in_flight"]

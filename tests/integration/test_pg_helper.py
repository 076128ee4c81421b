"""The throwaway PostgreSQL helper (tests/integration/pg.py) cleans up after a test process that was killed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.integration import pg


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.integration
def test_a_killed_runs_cluster_is_stopped_and_removed_by_the_next_run() -> None:
    try:
        pg.bin_dir()
    except pg.Unavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL binaries are missing: {exc}")
    parent = Path(tempfile.mkdtemp(prefix="secaudit-sweep-"))
    os.chmod(parent, 0o755)  # the postgres user must reach its cluster below
    orphan = pg.Cluster(parent / "secaudit-pg-orphan").start()
    mine = pg.Cluster(parent / "secaudit-pg-mine").start()
    try:
        (orphan.base / pg.OWNER).write_text(str(_dead_pid()))  # its test process is gone
        postmaster = int((orphan.data / "postmaster.pid").read_text().split()[0])
        (parent / "secaudit-pg-stranger").mkdir()  # no owner file: not ours to touch
        assert pg.sweep_orphans(parent) == [orphan.base]
        assert not orphan.base.exists() and not pg._alive(postmaster)
        assert (mine.data / "postmaster.pid").exists() and (parent / "secaudit-pg-stranger").exists()
    finally:
        mine.stop()
        orphan.stop()
        subprocess.run(["rm", "-rf", str(parent)], check=False)

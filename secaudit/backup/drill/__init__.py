"""Restore drill: restore a random sample of files from the newest copy and compare each with the
live data in `source` by SHA-256. restic and borg restore into a private temporary directory with
their own tool; plain copies (directories, tar, zip, compressed files) are decoded and hashed as
they stream, so nothing is written to disk at all. A live file whose modification time differs
from the archived one changed after the backup: it is counted, not reported as a mismatch.

What an archive says is never trusted: member names are normalised (backslashes, leading `/` and
`./`, `.` components) and a name with `..` is refused; a live file is only ever one under `source`
(links resolved); a member is decoded only up to the live file's size plus SLACK, so a tar or zip
bomb costs neither memory nor disk; and any decoder's error is a failed drill with the reason.

- compare.py: the sample, the result, safe member names, live files, the comparison;
- repo.py: restic and borg (restore with the tool);
- files.py: plain copies (decoded as they stream)."""

from __future__ import annotations

import random
import shutil
import tempfile
import time

from secaudit.backup.drill.compare import SLACK, DrillResult, Sampled, live_path, safe_member, sha256_file
from secaudit.backup.drill.files import drill_files
from secaudit.backup.drill.repo import drill_repo
from secaudit.backup.sets import Listing
from secaudit.config import BackupSet

__all__ = ["SLACK", "DrillResult", "Sampled", "drill_files", "drill_repo", "live_path", "run_drill", "safe_member",
           "sha256_file"]


def run_drill(bset: BackupSet, listing: Listing, timeout: float, seed: int | None = None) -> DrillResult:
    """Never raises: whatever goes wrong is this set's drill error, with the reason."""
    started = time.monotonic()
    rng = random.Random(seed)
    try:
        if bset.kind in ("restic", "borg"):
            tmp = tempfile.mkdtemp(prefix="secaudit-drill-")  # 0700: restored files may hold personal data
            try:
                result = drill_repo(bset, listing, tmp, rng, timeout)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        else:
            result = drill_files(bset, listing, rng)
    except Exception as exc:
        result = DrillResult(at=int(time.time()), copy=listing.copies[0].path if listing.copies else "")
        result.error = ("corrupt", f"{result.copy}: the restore failed ({type(exc).__name__}: {str(exc)[:200]})")
    result.seconds = time.monotonic() - started
    return result

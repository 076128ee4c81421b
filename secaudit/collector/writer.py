"""Write transactions that retry when they lost a race.

Every upload is one transaction of its own (`run_now`): a receipt is handed out only after its commit. A
transaction that lost a race with another collector process (PostgreSQL deadlock or serialization
failure, SQLite "database is locked") is run again, a few times, after a short random pause.

Group commit (several uploads per transaction, one fsync) was built and measured: on 2 loaded cores with
20 concurrent uploaders it was slower (29-33 reports/s against 35-39), because the CPU of verifying and
indexing, not the fsync, limits the rate; it was removed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from secaudit.collector.db import Database

T = TypeVar("T")
RETRIES = 4


def retryable(exc: OperationalError) -> bool:
    """A transaction that lost a race and may simply run again (not a database that is down)."""
    state = getattr(exc.orig, "sqlstate", None)
    return state in ("40001", "40P01") or "database is locked" in str(exc.orig)


def run_now(db: Database, job: Callable[[Session], T]) -> T:
    """Run `job(session)` in a write transaction of its own, now, in this thread; its result once that is
    committed. An exception of the job rolls the transaction back and is raised."""
    for attempt in range(RETRIES):
        try:
            with db.write() as session:
                return job(session)
        except OperationalError as exc:
            if attempt < RETRIES - 1 and retryable(exc):
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                continue
            raise
    raise AssertionError("unreachable")

"""Indexing an accepted report into query tables (findings, hosts, inventory). Owned by C1b; this stub
keeps the upload path's contract: called inside the upload's transaction, before the commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from secaudit.collector.models import Report


def index_report(session: Session, report: Report, payload: dict[str, Any]) -> None:
    """Index `report` (already added and flushed: report.id is set) from its verified `payload`."""
    return None

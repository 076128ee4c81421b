"""`secaudit collector audit-log`: who logged in to the dashboard, viewed, exported or downloaded what
(the web_audit table), newest first (registered on the `collector` group by commands/collector.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from secaudit.commands.collector import db_options, open_db, run
from secaudit.safetext import for_terminal


def register(group: click.Group) -> None:
    group.add_command(audit_log_cmd)


@click.command("audit-log")
@db_options
@click.option("--user", "user_name", default=None, help="Chỉ người dùng này / only this user.")
@click.option("--days", type=click.IntRange(1, 36500), default=30, show_default=True,
              help="Số ngày gần nhất / the last N days.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
def audit_log_cmd(data_dir: str | None, db_url: str | None, lang: str | None, user_name: str | None, days: int,
                  limit: int) -> None:
    """Nhật ký truy cập bảng điều khiển / the dashboard's audit log: time, user, address, action, page."""
    def action(_lg: str) -> None:
        from sqlalchemy import select

        from secaudit.collector.web.models import WebAudit

        since = datetime.now(UTC) - timedelta(days=days)
        database = open_db(data_dir, db_url)
        try:
            with database.read() as session:
                query = select(WebAudit).where(WebAudit.at >= since)
                if user_name:
                    query = query.where(WebAudit.user_name == user_name)
                rows = [(r.at.strftime("%Y-%m-%dT%H:%M:%SZ"), r.user_name, r.client, r.action, r.target)
                        for r in session.scalars(query.order_by(WebAudit.at.desc(), WebAudit.id.desc()).limit(limit))]
        finally:
            database.dispose()
        for row in rows:
            click.echo("\t".join(for_terminal(v) for v in row))

    run(lang, action)

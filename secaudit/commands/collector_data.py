"""`secaudit collector backup | restore | export`: the collector's data outside the API (registered on the
`collector` group by commands/collector.py). Backups: collector/backup.py; exports are the API's CSV/XLSX
views of the whole tree (run on the server, no API token)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import click

from secaudit.commands.collector import db_options, db_session, open_db, run, say
from secaudit.commands.options import output_option


def register(group: click.Group) -> None:
    group.add_command(backup_cmd)
    group.add_command(restore_cmd)
    group.add_command(export_cmd)
    group.add_command(reindex_cmd)


@click.command("backup")
@db_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Tệp sao lưu / backup file (never overwritten).")
def backup_cmd(data_dir: str | None, db_url: str | None, lang: str | None, out: str) -> None:
    """Sao lưu cơ sở dữ liệu khi đang chạy / back up the database while it runs (SQLite online backup,
    pg_dump)."""
    def action(lg: str) -> None:
        from secaudit.collector import backup
        from secaudit.collector.db import database_url

        done = backup.backup(database_url(data_dir, db_url), out)
        click.echo(say(lg, f"Đã sao lưu {done.kind} vào {done.path} ({done.size} byte).",
                       f"Backed up {done.kind} to {done.path} ({done.size} bytes)."))

    run(lang, action)


@click.command("restore")
@db_options
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Xác nhận thay thế dữ liệu hiện có / confirm replacing the data.")
def restore_cmd(data_dir: str | None, db_url: str | None, lang: str | None, backup_file: str, yes: bool) -> None:
    """Khôi phục từ bản sao lưu (dừng serve trước) / restore from a backup (stop serve first)."""
    def action(lg: str) -> None:
        from secaudit.collector import backup
        from secaudit.collector.db import database_url

        if not yes:
            raise backup.BackupError("Khôi phục thay thế toàn bộ dữ liệu hiện có: dừng 'collector serve' rồi chạy "
                                     "lại với --yes.",
                                     "A restore replaces all current data: stop 'collector serve', then run again "
                                     "with --yes.")
        done = backup.restore(database_url(data_dir, db_url), backup_file)
        open_db(data_dir, db_url, upgrade=True).dispose()  # a backup of an older version is brought up to date
        click.echo(say(lg, f"Đã khôi phục từ {backup_file}.", f"Restored from {backup_file}.")
                   + (f" ({done.path})" if done.kind == "sqlite" else ""))

    run(lang, action)


@click.command("reindex")
@db_options
@click.option("--all", "everything", is_flag=True, help="Dựng lại toàn bộ / rebuild every index table.")
def reindex_cmd(data_dir: str | None, db_url: str | None, lang: str | None, everything: bool) -> None:
    """Lập chỉ mục lại từ các phong bì đã lưu / index stored reports again (those never indexed, or --all)."""
    def action(lg: str) -> None:
        from secaudit.collector import index

        with db_session(data_dir, db_url, write=True) as session:
            count = index.reindex(session, everything)
        click.echo(say(lg, f"Đã lập chỉ mục {count} báo cáo.", f"Indexed {count} reports."))

    run(lang, action)


@click.command("export")
@db_options
@click.argument("view", type=click.Choice(("summary", "late", "inventory")))
@click.option("--unit", default=None, help="Đơn vị / unit code (summary, late; default: every root unit).")
@click.option("-q", "query", default=None, help="Từ khóa tra cứu / inventory search term.")
@click.option("--av-older-than", type=click.IntRange(0, 36500), default=None, help="Days (inventory).")
@click.option("--as-of", default=None, help="YYYY-MM-DD (late).")
@output_option("FILE.csv | FILE.xlsx (bắt buộc / required)")
def export_cmd(data_dir: str | None, db_url: str | None, lang: str | None, view: str, unit: str | None,
               query: str | None, av_older_than: int | None, as_of: str | None, output: str | None) -> None:
    """Xuất CSV/XLSX / export the summary, late units or an inventory search as CSV or XLSX."""
    def action(lg: str) -> None:
        from secaudit.errors import SecauditError

        if not output:
            raise SecauditError("Cần -o TỆP.csv hoặc -o TỆP.xlsx.",
                                "An output file is needed: -o FILE.csv or -o FILE.xlsx.")
        out = output
        fmt = Path(out).suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise SecauditError("Tên tệp xuất phải kết thúc bằng .csv hoặc .xlsx.",
                                "The output file name must end in .csv or .xlsx.")
        with db_session(data_dir, db_url, write=False) as session:
            tables = _tables(session, view, unit, query, av_older_than, as_of, lg)
        from secaudit.collector import exports

        data = exports.to_xlsx(tables) if fmt == "xlsx" else exports.to_csv(tables[0])
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise SecauditError(f"Không ghi được {out}: {exc.strerror}.", f"Cannot write {out}: {exc.strerror}.") \
                from None
        click.echo(say(lg, f"Đã ghi {out}.", f"Wrote {out}."))

    run(lang, action)


def _tables(session: Any, view: str, unit_code: str | None, query: str | None, av_older_than: int | None,
            as_of: str | None, lang: str) -> list[Any]:
    from sqlalchemy import select

    from secaudit.collector import aggregate, exports, search
    from secaudit.collector.errors import ApiError
    from secaudit.collector.models import Unit, User
    from secaudit.errors import SecauditError

    roots = list(session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.code)))
    if unit_code:
        roots = list(session.scalars(select(Unit).where(Unit.code == unit_code)))
    if not roots:
        raise SecauditError(f"Không có đơn vị {unit_code or ''}.".replace("  ", " "),
                            f"There is no unit {unit_code or ''}.".replace("  ", " "))
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise SecauditError("--as-of phải có dạng YYYY-MM-DD.", "--as-of must be YYYY-MM-DD.") from None
    try:
        if view == "summary":
            return [t for root in roots for t in exports.summary_tables(aggregate.summary(session, root, 100_000),
                                                                         lang)]
        if view == "late":
            parts = [aggregate.late(session, root, day) for root in roots]
            return exports.late_tables({"late": [x for p in parts for x in p["late"]],
                                        "pending": [x for p in parts for x in p["pending"]]}, lang)
        # the whole tree: a user whose scope is a root sees it all (search filters by scope)
        hits: list[Any] = []
        for root in roots:
            admin = User(id=0, name="cli", role="admin", scope_unit_id=root.id)
            data = (search.antivirus_older_than(session, admin, av_older_than, 100_000)
                    if av_older_than is not None else search.search(session, admin, query or "", 100_000))
            hits += data["hits"]
        return exports.inventory_tables({"hits": hits}, lang)
    except ApiError as exc:
        raise SecauditError(exc.vi, exc.en) from None

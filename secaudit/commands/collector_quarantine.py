"""`secaudit collector quarantine list | export | purge`: the envelopes the collector refused
(collector/quarantine.py), for the security officer (registered on the `collector` group by
commands/collector.py)."""

from __future__ import annotations

import json

import click

from secaudit.commands.collector import db_options, db_session, run, say
from secaudit.commands.options import output_option
from secaudit.errors import SecauditError
from secaudit.safetext import for_terminal


class NotKept(SecauditError):
    """No output named, no such quarantined envelope, or its bytes were not kept (exit 1)."""

    exit_code = 1


def register(group: click.Group) -> None:
    group.add_command(quarantine_group)


@click.group("quarantine")
def quarantine_group() -> None:
    """Báo cáo bị từ chối được giữ lại / refused envelopes kept for review: list | export | purge."""


@quarantine_group.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="Số dòng mới nhất / how many of the newest rows.")
@click.option("--json", "as_json", is_flag=True, help="In JSON / print JSON.")
@db_options
def list_cmd(limit: int, as_json: bool, data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Liệt kê báo cáo bị từ chối / list refused envelopes, newest first: when, how often, from where, why."""
    def action(lg: str) -> None:
        from secaudit.collector import quarantine

        with db_session(data_dir, db_url, write=False) as session:
            rows = quarantine.listing(session, limit)
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        if not rows:
            click.echo(say(lg, "Không có báo cáo nào bị từ chối.", "No refused envelopes."))
        for row in rows:
            kept = say(lg, "có giữ nội dung", "bytes kept") if row["kept"] else say(lg, "không giữ nội dung",
                                                                                     "bytes not kept")
            times = say(lg, f"{row['times']} lần, lần cuối {row['last_at']}",
                        f"{row['times']} times, last {row['last_at']}") if row["times"] > 1 else ""
            click.echo(f"#{row['id']} {row['received_at']} {row['channel']} {for_terminal(row['source']) or '-'} "
                       f"{row['reason']} ({row['size']} B, {kept}{'; ' + times if times else ''}) "
                       f"sha256 {row['envelope_sha256']}")
            click.echo("    " + for_terminal(row["message"][lg]))

    run(lang, action)


@quarantine_group.command("export")
@click.argument("row_id", type=click.IntRange(1, 2**31 - 1))
@output_option("Tệp ghi phong bì (bắt buộc) / file to write the envelope to (required).")
@db_options
def export_cmd(row_id: int, output: str | None, data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Ghi nguyên văn phong bì bị từ chối ra tệp / write a refused envelope's exact bytes to a file (to
    examine it, e.g. with `secaudit verify`)."""
    def action(lg: str) -> None:
        from secaudit.collector import quarantine
        from secaudit.fsutil import write_file

        if not output:
            raise NotKept("Cần tệp ghi: -o FILE.", "An output file is needed: -o FILE.")
        with db_session(data_dir, db_url, write=False) as session:
            raw = quarantine.envelope(session, row_id)
            found = raw is not None or quarantine.exists(session, row_id)
        if raw is None:
            raise NotKept(*((f"Mục #{row_id} trong vùng cách ly không giữ nội dung (vùng cách ly đã đầy khi nhận).",
                             f"Quarantine entry #{row_id} has no bytes kept (the quarantine was full then).")
                            if found else (f"Không có mục #{row_id} trong vùng cách ly.",
                                           f"There is no quarantine entry #{row_id}.")))
        write_file(output, raw)
        click.echo(say(lg, f"Đã ghi {len(raw)} byte vào {output}.", f"Wrote {len(raw)} bytes to {output}."))

    run(lang, action)


@quarantine_group.command("purge")
@click.option("--older-than", "days", required=True, type=click.IntRange(0, 100_000), metavar="DAYS",
              help="Xóa mục cũ hơn số ngày này (0: tất cả) / delete entries last seen more than DAYS ago "
                   "(0: all).")
@db_options
def purge_cmd(days: int, data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Xóa các mục cũ khỏi vùng cách ly / delete old entries from the quarantine."""
    def action(lg: str) -> None:
        from secaudit.collector import quarantine

        with db_session(data_dir, db_url, write=True) as session:
            gone = quarantine.purge(session, days)
        click.echo(say(lg, f"Đã xóa {gone} mục khỏi vùng cách ly.", f"Deleted {gone} quarantine entries."))

    run(lang, action)

"""`secaudit collector receipts keys | verify | rotate-key`: the signed receipt chain (collector/receipts.py)
outside the API (registered on the `collector` group by commands/collector.py)."""

from __future__ import annotations

import click

from secaudit.commands.collector import db_options, db_session, run, say
from secaudit.errors import SecauditError


class ChainBroken(SecauditError):
    """The receipt chain shows removed or altered reports or receipts (exit 1)."""

    exit_code = 1


def register(group: click.Group) -> None:
    group.add_command(receipts_group)


@click.group("receipts")
def receipts_group() -> None:
    """Biên nhận đã ký, nối chuỗi băm / signed, hash-chained receipts: keys | verify | rotate-key."""


@receipts_group.command("keys")
@db_options
def keys_cmd(data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """In các khóa công khai ký biên nhận / print the public keys that sign receipts (for schools and
    inspectors)."""
    def action(lg: str) -> None:
        from secaudit.collector import receipts

        with db_session(data_dir, db_url, write=True) as session:
            receipts.signing_key(session)  # a new database gets its key here rather than at the first upload
            listed = receipts.public_keys(session)
        for key in listed:
            state = (say(lg, f"ngừng dùng từ {key['retired_at']}", f"retired {key['retired_at']}")
                     if key["retired_at"] else say(lg, "đang dùng", "current"))
            click.echo(f"# {key['key_id']} ({say(lg, 'tạo', 'created')} {key['created_at']}; {state})")
            click.echo(key["public_key"].rstrip("\n"))

    run(lang, action)


@receipts_group.command("verify")
@db_options
def verify_cmd(data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Kiểm tra toàn bộ chuỗi biên nhận / check the whole receipt chain: numbering, links, signatures,
    each receipt against its report (exit 1 when something was removed or altered)."""
    def action(lg: str) -> None:
        from secaudit.collector import receipts

        with db_session(data_dir, db_url, write=False) as session:
            state = receipts.check_chain(session)
        for problem in state.problems:
            where = f"#{problem.log_index}: " if problem.log_index is not None else ""
            click.echo(where + say(lg, problem.vi, problem.en))
        if state.problems:
            raise ChainBroken(f"Chuỗi biên nhận có {len(state.problems)} chỗ sai (xem trên).",
                              f"The receipt chain has {len(state.problems)} problems (listed above).")
        click.echo(say(lg, f"Chuỗi biên nhận nguyên vẹn: {state.receipts} biên nhận, đầu chuỗi số {state.head_index} "
                           f"(SHA-256 {state.head_sha256}).",
                       f"The receipt chain is intact: {state.receipts} receipts, head number {state.head_index} "
                       f"(SHA-256 {state.head_sha256})."))

    run(lang, action)


@receipts_group.command("rotate-key")
@db_options
def rotate_cmd(data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Tạo khóa ký biên nhận mới / make a new receipt signing key (the old one is retired, its public key
    kept to check the receipts it signed)."""
    def action(lg: str) -> None:
        from secaudit.collector import receipts

        with db_session(data_dir, db_url, write=True) as session:
            kid, _ = receipts.rotate(session)
        click.echo(say(lg, f"Khóa ký biên nhận mới: {kid}. Các máy đã đăng ký sẽ cảnh báo cho đến khi đăng ký lại.",
                       f"New receipt signing key: {kid}. Enrolled agents will warn until they enroll again."))

    run(lang, action)

"""`secaudit collector`: the server side (init, serve, ingest, units import, tokens, users, agents,
enroll-import; backup, restore, export and reindex come from commands/collector_data.py). Every
subcommand takes --data-dir (SQLite database and files; default
$SECAUDIT_COLLECTOR_DIR or /var/lib/secaudit/collector) and --db URL (PostgreSQL:
postgresql+psycopg://user@host/db; default $SECAUDIT_COLLECTOR_DB). FastAPI and SQLAlchemy are imported
only when a collector command runs (never on the `audit` path).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from secaudit.commands.options import F, fail, lang_option, language
from secaudit.errors import SecauditError
from secaudit.safetext import for_terminal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secaudit.collector.db import Database


def say(lang: str, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


def db_options(fn: F) -> F:
    fn = click.option("--db", "db_url", default=None, metavar="URL",
                      help="Cơ sở dữ liệu / database URL (postgresql+psycopg://...; default: SQLite in --data-dir, "
                           "or $SECAUDIT_COLLECTOR_DB).")(fn)
    fn = click.option("--data-dir", default=None, type=click.Path(file_okay=False),
                      help="Thư mục dữ liệu / data directory (default: $SECAUDIT_COLLECTOR_DIR, "
                           "/var/lib/secaudit/collector).")(fn)
    return lang_option(fn)


def open_db(data_dir: str | None, db_url: str | None, *, create: bool = False, upgrade: bool = False) -> Database:
    """The database; `upgrade` runs the migrations, otherwise the schema must already be current."""
    from secaudit.collector import migrate
    from secaudit.collector.db import Database, DatabaseError, database_url

    database = Database.open(database_url(data_dir, db_url), create_dir=create)
    try:
        if upgrade:
            migrate.upgrade(database.engine)
        elif migrate.current(database.engine) != migrate.head():
            raise DatabaseError("Cơ sở dữ liệu của máy chủ thu thập chưa được tạo hoặc đã cũ: chạy "
                                "'secaudit collector init'.",
                                "The collector database is not created or is out of date: run "
                                "'secaudit collector init'.")
    except SecauditError:
        database.dispose()
        raise
    except Exception as exc:  # a database that cannot be reached or read: one sentence
        database.dispose()
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DatabaseError(f"Không mở được cơ sở dữ liệu: {first}.", f"Cannot open the database: {first}.") from None
    return database


@contextmanager
def db_session(data_dir: str | None, db_url: str | None, *, write: bool) -> Iterator[Session]:
    """One session of one command on a current database (a write commits when the block ends)."""
    database = open_db(data_dir, db_url)
    try:
        with database.write() if write else database.read() as session:
            yield session
    finally:
        database.dispose()


def run(lang: str | None, action: Callable[[str], None]) -> None:
    """Run `action(lang)`; a SecauditError is one sentence and its exit code."""
    lg = language(lang)
    try:
        action(lg)
    except SecauditError as exc:
        fail(exc, lg)


@click.group("collector")
def collector() -> None:
    """Máy chủ thu thập báo cáo / the report collector: init | serve | ingest | units | tokens | users | agents |
    enroll-import | backup | restore | export | reindex | receipts | quarantine."""


@collector.command("init")
@db_options
def init(data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu / create or upgrade the database."""
    def action(lg: str) -> None:
        from secaudit.collector import migrate

        database = open_db(data_dir, db_url, create=True, upgrade=True)
        try:
            click.echo(say(lg, f"Cơ sở dữ liệu sẵn sàng ({database.engine.dialect.name}, phiên bản "
                               f"{migrate.current(database.engine)}).",
                           f"The database is ready ({database.engine.dialect.name}, revision "
                           f"{migrate.current(database.engine)})."))
        finally:
            database.dispose()

    run(lang, action)


@collector.command("serve")
@db_options
@click.option("--listen", default="127.0.0.1:8443", show_default=True, metavar="HOST:PORT",
              help="Địa chỉ nghe / listen address (plain HTTP only on loopback).")
@click.option("--tls-cert", default=None, type=click.Path(dir_okay=False), help="TLS certificate (PEM).")
@click.option("--tls-key", default=None, type=click.Path(dir_okay=False), help="TLS private key (PEM).")
@click.option("--log-level", default="info", type=click.Choice(("critical", "error", "warning", "info", "debug")))
def serve(data_dir: str | None, db_url: str | None, lang: str | None, listen: str, tls_cert: str | None,
          tls_key: str | None, log_level: str) -> None:
    """Chạy máy chủ (HTTPS) / run the server (HTTPS; migrations applied first)."""
    def action(lg: str) -> None:
        from secaudit.collector import serve as srv
        from secaudit.collector.app import create_app

        where = srv.parse_listen(listen)
        srv.check_tls(where, tls_cert, tls_key)
        database = open_db(data_dir, db_url, create=True, upgrade=True)
        try:
            srv.run(create_app(database), where, tls_cert, tls_key, log_level)
        finally:
            database.dispose()

    run(lang, action)


@collector.command("ingest")
@db_options
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--receipts", "receipts_dir", default=None, type=click.Path(file_okay=False),
              help="Ghi biên nhận đã ký vào thư mục này / write the signed receipts to this directory.")
def ingest(data_dir: str | None, db_url: str | None, lang: str | None, paths: tuple[str, ...],
           receipts_dir: str | None) -> None:
    """Nhận báo cáo đã ký từ USB/thư điện tử / take signed reports from USB or e-mail (DIR or files).

    Exit 0 when everything was accepted (or already stored), 1 when something was refused."""
    refused_any = False

    def action(lg: str) -> None:
        nonlocal refused_any
        from secaudit.collector.ingest import ingest as run_ingest
        from secaudit.collector.ingest import refused, write_receipt

        database = open_db(data_dir, db_url)
        counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "refused": 0}
        labels = {"accepted": ("NHẬN", "ACCEPTED"), "duplicate": ("ĐÃ CÓ", "DUPLICATE"),
                  "conflict": ("XUNG ĐỘT", "CONFLICT"), "refused": ("TỪ CHỐI", "REFUSED")}
        try:
            for verdict in run_ingest(database, list(paths)):
                counts[verdict.verdict] += 1
                refused_any = refused_any or refused(verdict)
                label = say(lg, *labels[verdict.verdict])
                reason = for_terminal(say(lg, verdict.vi, verdict.en))
                click.echo(f"{label:<10} {for_terminal(verdict.source)}: {reason}")
                if receipts_dir is not None:
                    write_receipt(Path(receipts_dir), verdict)
        finally:
            database.dispose()
        click.echo(say(lg, f"Nhận {counts['accepted']}, đã có {counts['duplicate']}, xung đột {counts['conflict']}, "
                           f"từ chối {counts['refused']}.",
                       f"Accepted {counts['accepted']}, duplicate {counts['duplicate']}, conflict "
                       f"{counts['conflict']}, refused {counts['refused']}."))

    run(lang, action)
    if refused_any:
        raise SystemExit(1)


@collector.group("units")
def units() -> None:
    """Cây đơn vị / the unit tree."""


@units.command("import")
@db_options
@click.argument("csv_file", type=click.Path(dir_okay=False))
def units_import(data_dir: str | None, db_url: str | None, lang: str | None, csv_file: str) -> None:
    """Nhập cây đơn vị từ CSV (code,name,parent,level[,playbook]) / import the unit tree."""
    def action(lg: str) -> None:
        from secaudit.collector import units as u

        rows = u.read_csv(csv_file)
        with db_session(data_dir, db_url, write=True) as session:
            result = u.import_units(session, rows, csv_file, csv_file)
        click.echo(say(lg, f"Đã nhập {len(rows)} đơn vị: {len(result.created)} mới, {len(result.renamed)} đổi tên, "
                           f"{len(result.moved)} chuyển đơn vị cha, {len(result.changed)} thay đổi khác, "
                           f"{result.unchanged} không đổi; {result.not_in_file} đơn vị không có trong tệp được giữ "
                           "nguyên.",
                       f"Imported {len(rows)} units: {len(result.created)} new, {len(result.renamed)} renamed, "
                       f"{len(result.moved)} moved, {len(result.changed)} otherwise changed, {result.unchanged} "
                       f"unchanged; {result.not_in_file} units not in the file are kept."))

    run(lang, action)


@collector.group("tokens")
def tokens() -> None:
    """Mã đăng ký máy / enrollment tokens."""


@tokens.command("create")
@db_options
@click.argument("unit")
@click.option("--ttl", default="7d", show_default=True, help="Thời hạn / lifetime (30m, 24h, 7d; at most 30d).")
@click.option("--uses", default=1, show_default=True, type=int, help="Số máy được đăng ký / enrollments allowed.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def tokens_create(data_dir: str | None, db_url: str | None, lang: str | None, unit: str, ttl: str, uses: int,
                  as_json: bool) -> None:
    """Tạo mã đăng ký một lần cho đơn vị / create a one-time enrollment token for a unit."""
    def action(lg: str) -> None:
        from secaudit.collector import tokens as tk
        from secaudit.timefmt import FORMAT

        lifetime = tk.parse_ttl(ttl)
        with db_session(data_dir, db_url, write=True) as session:
            made = tk.create(session, unit, lifetime, uses)
        expires = made.expires_at.strftime(FORMAT)
        if as_json:
            click.echo(json.dumps({"token": made.token, "unit": made.unit_code, "expires_at": expires,
                                   "uses": made.max_uses}))
            return
        click.echo(made.token)
        click.echo(say(lg, f"Đơn vị {made.unit_code}; hết hạn {expires}; dùng được {made.max_uses} lần. Mã chỉ hiện "
                           "một lần.",
                       f"Unit {made.unit_code}; expires {expires}; {made.max_uses} use(s). The token is shown only "
                       "once."), err=True)

    run(lang, action)


@tokens.command("list")
@db_options
def tokens_list(data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Liệt kê mã đăng ký (không hiện mã) / list enrollment tokens (never the tokens themselves)."""
    def action(lg: str) -> None:
        from secaudit.collector import tokens as tk
        from secaudit.collector.models import utcnow
        from secaudit.timefmt import FORMAT

        with db_session(data_dir, db_url, write=False) as session:
            rows = tk.listing(session, utcnow())
        for r in rows:
            click.echo(f"{r.id:>6}  {r.unit:<12} {r.state:<8} {r.uses}/{r.max_uses}  "
                       f"{r.created_at.strftime(FORMAT)} -> {r.expires_at.strftime(FORMAT)}")
        click.echo(say(lg, f"{len(rows)} mã.", f"{len(rows)} token(s)."))

    run(lang, action)


@tokens.command("revoke")
@db_options
@click.argument("token_id", type=int)
def tokens_revoke(data_dir: str | None, db_url: str | None, lang: str | None, token_id: int) -> None:
    """Thu hồi một mã đăng ký (số trong 'tokens list') / revoke an enrollment token (number from 'tokens list')."""
    def action(lg: str) -> None:
        from secaudit.collector import tokens as tk
        from secaudit.collector.models import utcnow

        with db_session(data_dir, db_url, write=True) as session:
            tk.revoke(session, token_id, utcnow())
        click.echo(say(lg, f"Đã thu hồi mã đăng ký số {token_id}.", f"Enrollment token {token_id} revoked."))

    run(lang, action)


@collector.group("users")
def users() -> None:
    """Tài khoản API / API accounts."""


@users.command("add")
@db_options
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(("admin", "officer", "responder")))
@click.option("--scope", "scope_unit", required=True, metavar="UNIT", help="Đơn vị gốc được xem / scope unit.")
@click.option("--password-stdin", is_flag=True,
              help="Đọc mật khẩu đăng nhập web từ dòng đầu của stdin / read the web login password from stdin.")
def users_add(data_dir: str | None, db_url: str | None, lang: str | None, name: str, role: str,
              scope_unit: str, password_stdin: bool) -> None:
    """Thêm tài khoản và in mã truy cập (một lần) / add an account and print its API token (once)."""
    def action(lg: str) -> None:
        from secaudit.collector import users as us

        password = _stdin_password() if password_stdin else None
        with db_session(data_dir, db_url, write=True) as session:
            made = us.add(session, name, role, scope_unit)
            if password is not None:
                _set_web_password(session, name, password)
        click.echo(made.token)
        click.echo(say(lg, f"Người dùng {made.name} ({made.role}), phạm vi {made.scope}. Mã truy cập chỉ hiện một lần; "
                           "dùng: Authorization: Bearer <mã>.",
                       f"User {made.name} ({made.role}), scope {made.scope}. The token is shown only once; use: "
                       "Authorization: Bearer <token>."), err=True)

    run(lang, action)


@users.command("list")
@db_options
def users_list(data_dir: str | None, db_url: str | None, lang: str | None) -> None:
    """Liệt kê tài khoản / list accounts."""
    def action(lg: str) -> None:
        from secaudit.collector import users as us

        with db_session(data_dir, db_url, write=False) as session:
            rows = us.listing(session)
        for name, role, scope, disabled, live in rows:
            state = say(lg, "đã khóa", "disabled") if disabled else say(lg, f"{live} mã", f"{live} token(s)")
            click.echo(f"{name:<24} {role:<10} {scope:<12} {state}")

    run(lang, action)


@users.command("token")
@db_options
@click.argument("name")
def users_token(data_dir: str | None, db_url: str | None, lang: str | None, name: str) -> None:
    """Cấp mã truy cập mới, hủy mã cũ / issue a new API token, revoking the old ones."""
    def action(lg: str) -> None:
        from secaudit.collector import users as us

        with db_session(data_dir, db_url, write=True) as session:
            made = us.new_api_token(session, name)
        click.echo(made.token)
        click.echo(say(lg, f"Mã mới cho {made.name}; các mã cũ không còn dùng được. Mã chỉ hiện một lần.",
                       f"New token for {made.name}; the old ones no longer work. The token is shown only once."),
                   err=True)

    run(lang, action)


def _stdin_password() -> str:
    """The first line of stdin (without its line end): a password never goes on a command line."""
    line = str(sys.stdin.readline())
    password = line.rstrip("\r\n")
    if not password:
        raise SecauditError("Không đọc được mật khẩu từ stdin (dòng đầu trống).",
                            "No password could be read from stdin (the first line is empty).")
    return password


def _set_web_password(session: Any, name: str, password: str) -> None:
    from sqlalchemy import select

    from secaudit.collector.models import User
    from secaudit.collector.web import auth

    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise SecauditError(f"Không có người dùng {name[:40]!r}.", f"There is no user {name[:40]!r}.")
    auth.set_password(session, user, password)


@users.command("password")
@db_options
@click.argument("name")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Đọc mật khẩu từ dòng đầu của stdin / read the password from the first line of stdin.")
def users_password(data_dir: str | None, db_url: str | None, lang: str | None, name: str,
                   password_stdin: bool) -> None:
    """Đặt mật khẩu đăng nhập web (kết thúc các phiên đang mở) / set the web login password (ends open sessions)."""
    def action(lg: str) -> None:
        password = _stdin_password()
        with db_session(data_dir, db_url, write=True) as session:
            _set_web_password(session, name, password)
        click.echo(say(lg, f"Đã đặt mật khẩu web cho {name}.", f"Web password set for {name}."), err=True)

    run(lang, action)


def _user_switch(name: str, disabled: bool, vi: str, en: str) -> None:
    @users.command(name, help=f"{vi} / {en}")
    @db_options
    @click.argument("user")
    def command(data_dir: str | None, db_url: str | None, lang: str | None, user: str) -> None:
        def action(lg: str) -> None:
            from secaudit.collector import users as us

            with db_session(data_dir, db_url, write=True) as session:
                us.set_disabled(session, user, disabled)
            click.echo(say(lg, f"Người dùng {user}: {vi.lower()}.", f"User {user}: {en.lower()}."))

        run(lang, action)


_user_switch("disable", True, "Đã khóa", "Disabled")
_user_switch("enable", False, "Đã mở khóa", "Enabled")


@collector.command("enroll-import")
@db_options
@click.argument("request_file", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Tệp trả lời / response file.")
def enroll_import(data_dir: str | None, db_url: str | None, lang: str | None, request_file: str, out: str) -> None:
    """Đăng ký máy không có mạng (tệp yêu cầu -> tệp trả lời) / offline enrollment (request -> response)."""
    def action(lg: str) -> None:
        from secaudit import inputs
        from secaudit.collector import enroll as en
        from secaudit.collector.errors import ApiError
        from secaudit.fsutil import write_file

        raw = inputs.read_bytes(request_file, en.MAX_REQUEST, "enroll_request", passthrough=())
        database = open_db(data_dir, db_url)
        try:
            response = en.enroll(database, raw)
        except ApiError as exc:
            raise SecauditError(exc.vi, exc.en) from None
        finally:
            database.dispose()
        write_file(out, (json.dumps(response, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        click.echo(say(lg, f"Đã đăng ký máy {response['agent_id']} vào đơn vị {response['unit']['code']}; mang tệp "
                           f"{out} về trường và chạy 'secaudit enroll --response {out}'.",
                       f"Enrolled the agent {response['agent_id']} in the unit {response['unit']['code']}; take "
                       f"{out} back to the school and run 'secaudit enroll --response {out}'."))

    run(lang, action)


@collector.group("agents")
def agents() -> None:
    """Máy đã đăng ký / enrolled agents: list | suspend | revoke | activate."""


@agents.command("list")
@db_options
@click.option("--unit", default=None, help="Chỉ cây con của đơn vị này / only this unit's subtree.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def agents_list(data_dir: str | None, db_url: str | None, lang: str | None, unit: str | None, as_json: bool) -> None:
    """Liệt kê máy / list agents."""
    def action(lg: str) -> None:
        from secaudit.collector import agents as ag
        from secaudit.timefmt import FORMAT

        with db_session(data_dir, db_url, write=False) as session:
            rows = ag.listing(session, unit)

        def when(value: Any) -> str | None:
            return value.strftime(FORMAT) if value is not None else None

        if as_json:
            click.echo(json.dumps([{"agent_id": r.agent_id, "unit": r.unit, "status": r.status, "hostname": r.hostname,
                                    "enrolled_at": when(r.enrolled_at), "last_seen": when(r.last_seen),
                                    "last_sequence": r.last_sequence, "keys": r.keys} for r in rows],
                                  ensure_ascii=False, indent=2))
            return
        for r in rows:
            click.echo(f"{r.agent_id}  {r.unit:<12} {r.status:<10} {for_terminal(r.hostname[:40]):<40} "
                       f"{when(r.last_seen) or '-'}  #{r.last_sequence if r.last_sequence is not None else '-'}")
        click.echo(say(lg, f"{len(rows)} máy.", f"{len(rows)} agent(s)."))

    run(lang, action)


def _status_command(name: str, vi: str, en: str) -> None:
    @agents.command(name, help=f"{vi} / {en}")
    @db_options
    @click.argument("agent_id")
    def command(data_dir: str | None, db_url: str | None, lang: str | None, agent_id: str) -> None:
        def action(lg: str) -> None:
            from secaudit.collector import agents as ag

            with db_session(data_dir, db_url, write=True) as session:
                agent = ag.set_status(session, agent_id, name)
                status = agent.status
            click.echo(say(lg, f"Máy {agent_id}: {status}.", f"Agent {agent_id}: {status}."))

        run(lang, action)


_status_command("suspend", "Tạm dừng nhận báo cáo của máy", "stop accepting the agent's reports for now")
_status_command("revoke", "Thu hồi máy vĩnh viễn (báo cáo mới bị từ chối)", "revoke the agent for good")
_status_command("activate", "Nhận lại báo cáo của máy đã tạm dừng", "accept a suspended agent's reports again")


def _register_extensions() -> None:
    """Commands other modules add to the group (secaudit.commands.collector_data: backup, restore, exports;
    secaudit.commands.collector_web: the dashboard's audit log; secaudit.commands.collector_receipts;
    secaudit.commands.collector_quarantine)."""
    for name in ("secaudit.commands.collector_data", "secaudit.commands.collector_web",
                 "secaudit.commands.collector_receipts", "secaudit.commands.collector_quarantine"):
        try:
            module: Any = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(collector)


_register_extensions()

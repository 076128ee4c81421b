"""The report pipeline every command uses (pip-audit's `Auditor`): config -> playbook -> collect ->
evaluate and build -> sign -> write. `audit`, `evaluate`, `backup verify`, `scan` and the remote (SSH)
audit all go through these functions; none of them builds, signs or writes a report itself.

Facts, checks, the report builder and signing are imported when they are used: `secaudit --help`
and the commands that need none of them stay fast.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from secaudit import config as cfg
from secaudit.config import AgentConfig, CheckCatalog
from secaudit.errors import SecauditError
from secaudit.fsutil import create_unique, safe_name, write_error, write_file
from secaudit.i18n import t
from secaudit.report.formats import FORMATS, RenderOptions

if TYPE_CHECKING:
    from secaudit.facts.model import Snapshot
    from secaudit.playbook import Playbook

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
Report = dict[str, Any]


# --- config and playbook -------------------------------------------------------------------------


def check_catalog() -> CheckCatalog:
    """Every check id with its declared parameters: what [params.*] and a playbook's `params:` are
    validated against."""
    from secaudit.checks import load_checks
    from secaudit.checks.params import check_overrides

    return CheckCatalog({cid: check.meta.params for cid, check in load_checks().items()}, check_overrides)


def load_config(path: str | None) -> AgentConfig:
    """The agent config (`--config`, else the default file, else defaults), [params.*] validated
    against the checks (imported only when the file has some)."""
    return cfg.load_config(path, check_catalog)


def load_playbook(ref: str | None, config: AgentConfig) -> Playbook:
    """`ref` (an id or a path), else the config's playbook."""
    from secaudit import playbook as pb

    return pb.load(ref or config.playbook, check_catalog())


# --- collect -------------------------------------------------------------------------------------


def open_transport(root: str | None = None, replay: str | None = None) -> Any:
    """This machine (on Windows: through collect.ps1), a mounted root (`--root`) or a recorded system
    (`--replay`)."""
    if replay:
        from secaudit.transport.replay import ReplayTransport

        return ReplayTransport.load(replay)
    if root:
        from secaudit.transport.base import FactUnavailable
        from secaudit.transport.local import RootTransport

        try:
            return RootTransport(root)
        except FactUnavailable:
            raise SecauditError(
                f"Thư mục gốc {root} không tồn tại.", f"Root directory {root} does not exist."
            ) from None
    from secaudit.transport.windows import machine_transport

    return machine_transport()


def collect(transport: Any, config: AgentConfig, only: set[str] | None = None) -> Snapshot:
    """The fact snapshot of the system behind `transport` (only the named collectors when given)."""
    from secaudit.facts import collect as collect_facts

    return collect_facts(transport, config, only=only)


def load_snapshot(path: str) -> Snapshot:
    """A snapshot written by `secaudit facts`, evaluated as a replay."""
    from secaudit.facts.model import Snapshot

    snapshot = Snapshot.load(path)
    snapshot.mode = "replay"
    return snapshot


def not_a_system(snapshot: Snapshot, where: str, lang: str) -> bool:
    """Say on stderr when the audited root looks like no installed system (an empty directory, a data
    disk): the report is written, every check in it is unknown, and the run exits 2 (a usage error)."""
    host = snapshot.table("host")
    if not isinstance(host, dict) or host.get("looks_like_system") is not False:
        return False
    markers = ", ".join(str(m) for m in host.get("system_markers_checked") or ["/etc/passwd"])
    if snapshot.os_family() == "windows":  # collect.ps1 could not run (or the recording has no probes)
        why = snapshot.why_unknown("host.os")
        detail = str(why["detail"]) if why and why.get("detail") else markers
        click.echo(t("audit.windows_unread", lang, detail=detail), err=True)
        return True
    click.echo(t("audit.not_a_system", lang, root=where, markers=markers), err=True)
    return True


# --- evaluate and build --------------------------------------------------------------------------


def build_report(snapshot: Snapshot, playbook: Playbook, config: AgentConfig, key_dir: str | None = None) -> Report:
    """Evaluate `snapshot` against `playbook` and build the report, with the next sequence number
    and the agent id of the signing key (the machine that signs it, also for a remote host)."""
    from secaudit.report.builder import build
    from secaudit.sign import agent_id_for
    from secaudit.state import next_sequence

    state_agent_id, sequence = next_sequence(config)  # persisted before anything is signed
    try:
        agent_id = agent_id_for(key_dir) or state_agent_id
    except SecauditError:
        agent_id = state_agent_id  # unreadable key dir: signing decides whether that is fatal
    return build(snapshot, playbook, config, agent_id, sequence)


# --- sign and write ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """Where and how a report goes: the options every report-writing command shares."""

    fmt: str = "text"
    path: str | None = None  # -o; None: standard output (a binary format: a file named after the host)
    lang: str = "vi"
    verbose: bool = False  # also list passing checks
    sign: bool | None = None  # None: sign when a key exists
    key_dir: str | None = None


def sign(report: Report, key_dir: str | None, out_dir: str) -> str | None:
    """The DSSE envelope of `report` written into `out_dir`; None without a key. Raises SecauditError."""
    from secaudit.sign import sign_report

    return sign_report(report, key_dir, None, out_dir)


def queue_signed(path: str, config: AgentConfig, lang: str) -> None:
    """A copy of the signed envelope at `path` in the outbox (<state dir>/outbox/) for `secaudit submit`;
    when it cannot be written, one sentence on stderr (the signed report itself is written)."""
    from secaudit.state import queue_envelope

    try:
        queue_envelope(config, Path(path))
    except SecauditError as exc:
        click.echo(exc.text(lang), err=True)


def sign_and_announce(report: Report, out: Output, config: AgentConfig | None = None) -> str | None:
    """Sign when asked, or by default when a key exists; an unreadable key only warns by default.
    With `config`, the envelope is also queued in the outbox. Returns the envelope's path (None: not signed)."""
    if out.sign is False:
        return None
    out_dir = str(Path(out.path).parent) if out.path else "."
    try:
        path = sign(report, out.key_dir, out_dir)
    except SecauditError as exc:
        if out.sign:
            raise
        click.echo(t("sign.skipped", out.lang, reason=exc.text(out.lang)), err=True)
        return None
    if path is None:
        if out.sign:
            raise SecauditError(t("sign.no_key", "vi"), t("sign.no_key", "en"))
        return None
    click.echo(t("sign.written", out.lang, path=path), err=True)
    if config is not None:
        queue_signed(path, config, out.lang)
    return path


def show_summary(report: Report, lang: str, verbose: bool = False) -> None:
    """The terminal summary on standard output."""
    from secaudit.report import terminal

    terminal.render(report, lang, verbose=verbose)


def emit(report: Report, out: Output) -> int:
    """Write the report in `out.fmt` (to `out.path`, else standard output) and show the summary.
    Returns the exit code of the findings: 1 when any failed, else 0."""
    form = FORMATS[out.fmt]
    path = out.path
    if form.terminal and not path:
        show_summary(report, out.lang, out.verbose)
    else:
        data = form.render(report, RenderOptions(lang=out.lang, verbose=out.verbose))
        if form.binary and not path:  # named after the audited host: sanitised, in this directory
            stamp = safe_name(report["generated_at"][:10].replace("-", ""), "")
            path = f"{safe_name(report['host']['hostname'])}-{stamp}{form.suffix}"
        if path and path != "-":
            write_file(path, data)
            if not form.terminal:
                show_summary(report, out.lang, out.verbose)
            click.echo(t("report.written", out.lang, path=path))
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    return EXIT_FAIL if report["summary"]["fail"] else EXIT_OK


def write_new(report: Report, fmt: str, directory: str | Path, stem: str, lang: str = "vi") -> str:
    """Write `report` in `fmt` as `<stem><suffix>` (or stem-2, -3...) in `directory`, atomically, never
    overwriting or following anything there (the reports of remote hosts). Returns the path."""
    form = FORMATS[fmt]
    data = form.render(report, RenderOptions(lang=lang))
    folder = Path(directory)
    try:
        return str(create_unique(folder, safe_name(stem, "host"), form.suffix, data))
    except OSError as exc:
        raise write_error(folder / f"{stem}{form.suffix}", exc) from None


def deliver(snapshot: Snapshot, playbook: Playbook, config: AgentConfig, out: Output) -> int:
    """Build, sign and write: the end of `audit`, `evaluate` and `backup verify`. Returns the exit code."""
    report = build_report(snapshot, playbook, config, out.key_dir)
    sign_and_announce(report, out, config)
    return emit(report, out)

"""`secaudit schedule install | remove | show`: the audit on a schedule (secaudit.agent.schedule does the
work). Every change is printed before it is made; --dry-run prints it only."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path, PurePath

import click

from secaudit import paths, pipeline
from secaudit.agent import schedule as sch
from secaudit.agent.schedule_files import Job
from secaudit.commands.options import F, config_option, lang_option, language
from secaudit.config import AgentConfig
from secaudit.i18n import t
from secaudit.resources import shipped_dir
from secaudit.safetext import for_terminal

ROOT_HELP = "Cài vào thư mục này thay vì máy này / install into this directory (an image, a test) instead."


def _where(fn: F) -> F:
    fn = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None, help=ROOT_HELP)(fn)
    fn = click.option("--backend", type=click.Choice(("auto", *sch.BACKENDS)), default="auto", show_default=True,
                      help="systemd timer, cron.d file or Windows Task Scheduler (auto: what this machine has).")(fn)
    return lang_option(fn)


def _dry_run(fn: F) -> F:
    return click.option("--dry-run", is_flag=True,
                        help="Chỉ in ra, không thay đổi gì / print only, change nothing.")(fn)


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(for_terminal(line))


def _kind(backend: str, root: Path | None) -> str:
    """For remove and show: the Windows task, or the files (systemd and cron alike)."""
    if backend == "task" or (backend == "auto" and paths.is_windows() and root is None):
        if root is not None:
            raise sch.error("schedule.root_windows")
        return "task"
    return "files"


def _job_layout(windows: bool) -> paths.Layout:
    """The places the scheduled run uses: the defaults of a privileged run, whatever this shell's
    SECAUDIT_* variables say (the scheduler does not have them)."""
    keep = {"ProgramData": str(paths.program_data())} if windows else {}
    return paths.layout("nt" if windows else "posix", keep, privileged=True)


def _collector_known(config: AgentConfig) -> bool:
    """Whether the scheduled run has a collector to submit to: [collector] url, or `secaudit enroll` done."""
    if config.collector_url:
        return True
    from secaudit.agent import enroll

    stored = enroll.load(config)
    return bool(stored and stored.get("collector_url"))


def _has_key(places: paths.Layout) -> bool:
    """Whether the scheduled run will find a signing key (an unreadable key folder counts as one: the
    run is privileged)."""
    from secaudit.sign.keys import KeyFileError, has_private_key

    try:
        return has_private_key(paths.local(places.keys))
    except KeyFileError:
        return True


@click.group()
def schedule() -> None:
    """Lịch kiểm tra định kỳ / run the audit on a schedule (systemd, cron, Windows Task Scheduler)."""


@schedule.command("install")
@config_option
@click.option("--playbook", default=None, help="Playbook id or path (default from config); its cadence sets the runs.")
@click.option("--every", default=None, metavar="WHEN", help=f"Run this often instead: {sch.EVERY_HELP}.")
@click.option("--at", "at_text", default="09:30", show_default=True, metavar="HH:MM",
              help="Local time of the runs (school PCs are on in the day; missed runs are caught up).")
@_where
@_dry_run
def schedule_install(config_path: str | None, playbook: str | None, every: str | None, at_text: str,
                     backend: str, root: Path | None, lang: str | None, dry_run: bool) -> None:
    """Cài lịch kiểm tra / install the schedule (replacing any earlier one)."""
    lg = language(lang)
    at = sch.parse_at(at_text)
    config = pipeline.load_config(config_path)
    book = pipeline.load_playbook(playbook, config)
    chosen = backend if backend != "auto" else sch.backend_for(root)
    if chosen == "task" and root is not None:
        raise sch.error("schedule.root_windows")
    if not dry_run and root is None and (chosen == "task") != paths.is_windows():
        raise sch.error("schedule.wrong_os", backend={"task": "Task Scheduler"}.get(chosen, chosen))
    today = date.today()
    if every:
        runs = sch.parse_every(every, at)
        why = t("schedule.from_every", lg, every=every)
    else:
        runs = sch.runs_from_cadence(book.cadence, book.id, today, at)
        why = t("schedule.from_playbook", lg, playbook=book.id, days=sch.LEAD_DAYS,
                due=f"{book.cadence.get('kind')}: {', '.join(book.cadence.get('due', []))}")
    shipped = Path(book.path).resolve().parent == shipped_dir("playbooks").resolve()
    places = _job_layout(chosen == "task")
    if config.state_dir and chosen != "task":  # the config's state folder holds the reports too
        places = dataclasses.replace(places, state=PurePath(config.state_dir),
                                     reports=PurePath(config.state_dir) / "reports")
    config_arg = str(Path(config_path).resolve()) if config_path else None
    commands = sch.job_commands(sch.program(), book.id if shipped else str(Path(book.path).resolve()),
                                places.reports, config_arg, submit=_collector_known(config))
    job = Job(commands=commands, runs=runs, description=f"secaudit: security compliance audit ({book.id})",
              workdir=str(places.base) if chosen == "task" else "")
    steps = sch.install_steps(chosen, job, root, today)
    _echo([t("schedule.will_install", lg, backend=chosen, runs="; ".join(r.describe() for r in runs)), why,
           *sch.describe(steps, lg)])
    if root is None and not _has_key(places):
        click.echo(for_terminal(t("schedule.no_key", lg, path=places.keys)), err=True)
    if dry_run:
        click.echo(t("schedule.dry_run", lg))
        return
    sch.need_admin(root)
    sch.apply(steps)
    click.echo(for_terminal(t("schedule.installed", lg, reports=places.reports)))


@schedule.command("remove")
@_where
@_dry_run
def schedule_remove(backend: str, root: Path | None, lang: str | None, dry_run: bool) -> None:
    """Gỡ lịch kiểm tra / remove the schedule, leaving nothing of it behind (reports and keys stay)."""
    lg = language(lang)
    kind = _kind(backend, root)
    if kind == "task":
        steps = sch.remove_steps("task") if sch.show("task") else []
    else:
        steps = sch.remove_steps("systemd", root)
    if not steps:
        click.echo(t("schedule.nothing", lg))
        return
    _echo([t("schedule.will_remove", lg), *sch.describe(steps, lg)])
    if dry_run:
        click.echo(t("schedule.dry_run", lg))
        return
    sch.need_admin(root)
    sch.apply(steps)
    click.echo(t("schedule.removed", lg))


@schedule.command("show")
@_where
def schedule_show(backend: str, root: Path | None, lang: str | None) -> None:
    """Xem lịch đã cài / show the installed schedule."""
    lg = language(lang)
    found = sch.show("task" if _kind(backend, root) == "task" else "systemd", root)
    if not found:
        click.echo(t("schedule.nothing", lg))
        return
    for title, text in found:
        _echo([f"== {title}", *text.rstrip("\n").splitlines()])

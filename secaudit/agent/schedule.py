"""`secaudit schedule`: run the audit on a schedule, with what the machine has for that: a systemd timer
(Linux booted with systemd), a cron.d file (Linux without systemd), a Task Scheduler task running as
SYSTEM (Windows, registered with `schtasks /Create /XML`).

When: the playbook's cadence (a run `LEAD_DAYS` before each due date, so the report is there in time and
findings can still be fixed) or `--every` (1h..12h, daily, weekly, monthly). What: `secaudit audit` with
the playbook fixed at install time, the report in the reports folder (the signed envelope beside it and
in the outbox), then `secaudit submit` when the config names a collector.

Every change is a `Step`, listed before anything is done (`describe`), then applied in order (`apply`).
`remove` undoes every kind of schedule it finds, so nothing is left: unit files, the enabling link, the
timer's catch-up stamp, the cron file, the task. Reports, state, keys and config are data and stay.
`root` installs into a directory instead of this system (an image, or a test): files only, nothing run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePath
from typing import Any

from secaudit import paths
from secaudit.agent.schedule_files import (
    CRON_FILE,
    NAME,
    Job,
    Run,
    cron_file,
    systemd_service,
    systemd_timer,
    task_xml,
    task_xml_bytes,
)
from secaudit.errors import SecauditError
from secaudit.i18n import t

BACKENDS = ("systemd", "cron", "task")
LEAD_DAYS = 7
EVERY_HELP = "1h, 2h, 3h, 4h, 6h, 8h, 12h, daily (1d), weekly (7d), monthly"
UNIT_DIR = "etc/systemd/system"
STAMP = f"var/lib/systemd/timers/stamp-{NAME}.timer"
CRON_DIR = "etc/cron.d"
Runner = Callable[[Sequence[str]], "Completed"]


class ScheduleError(SecauditError):
    pass


def error(key: str, **args: Any) -> ScheduleError:
    return ScheduleError(t(key, "vi", **args), t(key, "en", **args))


# --- when --------------------------------------------------------------------------------------


def parse_at(text: str) -> tuple[int, int]:
    hour, sep, minute = text.partition(":")
    if sep and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2:
        return int(hour), int(minute)
    raise error("schedule.bad_at", value=text)


def parse_every(text: str, at: tuple[int, int] = (9, 30)) -> tuple[Run, ...]:
    value = text.strip().lower()
    hour, minute = at
    named = {"daily": "day", "1d": "day", "weekly": "week", "7d": "week", "1w": "week", "monthly": "month"}
    if value in named:
        every = named[value]
        return (Run(every, day=1 if every == "month" else 0, hour=hour, minute=minute),)
    if value.endswith("h") and value[:-1].isdigit() and int(value[:-1]) in (1, 2, 3, 4, 6, 8, 12):
        return (Run("hours", hours=int(value[:-1]), hour=0, minute=minute),)
    raise error("schedule.bad_every", value=text, allowed=EVERY_HELP)


def _before(due: str, today: date) -> tuple[str, date]:
    """('year', the run date in a template year) for MM-DD; ('once', the run date) for YYYY-MM-DD."""
    if len(due) == 5:
        month, day = int(due[:2]), int(due[3:])
        template = date(2000 if (month, day) == (2, 29) else 2001, month, day)  # 2001: not a leap year
        return "year", template - timedelta(days=LEAD_DAYS)
    return "once", date.fromisoformat(due) - timedelta(days=LEAD_DAYS)


def runs_from_cadence(cadence: Mapping[str, Any], playbook_id: str, today: date,
                      at: tuple[int, int] = (9, 30)) -> tuple[Run, ...]:
    """A run LEAD_DAYS before each due date of the playbook's cadence (one-off dates already past are
    dropped); a monthly cadence without due dates runs on the 1st."""
    hour, minute = at
    if not cadence:
        raise error("schedule.no_cadence", playbook=playbook_id)
    due = list(cadence.get("due") or [])
    if not due:
        if cadence.get("kind") == "monthly":
            return (Run("month", day=1, hour=hour, minute=minute),)
        raise error("schedule.no_due", playbook=playbook_id, kind=cadence.get("kind", "?"))
    runs: set[Run] = set()
    for day in due:
        every, when = _before(str(day), today)
        if every == "year":
            runs.add(Run("year", month=when.month, day=when.day, hour=hour, minute=minute))
        elif when >= today:
            runs.add(Run("once", year=when.year, month=when.month, day=when.day, hour=hour, minute=minute))
    if not runs:
        raise error("schedule.all_past", playbook=playbook_id)
    return tuple(sorted(runs))


# --- what --------------------------------------------------------------------------------------


def program() -> tuple[str, ...]:
    """How to start secaudit from a schedule: this interpreter with `-m secaudit` (the same install the
    command runs from), or the frozen executable itself."""
    if getattr(sys, "frozen", False):
        return (sys.executable,)
    return (sys.executable, "-m", "secaudit")


def job_commands(prog: Sequence[str], playbook: str, reports: PurePath, config: str | None = None,
                 submit: bool = False) -> tuple[tuple[str, ...], ...]:
    """The audit (its HTML report as `last-report.html` in `reports`, the signed envelope beside it and
    in the outbox when a key exists), then `submit` when a collector is configured."""
    for value in (*prog, playbook, str(reports), config or ""):
        if any(ord(c) < 32 or ord(c) == 127 for c in value):  # a line break would end the unit's or cron's line
            raise error("schedule.bad_path", path=value.encode("unicode_escape").decode("ascii"))
    conf = ("--config", config) if config else ()
    audit = (*prog, "audit", *conf, "--playbook", playbook, "--format", "html",
             "-o", str(reports / "last-report.html"))
    return (audit, (*prog, "submit", *conf)) if submit else (audit,)


# --- where -------------------------------------------------------------------------------------


def _has_cron_daemon() -> bool:
    return any(shutil.which(name) for name in ("cron", "crond")) or any(
        Path(p).exists() for p in ("/usr/sbin/cron", "/usr/sbin/crond", "/sbin/crond"))


def backend_for(root: Path | None, os_name: str | None = None) -> str:
    """What runs the schedule here: Windows: task; a system booted with systemd: systemd; else cron
    (a cron daemon and /etc/cron.d needed). Under `root`: systemd when it has /etc/systemd/system."""
    if paths.is_windows(os_name):
        if root is not None:
            raise error("schedule.root_windows")
        return "task"
    if root is not None:
        if (root / UNIT_DIR).is_dir():
            return "systemd"
        if (root / CRON_DIR).is_dir():
            return "cron"
        raise error("schedule.no_scheduler_root", root=root)
    if Path("/run/systemd/system").is_dir():
        return "systemd"
    if Path("/" + CRON_DIR).is_dir() and _has_cron_daemon():
        return "cron"
    raise error("schedule.no_scheduler")


@dataclass(frozen=True)
class Step:
    """One change: make a folder (kept by `remove`: it holds data), write a file (`text`), link `path`
    -> `target`, delete a file or an emptied folder, run a command (`argv`; `optional`: its failure is
    ignored), or register the Windows task (`text`)."""

    kind: str  # mkdir | write | link | delete | rmdir | run | task
    path: Path | None = None
    text: str = ""
    target: str = ""
    argv: tuple[str, ...] = ()
    optional: bool = False


def _under(root: Path | None, rel: str) -> Path:
    return (root or Path("/")) / rel


def _systemd_paths(root: Path | None) -> dict[str, Path]:
    units = _under(root, UNIT_DIR)
    return {"service": units / f"{NAME}.service", "timer": units / f"{NAME}.timer",
            "wants": units / "timers.target.wants" / f"{NAME}.timer", "stamp": _under(root, STAMP)}


def _cron_path(root: Path | None) -> Path:
    return _under(root, CRON_DIR) / CRON_FILE


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _systemctl(*args: str, optional: bool = False) -> Step:
    return Step("run", argv=("systemctl", *args), optional=optional)


def _remove_systemd(root: Path | None, live: bool) -> list[Step]:
    p = _systemd_paths(root)
    if not any(_exists(path) for path in p.values()):
        return []
    steps: list[Step] = []
    if live:
        steps += [_systemctl("disable", "--now", f"{NAME}.timer", optional=True),
                  _systemctl("stop", f"{NAME}.service", optional=True)]
    steps += [Step("delete", path=p[key]) for key in ("wants", "timer", "service", "stamp")]
    if root is not None:
        steps.append(Step("rmdir", path=p["wants"].parent))  # only when we emptied it
    if live:
        steps += [_systemctl("daemon-reload"),
                  _systemctl("reset-failed", f"{NAME}.service", f"{NAME}.timer", optional=True)]
    return steps


def _systemd_live(root: Path | None) -> bool:
    return root is None and Path("/run/systemd/system").is_dir()


def remove_steps(backend: str, root: Path | None = None) -> list[Step]:
    """What removing every schedule of this system takes (an empty list: nothing is installed; the
    Windows task is always asked to go, since only Task Scheduler knows whether it is there)."""
    if backend == "task":
        return [Step("run", argv=("schtasks", "/Delete", "/TN", NAME, "/F"))]
    steps = _remove_systemd(root, _systemd_live(root))
    if _exists(_cron_path(root)):
        steps.append(Step("delete", path=_cron_path(root)))
    return steps


def install_steps(backend: str, job: Job, root: Path | None = None, today: date | None = None,
                  environ: Mapping[str, str] | None = None) -> list[Step]:
    """Remove what is there, then write and enable the new schedule."""
    if backend == "task":
        base = paths.layout("nt", environ).base
        return [Step("mkdir", path=Path(str(base))), Step("run", argv=tuple(paths.acl_command(base))),
                Step("task", text=task_xml(job, today or date.today()))]
    if backend == "cron":  # a systemd schedule from before goes first
        return [*_remove_systemd(root, _systemd_live(root)), Step("write", path=_cron_path(root), text=cron_file(job))]
    p = _systemd_paths(root)
    steps = [Step("delete", path=_cron_path(root))] if _exists(_cron_path(root)) else []
    steps += [Step("write", path=p["service"], text=systemd_service(job)),
              Step("write", path=p["timer"], text=systemd_timer(job))]
    if root is not None or not _systemd_live(root):  # what `systemctl enable` does for this unit
        return [*steps, Step("link", path=p["wants"], target=f"/{UNIT_DIR}/{NAME}.timer")]
    return [*steps, _systemctl("daemon-reload"), _systemctl("enable", f"{NAME}.timer"),
            _systemctl("restart", f"{NAME}.timer")]


# --- doing it ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str = ""
    stderr: str = ""


def run_command(argv: Sequence[str]) -> Completed:
    """Run a system tool (systemctl, schtasks, icacls) with a time limit; output decoded leniently
    (schtasks prints in the console code page)."""
    try:
        done = subprocess.run(list(argv), capture_output=True, timeout=120, check=False)
    except FileNotFoundError:
        return Completed(127, "", f"{argv[0]}: not found")
    except subprocess.TimeoutExpired:
        return Completed(124, "", f"{argv[0]}: timed out")
    return Completed(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def _first_line(result: Completed) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[0].strip().rstrip(".") if lines else f"exit {result.returncode}"


def _run(argv: Sequence[str], runner: Runner, optional: bool) -> None:
    result = runner(argv)
    if result.returncode != 0 and not optional:
        raise error("schedule.command_failed", command=" ".join(argv), reason=_first_line(result))


def _register_task(xml: str, runner: Runner) -> None:
    """Write the task XML to a temporary file, register it, delete the file (also when it fails)."""
    handle, name = tempfile.mkstemp(prefix="secaudit-task-", suffix=".xml")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(task_xml_bytes(xml))
        _run(("schtasks", "/Create", "/TN", NAME, "/XML", name, "/F"), runner, False)
    finally:
        Path(name).unlink(missing_ok=True)


def apply(steps: Sequence[Step], runner: Runner = run_command) -> None:
    from secaudit.fsutil import replace

    for step in steps:
        try:
            if step.kind == "write" and step.path is not None:
                replace(step.path, step.text.encode("utf-8"), 0o644, exact=True)
            elif step.kind == "mkdir" and step.path is not None:
                step.path.mkdir(parents=True, exist_ok=True)
            elif step.kind == "link" and step.path is not None:
                step.path.parent.mkdir(parents=True, exist_ok=True)
                if _exists(step.path):
                    step.path.unlink()
                step.path.symlink_to(step.target)
            elif step.kind == "delete" and step.path is not None:
                step.path.unlink(missing_ok=True)
            elif step.kind == "rmdir" and step.path is not None:
                if step.path.is_dir() and not any(step.path.iterdir()):
                    step.path.rmdir()
            elif step.kind == "run":
                _run(step.argv, runner, step.optional)
            elif step.kind == "task":
                _register_task(step.text, runner)
        except OSError as exc:
            raise error("schedule.write_failed", path=step.path, reason=exc.strerror or str(exc)) from None


def describe(steps: Sequence[Step], lang: str) -> list[str]:
    """The steps as lines for a person to read before they are done (files with their content)."""
    out: list[str] = []
    for step in steps:
        if step.kind == "write":
            out.append(t("schedule.step_write", lang, path=step.path))
            out += [f"    {line}" for line in step.text.splitlines()]
        elif step.kind == "mkdir":
            out.append(t("schedule.step_mkdir", lang, path=step.path))
        elif step.kind == "link":
            out.append(t("schedule.step_link", lang, path=step.path, target=step.target))
        elif step.kind == "delete":
            out.append(t("schedule.step_delete", lang, path=step.path))
        elif step.kind == "rmdir":
            out.append(t("schedule.step_rmdir", lang, path=step.path))
        elif step.kind == "run":
            out.append(t("schedule.step_run", lang, command=" ".join(step.argv)))
        elif step.kind == "task":
            out.append(t("schedule.step_task", lang, command=f"schtasks /Create /TN {NAME} /XML <tmp.xml> /F"))
            out += [f"    {line}" for line in step.text.splitlines()]
    return out


def show(backend: str, root: Path | None = None, runner: Runner = run_command) -> list[tuple[str, str]]:
    """What is installed now: (title, text) pairs; empty when there is no schedule."""
    if backend == "task":
        result = runner(("schtasks", "/Query", "/TN", NAME, "/XML"))
        return [(f"Task Scheduler: \\{NAME}", result.stdout)] if result.returncode == 0 else []
    found: list[tuple[str, str]] = []
    p = _systemd_paths(root)
    for key in ("service", "timer"):
        if p[key].is_file():
            found.append((str(p[key]), p[key].read_text(encoding="utf-8", errors="replace")))
    if _exists(p["wants"]):
        found.append((str(p["wants"]), f"-> {os.readlink(p['wants'])}"))
    if _systemd_live(root) and found:
        result = runner(("systemctl", "list-timers", f"{NAME}.timer", "--all", "--no-pager"))
        if result.returncode == 0:
            found.append(("systemctl list-timers", result.stdout))
    if _cron_path(root).is_file():
        found.append((str(_cron_path(root)), _cron_path(root).read_text(encoding="utf-8", errors="replace")))
    return found


def need_admin(root: Path | None, os_name: str | None = None) -> None:
    """Installing for the whole system takes root (Linux); Windows says so itself (schtasks refuses)."""
    geteuid = getattr(os, "geteuid", None)
    if root is None and not paths.is_windows(os_name) and geteuid is not None and geteuid() != 0:
        raise error("schedule.need_root")

"""What `secaudit schedule install` writes, as text: a systemd service and timer, a cron.d file, or a
Task Scheduler task (XML, run as SYSTEM). Pure functions of a `Job`; secaudit.agent.schedule decides
where they go and runs the commands.

Every format says the same thing: run the job's commands, one after the other, at each `Run`; catch up
after the machine was off (systemd `Persistent=`, Task Scheduler `StartWhenAvailable`; cron cannot),
and spread the start over `DELAY_MINUTES` so a whole school's PCs do not reach the collector at once."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

NAME = "secaudit-audit"  # systemd units secaudit-audit.{service,timer}; the Windows task \secaudit-audit
CRON_FILE = "secaudit"  # /etc/cron.d/secaudit (no dot: cron skips such names)
DELAY_MINUTES = 30
TIME_LIMIT_HOURS = 2
TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HEADER = "Installed by `secaudit schedule install`; `secaudit schedule remove` deletes it."


@dataclass(frozen=True, order=True)
class Run:
    """When the job starts: every `hours` hours, every day, every week (Monday), every month (`day`),
    every year (`month`-`day`), or `once` (`year`-`month`-`day`); at `hour`:`minute` local time (for
    `hours`: at `minute` past the hours 0, N, 2N...)."""

    every: str  # hours | day | week | month | year | once
    year: int = 0
    month: int = 0
    day: int = 0
    hours: int = 0
    hour: int = 9
    minute: int = 30

    def describe(self) -> str:
        at = f"{self.hour:02d}:{self.minute:02d}"
        return {
            "hours": f"every {self.hours} h (at :{self.minute:02d})",
            "day": f"daily {at}",
            "week": f"Mondays {at}",
            "month": f"monthly, day {self.day}, {at}",
            "year": f"yearly {self.month:02d}-{self.day:02d} {at}",
            "once": f"once {self.year:04d}-{self.month:02d}-{self.day:02d} {at}",
        }[self.every]


@dataclass(frozen=True)
class Job:
    """The commands one scheduled run executes in order (argv lists; the first is the audit), and when."""

    commands: tuple[tuple[str, ...], ...]
    runs: tuple[Run, ...]
    description: str = "secaudit: security compliance audit"
    workdir: str = ""


# --- systemd -----------------------------------------------------------------------------------


def _systemd_word(arg: str) -> str:
    """One argument of an Exec line: specifiers (%) and variables ($) kept literal, quoted when needed."""
    text = arg.replace("%", "%%").replace("$", "$$")
    if text and not any(c in text for c in ' \t"\'\\;'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def on_calendar(run: Run) -> str:
    at = f"{run.hour:02d}:{run.minute:02d}:00"
    return {
        "hours": f"*-*-* 00/{run.hours}:{run.minute:02d}:00",
        "day": f"*-*-* {at}",
        "week": f"Mon *-*-* {at}",
        "month": f"*-*-{run.day:02d} {at}",
        "year": f"*-{run.month:02d}-{run.day:02d} {at}",
        "once": f"{run.year:04d}-{run.month:02d}-{run.day:02d} {at}",
    }[run.every]


def systemd_service(job: Job) -> str:
    lines = [f"# {HEADER}", "[Unit]", f"Description={job.description}",
             "Wants=network-online.target", "After=network-online.target", "",
             "[Service]", "Type=oneshot"]
    lines += ["ExecStart=" + " ".join(_systemd_word(a) for a in command) for command in job.commands]
    lines += [
        "# exit 1 means the audit found a failed requirement: the run itself succeeded",
        "SuccessExitStatus=1",
        "UMask=0077",
        "Nice=10",
        "IOSchedulingClass=idle",
        f"TimeoutStartSec={TIME_LIMIT_HOURS}h",
    ]
    if job.workdir:
        lines.append(f"WorkingDirectory={_systemd_word(job.workdir)}")
    return "\n".join(lines) + "\n"


def systemd_timer(job: Job) -> str:
    lines = [f"# {HEADER}", "[Unit]", f"Description={job.description} (schedule)", "", "[Timer]"]
    lines += [f"OnCalendar={on_calendar(run)}" for run in job.runs]
    lines += ["Persistent=true", f"RandomizedDelaySec={DELAY_MINUTES}min", f"Unit={NAME}.service", "",
              "[Install]", "WantedBy=timers.target"]
    return "\n".join(lines) + "\n"


# --- cron --------------------------------------------------------------------------------------


def cron_fields(run: Run) -> str:
    return {
        "hours": f"{run.minute} */{run.hours} * * *",
        "day": f"{run.minute} {run.hour} * * *",
        "week": f"{run.minute} {run.hour} * * 1",
        "month": f"{run.minute} {run.hour} {run.day} * *",
        "year": f"{run.minute} {run.hour} {run.day} {run.month} *",
        "once": f"{run.minute} {run.hour} {run.day} {run.month} *",
    }[run.every]


def cron_file(job: Job) -> str:
    """A /etc/cron.d file (with the user field: root). Output goes to syslog (logger -t secaudit); a
    one-off date runs only in its year. `%` is escaped (cron turns it into a newline)."""
    script = "; ".join(shlex.join(command) for command in job.commands)
    body = f"umask 077; {{ {script}; }} 2>&1 | logger -t secaudit".replace("%", "\\%")
    lines = [f"# {HEADER}", "# cron runs nothing that was missed while the machine was off.",
             "SHELL=/bin/sh", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    for run in job.runs:
        guard = f'[ "$(date +\\%Y)" = {run.year:04d} ] && ' if run.every == "once" else ""
        lines.append(f"{cron_fields(run)} root {guard}{body}")
    return "\n".join(lines) + "\n"


# --- Windows Task Scheduler --------------------------------------------------------------------


def _el(name: str, text: str | int, indent: int) -> str:
    return f"{'  ' * indent}<{name}>{escape(str(text))}</{name}>"


def _windows_args(args: tuple[str, ...]) -> str:
    """Arguments as one command line the way the C runtime splits it (subprocess.list2cmdline)."""
    import subprocess

    return subprocess.list2cmdline(list(args))


def _trigger(run: Run, today: date) -> list[str]:
    delay = _el("RandomDelay", f"PT{DELAY_MINUTES}M", 3)
    if run.every == "once":
        start = f"{run.year:04d}-{run.month:02d}-{run.day:02d}T{run.hour:02d}:{run.minute:02d}:00"
        return ["    <TimeTrigger>", _el("Enabled", "true", 3), _el("StartBoundary", start, 3), delay,
                "    </TimeTrigger>"]
    hour = 0 if run.every == "hours" else run.hour
    start = f"{today.isoformat()}T{hour:02d}:{run.minute:02d}:00"
    out = ["    <CalendarTrigger>", _el("Enabled", "true", 3), _el("StartBoundary", start, 3)]
    if run.every == "hours":
        out += ["      <Repetition>", _el("Interval", f"PT{run.hours}H", 4), _el("Duration", "P1D", 4),
                "      </Repetition>"]
    out.append(delay)
    if run.every in ("hours", "day"):
        out += ["      <ScheduleByDay>", _el("DaysInterval", 1, 4), "      </ScheduleByDay>"]
    elif run.every == "week":
        out += ["      <ScheduleByWeek>", _el("WeeksInterval", 1, 4), "        <DaysOfWeek>",
                f"          <{WEEKDAYS[0]} />", "        </DaysOfWeek>", "      </ScheduleByWeek>"]
    else:
        months = MONTHS if run.every == "month" else (MONTHS[run.month - 1],)
        out += ["      <ScheduleByMonth>", "        <DaysOfMonth>", _el("Day", run.day, 5), "        </DaysOfMonth>",
                "        <Months>", *(f"          <{m} />" for m in months), "        </Months>",
                "      </ScheduleByMonth>"]
    return [*out, "    </CalendarTrigger>"]


def task_xml(job: Job, today: date) -> str:
    """The task definition (Task Scheduler schema 1.2): SYSTEM (S-1-5-18) with the highest privileges,
    no stored password, not run twice at once, started late when the PC was off at the time, stopped
    after TIME_LIMIT_HOURS. `schtasks /Create /XML` reads it as UTF-16 (see `task_xml_bytes`)."""
    lines = ['<?xml version="1.0" encoding="UTF-16"?>', f'<Task version="1.2" xmlns="{TASK_NS}">',
             "  <RegistrationInfo>", _el("Author", "secaudit", 2),
             _el("Description", f"{job.description}. {HEADER}", 2),
             _el("URI", f"\\{NAME}", 2), "  </RegistrationInfo>", "  <Triggers>"]
    for run in job.runs:
        lines += _trigger(run, today)
    lines += ["  </Triggers>", "  <Principals>", '    <Principal id="Author">', _el("UserId", "S-1-5-18", 3),
              _el("RunLevel", "HighestAvailable", 3), "    </Principal>", "  </Principals>", "  <Settings>",
              _el("MultipleInstancesPolicy", "IgnoreNew", 2), _el("DisallowStartIfOnBatteries", "false", 2),
              _el("StopIfGoingOnBatteries", "false", 2), _el("AllowHardTerminate", "true", 2),
              _el("StartWhenAvailable", "true", 2), _el("RunOnlyIfNetworkAvailable", "false", 2),
              "    <IdleSettings>", _el("StopOnIdleEnd", "false", 3), _el("RestartOnIdle", "false", 3),
              "    </IdleSettings>", _el("AllowStartOnDemand", "true", 2), _el("Enabled", "true", 2),
              _el("Hidden", "false", 2), _el("RunOnlyIfIdle", "false", 2), _el("WakeToRun", "false", 2),
              _el("ExecutionTimeLimit", f"PT{TIME_LIMIT_HOURS}H", 2), _el("Priority", 7, 2), "  </Settings>",
              '  <Actions Context="Author">']
    for command in job.commands:
        lines += ["    <Exec>", _el("Command", command[0], 3)]
        if len(command) > 1:
            lines.append(_el("Arguments", _windows_args(command[1:]), 3))
        if job.workdir:
            lines.append(_el("WorkingDirectory", job.workdir, 3))
        lines.append("    </Exec>")
    return "\n".join([*lines, "  </Actions>", "</Task>"]) + "\n"


def task_xml_bytes(text: str) -> bytes:
    """UTF-16 little-endian with its byte-order mark and CRLF lines, as Task Scheduler exports tasks."""
    return b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")

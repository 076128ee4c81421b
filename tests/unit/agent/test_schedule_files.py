"""secaudit.agent.schedule_files: the systemd units, the cron file and the Windows task XML as text.
The task XML is validated by structure against the Task Scheduler schema 1.2 (element order of the
trigger sequences, allowed children, the SYSTEM principal, no stored password); Windows itself never
read it here."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from secaudit.agent.schedule_files import (
    MONTHS,
    NAME,
    TASK_NS,
    WEEKDAYS,
    Job,
    Run,
    cron_fields,
    cron_file,
    on_calendar,
    systemd_service,
    systemd_timer,
    task_xml,
    task_xml_bytes,
)

NS = {"t": TASK_NS}
AUDIT = ("/usr/bin/python3", "-m", "secaudit", "audit", "--playbook", "dong-nai-2026", "--format", "html",
         "-o", "/var/lib/secaudit/reports/last-report.html")
SUBMIT = ("/usr/bin/python3", "-m", "secaudit", "submit")
EVERY_KIND = (Run("hours", hours=6, hour=0, minute=15), Run("day"), Run("week"), Run("month", day=1),
              Run("year", month=6, day=8), Run("once", year=2027, month=3, day=18))
WIN_AUDIT = (r"C:\Program Files\Python311\python.exe", "-m", "secaudit", "audit", "--playbook", "dak-lak-2026",
             "-o", r"C:\ProgramData\secaudit\reports\last-report.html", "--config", r"C:\Dữ liệu\secaudit.toml")


def job(*runs: Run, commands: tuple[tuple[str, ...], ...] = (AUDIT,), workdir: str = "") -> Job:
    return Job(commands=commands, runs=runs or (Run("year", month=6, day=8),), workdir=workdir)


# --- systemd ---------------------------------------------------------------------------------------


def test_on_calendar_for_each_kind_of_run() -> None:
    assert [on_calendar(r) for r in EVERY_KIND] == [
        "*-*-* 00/6:15:00", "*-*-* 09:30:00", "Mon *-*-* 09:30:00", "*-*-01 09:30:00", "*-06-08 09:30:00",
        "2027-03-18 09:30:00"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_every_calendar_expression() -> None:
    for run in EVERY_KIND:
        done = subprocess.run(["systemd-analyze", "calendar", on_calendar(run)], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr


def test_the_service_runs_each_command_in_order_and_accepts_exit_1() -> None:
    text = systemd_service(job(commands=(AUDIT, SUBMIT)))
    execs = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert execs == ["ExecStart=" + " ".join(AUDIT), "ExecStart=" + " ".join(SUBMIT)]
    assert "Type=oneshot" in text and "SuccessExitStatus=1" in text and "UMask=0077" in text


def test_exec_arguments_keep_spaces_percent_and_dollar_literal() -> None:
    text = systemd_service(job(commands=(("/opt/sec audit/bin/python", "-o", "/srv/100%/r$x.html"),)))
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    assert line == 'ExecStart="/opt/sec audit/bin/python" -o /srv/100%%/r$$x.html'


def test_the_timer_catches_up_spreads_and_is_wanted_by_timers_target() -> None:
    text = systemd_timer(job(Run("year", month=3, day=18), Run("year", month=6, day=18)))
    assert re.findall(r"^OnCalendar=(.*)$", text, re.M) == ["*-03-18 09:30:00", "*-06-18 09:30:00"]
    assert "Persistent=true" in text and "RandomizedDelaySec=30min" in text
    assert f"Unit={NAME}.service" in text and "WantedBy=timers.target" in text


# --- cron ------------------------------------------------------------------------------------------


def test_cron_fields_for_each_kind_of_run() -> None:
    assert [cron_fields(r) for r in EVERY_KIND] == [
        "15 */6 * * *", "30 9 * * *", "30 9 * * 1", "30 9 1 * *", "30 9 8 6 *", "30 9 18 3 *"]


def test_cron_file_lines_are_root_jobs_with_percent_escaped_and_valid_shell() -> None:
    commands = ((*AUDIT[:-1], "/srv/100%/last.html"), SUBMIT)
    text = cron_file(job(*EVERY_KIND, commands=commands))
    assert text.endswith("\n")  # cron ignores a last line without one
    lines = [x for x in text.splitlines() if x and not x.startswith("#") and "=" not in x.split()[0]]
    assert len(lines) == len(EVERY_KIND)
    for line in lines:
        fields = line.split(None, 6)
        assert fields[5] == "root"
        command = fields[6]
        assert re.search(r"(?<!\\)%", command) is None  # a bare % would end the command in cron
        unescaped = command.replace("\\%", "%")
        assert subprocess.run(["sh", "-n", "-c", unescaped], timeout=30).returncode == 0
        assert shlex.join(SUBMIT) in unescaped and "logger -t secaudit" in unescaped
    once = lines[-1]
    assert once.startswith("30 9 18 3 * root ") and '[ "$(date +\\%Y)" = 2027 ] && ' in once


# --- Windows Task Scheduler -----------------------------------------------------------------------

TASK_CHILDREN = {"RegistrationInfo", "Triggers", "Settings", "Data", "Principals", "Actions"}
SETTINGS = {"AllowStartOnDemand", "RestartOnFailure", "MultipleInstancesPolicy", "DisallowStartIfOnBatteries",
            "StopIfGoingOnBatteries", "AllowHardTerminate", "StartWhenAvailable", "NetworkProfileName",
            "RunOnlyIfNetworkAvailable", "WakeToRun", "Enabled", "Hidden", "DeleteExpiredTaskAfter",
            "IdleSettings", "NetworkSettings", "ExecutionTimeLimit", "Priority", "RunOnlyIfIdle",
            "UseUnifiedSchedulingEngine", "DisallowStartOnRemoteAppSession", "MaintenanceSettings", "Volatile"}
TRIGGER_BASE = ["Enabled", "StartBoundary", "EndBoundary", "Repetition", "ExecutionTimeLimit"]
SCHEDULES = {"ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth", "ScheduleByMonthDayOfWeek"}
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def kids(el: ET.Element | None, path: str = "") -> list[ET.Element]:
    """The children of `el` (or of its descendant at `path`); none when it is missing."""
    found = el.find(path, NS) if el is not None and path else el
    return list(found) if found is not None else []


def local(el: ET.Element) -> str:
    return el.tag.split("}", 1)[1]


def parse(xml: bytes) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == f"{{{TASK_NS}}}Task" and root.get("version") == "1.2"
    for el in root.iter():
        assert el.tag.startswith(f"{{{TASK_NS}}}"), el.tag  # nothing outside the task namespace
    return root


def check_order(names: list[str], sequence: list[str]) -> None:
    positions = [sequence.index(n) for n in names]
    assert positions == sorted(positions), names


def check_trigger(trigger: ET.Element) -> None:
    names = [local(c) for c in trigger]
    if local(trigger) == "TimeTrigger":
        check_order(names, [*TRIGGER_BASE, "RandomDelay"])
    else:
        assert local(trigger) == "CalendarTrigger"
        assert len([n for n in names if n in SCHEDULES]) == 1 and names[-1] in SCHEDULES
        check_order(names[:-1], [*TRIGGER_BASE, "RandomDelay"])
    start = trigger.findtext("t:StartBoundary", namespaces=NS) or ""
    assert LOCAL_TIME.match(start), start  # local time: no zone, so 09:30 is the PC's 09:30
    assert DURATION.match(trigger.findtext("t:RandomDelay", namespaces=NS) or "")
    rep = trigger.find("t:Repetition", NS)
    if rep is not None:
        assert {local(c) for c in rep} <= {"Interval", "Duration", "StopAtDurationEnd"}
        assert all(DURATION.match(c.text or "") for c in rep if local(c) != "StopAtDurationEnd")
    month = trigger.find("t:ScheduleByMonth", NS)
    if month is not None:
        assert [local(c) for c in month] == ["DaysOfMonth", "Months"]
        days = [int(d.text or 0) for d in kids(month, "t:DaysOfMonth")]
        assert days and all(1 <= d <= 31 for d in days)
        assert {local(m) for m in kids(month, "t:Months")} <= set(MONTHS)
    week = trigger.find("t:ScheduleByWeek", NS)
    if week is not None:
        assert {local(d) for d in kids(week, "t:DaysOfWeek")} <= set(WEEKDAYS)


def check_task(xml: bytes) -> ET.Element:
    root = parse(xml)
    assert {local(c) for c in root} <= TASK_CHILDREN
    for name in ("RegistrationInfo", "Triggers", "Settings", "Principals", "Actions"):
        assert root.find(f"t:{name}", NS) is not None, name
    principals = root.findall("t:Principals/t:Principal", NS)
    assert len(principals) == 1
    principal = principals[0]
    assert principal.findtext("t:UserId", namespaces=NS) == "S-1-5-18"  # LocalSystem, by SID
    assert principal.findtext("t:RunLevel", namespaces=NS) == "HighestAvailable"
    assert principal.findtext("t:LogonType", namespaces=NS) in (None, "ServiceAccount")
    assert root.find(".//t:Password", NS) is None and b"assword" not in xml.decode("utf-16").encode()
    actions = root.find("t:Actions", NS)
    assert actions is not None and actions.get("Context") == principal.get("id")
    assert 1 <= len(actions) <= 32 and all(local(a) == "Exec" for a in actions)
    for action in actions:
        check_order([local(c) for c in action], ["Command", "Arguments", "WorkingDirectory"])
        assert action.findtext("t:Command", namespaces=NS)
    settings = root.find("t:Settings", NS)
    assert settings is not None
    names = [local(c) for c in settings]
    assert set(names) <= SETTINGS and len(names) == len(set(names))
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert settings.findtext("t:StartWhenAvailable", namespaces=NS) == "true"
    assert DURATION.match(settings.findtext("t:ExecutionTimeLimit", namespaces=NS) or "")
    triggers = root.find("t:Triggers", NS)
    assert triggers is not None and 1 <= len(triggers) <= 48
    for trigger in triggers:
        check_trigger(trigger)
    return root


def test_task_xml_is_utf16_with_bom_and_a_valid_structure_for_every_kind_of_run() -> None:
    data = task_xml_bytes(task_xml(job(*EVERY_KIND, commands=(WIN_AUDIT, (*WIN_AUDIT[:3], "submit")),
                                       workdir=r"C:\ProgramData\secaudit"), date(2026, 12, 5)))
    assert data.startswith(b"\xff\xfe") and "\r\n".encode("utf-16-le") in data
    root = check_task(data)
    kinds = [local(t) for t in kids(root, "t:Triggers")]
    assert kinds == ["CalendarTrigger"] * 5 + ["TimeTrigger"]
    hours = kids(root, "t:Triggers")[0]
    assert hours.findtext("t:Repetition/t:Interval", namespaces=NS) == "PT6H"
    assert hours.findtext("t:StartBoundary", namespaces=NS) == "2026-12-05T00:15:00"
    once = kids(root, "t:Triggers")[-1]
    assert once.findtext("t:StartBoundary", namespaces=NS) == "2027-03-18T09:30:00"
    yearly = kids(root, "t:Triggers")[4]
    assert [local(m) for m in kids(yearly, "t:ScheduleByMonth/t:Months")] == ["June"]


def test_task_actions_quote_paths_with_spaces_and_keep_vietnamese() -> None:
    root = check_task(task_xml_bytes(task_xml(job(commands=(WIN_AUDIT,), workdir=r"C:\ProgramData\secaudit"),
                                              date(2026, 12, 5))))
    exec_ = root.find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    assert exec_.findtext("t:Command", namespaces=NS) == r"C:\Program Files\Python311\python.exe"
    args = exec_.findtext("t:Arguments", namespaces=NS) or ""
    assert args.startswith("-m secaudit audit --playbook dak-lak-2026 -o ")
    assert args.endswith(r'--config "C:\Dữ liệu\secaudit.toml"')
    assert exec_.findtext("t:WorkingDirectory", namespaces=NS) == r"C:\ProgramData\secaudit"


def test_task_text_is_escaped_for_xml() -> None:
    root = check_task(task_xml_bytes(task_xml(job(commands=(("C:\\a&b<c>.exe", 'x"y'),)), date(2026, 1, 1))))
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=NS) == "C:\\a&b<c>.exe"
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS) == 'x\\"y'

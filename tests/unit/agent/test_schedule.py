"""secaudit.agent.schedule: runs from a playbook's cadence or --every, the steps of install and remove,
real unit and cron files written and removed under a test root (checked by `systemd-analyze verify` and
`systemctl --root` when they are installed; no running systemd needed), and the Windows registration
with a stand-in for schtasks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from secaudit.agent import schedule as sch
from secaudit.agent.schedule_files import NAME, TASK_NS, Job, Run, task_xml

TODAY = date(2026, 12, 5)
REPORTS = PurePosixPath("/var/lib/secaudit/reports")


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def a_job(*runs: Run, submit: bool = False) -> Job:
    commands = sch.job_commands(sch.program(), "dong-nai-2026", REPORTS, submit=submit)
    return Job(commands=commands, runs=runs or (Run("year", month=6, day=8),))


@pytest.fixture
def systemd_root(tmp_path: Path) -> Path:
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def cron_root(tmp_path: Path) -> Path:
    (tmp_path / "etc/cron.d").mkdir(parents=True)
    return tmp_path


# --- when --------------------------------------------------------------------------------------


def test_a_run_seven_days_before_each_yearly_due_date() -> None:
    annual = {"kind": "annual", "due": ["06-15"]}
    assert sch.runs_from_cadence(annual, "dong-nai-2026", TODAY) == (Run("year", month=6, day=8),)
    quarterly = {"kind": "quarterly", "due": ["03-25", "06-25", "09-25", "12-25"]}
    assert [(r.month, r.day) for r in sch.runs_from_cadence(quarterly, "dak-lak-2026", TODAY)] == [
        (3, 18), (6, 18), (9, 18), (12, 18)]
    early = {"kind": "dates", "due": ["03-05", "01-03", "02-29"]}  # across a month, a year, a leap day
    assert [(r.month, r.day) for r in sch.runs_from_cadence(early, "x", TODAY, (7, 5))] == [
        (2, 22), (2, 26), (12, 27)]
    assert all((r.hour, r.minute) == (7, 5) for r in sch.runs_from_cadence(early, "x", TODAY, (7, 5)))


def test_dated_due_dates_run_once_and_past_ones_are_dropped() -> None:
    school_year = {"kind": "school_year", "due": ["2024-10-10", "2024-12-14", "2025-05-30"]}
    runs = sch.runs_from_cadence(school_year, "bien-hoa-2024-2025", date(2024, 11, 1))
    assert runs == (Run("once", year=2024, month=12, day=7), Run("once", year=2025, month=5, day=23))
    with pytest.raises(sch.ScheduleError) as info:
        sch.runs_from_cadence(school_year, "bien-hoa-2024-2025", TODAY)
    assert "bien-hoa-2024-2025" in info.value.en and "--every" in info.value.en


def test_a_cadence_that_gives_no_date_asks_for_every() -> None:
    assert sch.runs_from_cadence({"kind": "monthly", "due": []}, "m", TODAY) == (Run("month", day=1),)
    for cadence in ({}, {"kind": "annual", "due": []}):
        with pytest.raises(sch.ScheduleError) as info:
            sch.runs_from_cadence(cadence, "p", TODAY)
        assert "--every" in info.value.en and "--every" in info.value.vi
        assert info.value.en.count(".") == 1 and info.value.en.endswith(".")  # one sentence


def test_every() -> None:
    assert sch.parse_every("6h") == (Run("hours", hours=6, hour=0),)
    assert sch.parse_every("daily", (8, 0)) == sch.parse_every("1d", (8, 0)) == (Run("day", hour=8, minute=0),)
    assert sch.parse_every("weekly") == sch.parse_every("7d") == (Run("week"),)
    assert sch.parse_every("Monthly") == (Run("month", day=1),)
    for bad in ("5h", "24h", "2d", "", "often", "-1h"):
        with pytest.raises(sch.ScheduleError):
            sch.parse_every(bad)


def test_at() -> None:
    assert sch.parse_at("09:30") == (9, 30) and sch.parse_at("23:59") == (23, 59)
    for bad in ("9", "24:00", "09:60", "9:5", "ab:cd", ""):
        with pytest.raises(sch.ScheduleError):
            sch.parse_at(bad)


# --- what --------------------------------------------------------------------------------------


def test_the_job_is_the_audit_then_submit_when_a_collector_is_configured() -> None:
    prog = ("/usr/bin/python3", "-m", "secaudit")
    (audit,) = sch.job_commands(prog, "dak-lak-2026", REPORTS)
    assert audit == (*prog, "audit", "--playbook", "dak-lak-2026", "--format", "html",
                     "-o", "/var/lib/secaudit/reports/last-report.html")
    audit, submit = sch.job_commands(prog, "dak-lak-2026", REPORTS, "/etc/s.toml", submit=True)
    assert audit[4:6] == ("--config", "/etc/s.toml") and submit == (*prog, "submit", "--config", "/etc/s.toml")
    win = sch.job_commands(("C:\\py\\python.exe", "-m", "secaudit"), "x",
                           PureWindowsPath(r"C:\ProgramData\secaudit\reports"))
    assert win[0][-1] == r"C:\ProgramData\secaudit\reports\last-report.html"


def test_program_is_this_interpreter() -> None:
    assert sch.program() == (sys.executable, "-m", "secaudit")


# --- where -------------------------------------------------------------------------------------


def test_backend_under_a_root_and_on_windows(tmp_path: Path) -> None:
    both = tmp_path / "both"
    (both / "etc/cron.d").mkdir(parents=True)
    assert sch.backend_for(both) == "cron"
    (both / "etc/systemd/system").mkdir(parents=True)
    assert sch.backend_for(both) == "systemd"  # systemd wins where both are
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(sch.ScheduleError):
        sch.backend_for(empty)
    assert sch.backend_for(None, "nt") == "task"
    with pytest.raises(sch.ScheduleError):
        sch.backend_for(empty, "nt")


def test_backend_of_this_machine_matches_what_runs_here() -> None:
    if Path("/run/systemd/system").is_dir():
        assert sch.backend_for(None) == "systemd"
    elif Path("/etc/cron.d").is_dir() and sch._has_cron_daemon():
        assert sch.backend_for(None) == "cron"
    else:  # e.g. a CI container: neither, and a one-sentence error says so
        with pytest.raises(sch.ScheduleError) as info:
            sch.backend_for(None)
        assert "systemd" in info.value.en and "cron" in info.value.en


# --- systemd under a root ------------------------------------------------------------------------


def test_systemd_install_then_remove_leaves_the_root_as_it_was(systemd_root: Path) -> None:
    before = tree(systemd_root)
    sch.apply(sch.install_steps("systemd", a_job(submit=True), systemd_root))
    units = systemd_root / "etc/systemd/system"
    assert tree(systemd_root) - before == {
        "etc/systemd/system/secaudit-audit.service", "etc/systemd/system/secaudit-audit.timer",
        "etc/systemd/system/timers.target.wants", "etc/systemd/system/timers.target.wants/secaudit-audit.timer"}
    link = units / "timers.target.wants" / f"{NAME}.timer"
    assert link.is_symlink() and os.readlink(link) == f"/etc/systemd/system/{NAME}.timer"
    service = (units / f"{NAME}.service").read_text()
    assert service.count("ExecStart=") == 2 and f"{sys.executable} -m secaudit audit" in service
    assert (units / f"{NAME}.service").stat().st_mode & 0o777 == 0o644
    stamp = systemd_root / sch.STAMP  # what Persistent=true leaves once the timer has run
    stamp.parent.mkdir(parents=True)
    stamp.touch()
    shown = dict(sch.show("systemd", systemd_root))
    assert "OnCalendar=*-06-08 09:30:00" in shown[str(units / f"{NAME}.timer")]
    sch.apply(sch.remove_steps("systemd", systemd_root))
    assert tree(systemd_root) == before | {"var", "var/lib", "var/lib/systemd", "var/lib/systemd/timers"}
    assert sch.remove_steps("systemd", systemd_root) == [] and sch.show("systemd", systemd_root) == []


def test_systemd_remove_keeps_a_wants_folder_that_holds_other_timers(systemd_root: Path) -> None:
    wants = systemd_root / "etc/systemd/system/timers.target.wants"
    wants.mkdir()
    (wants / "apt-daily.timer").symlink_to("/lib/systemd/system/apt-daily.timer")
    sch.apply(sch.install_steps("systemd", a_job(), systemd_root))
    sch.apply(sch.remove_steps("systemd", systemd_root))
    assert [p.name for p in wants.iterdir()] == ["apt-daily.timer"]


def test_installing_again_replaces_the_schedule(systemd_root: Path) -> None:
    sch.apply(sch.install_steps("systemd", a_job(), systemd_root))
    sch.apply(sch.install_steps("systemd", a_job(Run("day", hour=7, minute=0)), systemd_root))
    timer = (systemd_root / f"etc/systemd/system/{NAME}.timer").read_text()
    assert "OnCalendar=*-*-* 07:00:00" in timer and "06-08" not in timer


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl not installed")
def test_systemctl_sees_the_timer_enabled_in_the_root(systemd_root: Path) -> None:
    sch.apply(sch.install_steps("systemd", a_job(), systemd_root))

    def is_enabled() -> str:
        done = subprocess.run(["systemctl", f"--root={systemd_root}", "is-enabled", f"{NAME}.timer"],
                              capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    assert is_enabled() == "enabled"
    sch.apply(sch.remove_steps("systemd", systemd_root))
    assert is_enabled() != "enabled"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_units(systemd_root: Path) -> None:
    for job in (a_job(submit=True), a_job(*sch.parse_every("6h")), a_job(Run("once", year=2027, month=3, day=18))):
        sch.apply(sch.install_steps("systemd", job, systemd_root))
        units = systemd_root / "etc/systemd/system"
        done = subprocess.run(["systemd-analyze", "verify", str(units / f"{NAME}.service"),
                               str(units / f"{NAME}.timer")], capture_output=True, text=True, timeout=120,
                              cwd=units)
        assert done.returncode == 0, done.stderr
        assert NAME not in done.stderr, done.stderr  # no warning about our units (unknown keys, bad values)


def test_live_systemd_steps_reload_enable_and_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a system booted with systemd the steps go through systemctl (not applied here: CI runs as root)."""
    monkeypatch.setattr(sch, "_systemd_live", lambda root: root is None)
    steps = sch.install_steps("systemd", a_job(), None)
    runs = [s.argv for s in steps if s.kind == "run"]
    assert runs == [("systemctl", "daemon-reload"), ("systemctl", "enable", f"{NAME}.timer"),
                    ("systemctl", "restart", f"{NAME}.timer")]
    assert [s.path for s in steps if s.kind == "write"] == [Path(f"/etc/systemd/system/{NAME}.{k}")
                                                             for k in ("service", "timer")]


# --- cron under a root ---------------------------------------------------------------------------


def test_cron_install_then_remove_leaves_the_root_as_it_was(cron_root: Path) -> None:
    before = tree(cron_root)
    sch.apply(sch.install_steps("cron", a_job(Run("year", month=3, day=18), Run("year", month=6, day=18)), cron_root))
    cron = cron_root / "etc/cron.d/secaudit"
    assert tree(cron_root) - before == {"etc/cron.d/secaudit"}
    lines = [x for x in cron.read_text().splitlines() if x.startswith("30 9 ")]
    assert [x.split(" root ")[0] for x in lines] == ["30 9 18 3 *", "30 9 18 6 *"]
    assert cron.stat().st_mode & 0o777 == 0o644  # cron skips group/world-writable files
    sch.apply(sch.remove_steps("cron", cron_root))
    assert tree(cron_root) == before


def test_switching_between_systemd_and_cron_leaves_only_the_new_one(systemd_root: Path) -> None:
    (systemd_root / "etc/cron.d").mkdir()
    sch.apply(sch.install_steps("cron", a_job(), systemd_root))
    sch.apply(sch.install_steps("systemd", a_job(), systemd_root))
    assert not (systemd_root / "etc/cron.d/secaudit").exists()
    sch.apply(sch.install_steps("cron", a_job(), systemd_root))
    assert not (systemd_root / f"etc/systemd/system/{NAME}.timer").exists()
    assert not (systemd_root / "etc/systemd/system/timers.target.wants").exists()
    sch.apply(sch.remove_steps("systemd", systemd_root))
    assert tree(systemd_root) == {"etc", "etc/systemd", "etc/systemd/system", "etc/cron.d"}


# --- running commands and the Windows task ---------------------------------------------------------


class FakeRunner:
    def __init__(self, code: int = 0, stderr: str = "") -> None:
        self.calls: list[tuple[str, ...]] = []
        self.code, self.stderr = code, stderr
        self.task_file: bytes = b""

    def __call__(self, argv: Sequence[str]) -> sch.Completed:
        self.calls.append(tuple(argv))
        if argv[:2] == ("schtasks", "/Create"):
            self.task_file = Path(argv[argv.index("/XML") + 1]).read_bytes()
        return sch.Completed(self.code, "", self.stderr)


def test_windows_install_makes_the_folder_sets_its_acl_and_registers_the_task() -> None:
    steps = sch.install_steps("task", a_job(), None, TODAY, environ={"ProgramData": r"D:\PD"})
    assert [s.kind for s in steps] == ["mkdir", "run", "task"]
    assert str(steps[0].path) == r"D:\PD\secaudit"
    assert steps[1].argv == ("icacls", r"D:\PD\secaudit", "/inheritance:r", "/grant:r", "*S-1-5-18:(OI)(CI)F",
                             "*S-1-5-32-544:(OI)(CI)F")
    runner = FakeRunner()
    sch.apply([steps[2]], runner)
    ((argv),) = runner.calls
    assert argv[:4] == ("schtasks", "/Create", "/TN", NAME) and argv[-1] == "/F"
    xml = runner.task_file
    assert xml.startswith(b"\xff\xfe")
    assert ET.fromstring(xml).find(f"{{{TASK_NS}}}Principals/{{{TASK_NS}}}Principal/{{{TASK_NS}}}UserId").text == (
        "S-1-5-18")
    assert not Path(argv[argv.index("/XML") + 1]).exists()  # the temporary file is gone


def test_a_failed_registration_is_one_sentence_and_leaves_no_temporary_file() -> None:
    runner = FakeRunner(1, "ERROR: Access is denied.\r\n")
    with pytest.raises(sch.ScheduleError) as info:
        sch.apply([sch.Step("task", text=task_xml(a_job(), TODAY))], runner)
    assert info.value.en == f"The command 'schtasks /Create /TN {NAME} /XML {runner.calls[0][5]} /F' failed: " \
                            "ERROR: Access is denied."
    assert not Path(runner.calls[0][5]).exists()


def test_windows_remove_deletes_the_task_and_show_queries_it() -> None:
    assert sch.remove_steps("task") == [sch.Step("run", argv=("schtasks", "/Delete", "/TN", NAME, "/F"))]
    assert sch.show("task", runner=FakeRunner(1, "ERROR: The system cannot find the file specified.")) == []
    found = FakeRunner()
    assert sch.show("task", runner=found) == [(f"Task Scheduler: \\{NAME}", "")]
    assert found.calls == [("schtasks", "/Query", "/TN", NAME, "/XML")]


def test_optional_commands_may_fail_others_stop_the_steps(tmp_path: Path) -> None:
    runner = FakeRunner(5, "Unit not loaded.")
    sch.apply([sch.Step("run", argv=("systemctl", "stop", "x"), optional=True)], runner)
    later = tmp_path / "later"
    with pytest.raises(sch.ScheduleError) as info:
        sch.apply([sch.Step("run", argv=("systemctl", "daemon-reload")), sch.Step("write", path=later, text="x")],
                  runner)
    assert info.value.en == "The command 'systemctl daemon-reload' failed: Unit not loaded."
    assert not later.exists()


def test_a_missing_tool_is_reported_not_raised() -> None:
    done = sch.run_command(("secaudit-no-such-tool-xyz", "--version"))
    assert done.returncode == 127


def test_describe_lists_every_step_with_file_contents(systemd_root: Path) -> None:
    steps = sch.install_steps("systemd", a_job(), systemd_root)
    text = "\n".join(sch.describe(steps, "en"))
    assert f"write {systemd_root}/etc/systemd/system/{NAME}.service:" in text
    assert "    OnCalendar=*-06-08 09:30:00" in text and "link " in text
    vi = "\n".join(sch.describe(steps, "vi"))
    assert "ghi " in vi and "tạo liên kết" in vi


def test_need_admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sch.need_admin(tmp_path)  # a root directory needs no privilege
    sch.need_admin(None, "nt")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(sch.ScheduleError) as info:
        sch.need_admin(None, "posix")
    assert "root" in info.value.en


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_reads_a_program_path_with_spaces_and_percent(systemd_root: Path, tmp_path: Path) -> None:
    odd = tmp_path / "Trường học 100%" / "python"
    odd.parent.mkdir()
    odd.symlink_to(sys.executable)
    commands = sch.job_commands((str(odd), "-m", "secaudit"), "dong-nai-2026", PurePosixPath("/srv/báo cáo"))
    sch.apply(sch.install_steps("systemd", Job(commands=commands, runs=(Run("day"),)), systemd_root))
    service = systemd_root / f"etc/systemd/system/{NAME}.service"
    first = next(x for x in service.read_text().splitlines() if x.startswith("ExecStart="))
    assert first.startswith(f'ExecStart="{str(odd).replace("%", "%%")}" -m secaudit audit')
    assert first.endswith(' -o "/srv/báo cáo/last-report.html"')
    done = subprocess.run(["systemd-analyze", "verify", str(service)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0 and NAME not in done.stderr, done.stderr


def test_a_control_character_in_a_path_is_refused() -> None:
    prog = ("/usr/bin/python3", "-m", "secaudit")
    for playbook, config in (("/tmp/x\nExecStartPre=/bin/sh.yaml", None), ("x", "/etc/a\rb.toml")):
        with pytest.raises(sch.ScheduleError) as info:
            sch.job_commands(prog, playbook, REPORTS, config)
        assert "control character" in info.value.en and "\n" not in info.value.en and "\r" not in info.value.en

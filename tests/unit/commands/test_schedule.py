"""`secaudit schedule install | remove | show` through the CLI: the plan printed before anything is done,
--dry-run, real files under --root and nothing left by remove, one-sentence errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from secaudit.agent.schedule_files import NAME, TASK_NS
from secaudit.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
        sys.exit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SECAUDIT_LANG", raising=False)
    monkeypatch.delenv("SECAUDIT_DEBUG", raising=False)
    monkeypatch.setattr("secaudit.config.default_config_path", lambda: tmp_path / "no-config.toml")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "sys/etc/systemd/system").mkdir(parents=True)
    return tmp_path / "sys"


def test_install_prints_the_plan_then_installs_show_and_remove(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    before = tree(root)
    code, out, err = run(capsys, "schedule", "install", "--root", str(root), "--lang", "en")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Will install the audit schedule (systemd), running: yearly 06-08 09:30."
    assert "playbook dong-nai-2026 (annual: 06-15): a run 7 days before each due date" in lines[1]
    assert f"  write {root}/etc/systemd/system/{NAME}.service:" in lines
    assert "    OnCalendar=*-06-08 09:30:00" in lines
    assert lines[-1] == "The audit schedule is installed. Reports are written to /var/lib/secaudit/reports."
    assert (root / f"etc/systemd/system/{NAME}.timer").is_file()

    code, out, _ = run(capsys, "schedule", "show", "--root", str(root), "--lang", "en")
    assert code == 0 and f"== {root}/etc/systemd/system/{NAME}.timer" in out and "Persistent=true" in out

    code, out, _ = run(capsys, "schedule", "remove", "--root", str(root), "--lang", "en")
    assert code == 0 and out.splitlines()[0] == "Will remove the audit schedule:"
    assert "Reports, state, keys and config are kept." in out
    assert tree(root) == before
    code, out, _ = run(capsys, "schedule", "remove", "--root", str(root))
    assert (code, out) == (0, "Chưa cài lịch kiểm tra định kỳ nào.\n")
    code, out, _ = run(capsys, "schedule", "show", "--root", str(root), "--lang", "en")
    assert (code, out) == (0, "No audit schedule is installed.\n")


def test_dry_run_changes_nothing(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    before = tree(root)
    code, out, _ = run(capsys, "schedule", "install", "--root", str(root), "--every", "daily", "--at", "07:15",
                       "--dry-run")
    assert code == 0 and "    OnCalendar=*-*-* 07:15:00" in out and "Lịch theo --every daily." in out
    assert out.splitlines()[-1] == "Chạy thử (--dry-run): chưa thay đổi gì."
    assert tree(root) == before


def test_cron_with_a_collector_submits_after_the_audit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = tmp_path / "cronbox"
    (root / "etc/cron.d").mkdir(parents=True)
    config = tmp_path / "secaudit.toml"
    config.write_text('[unit]\ncode = "75-TH0042"\n[collector]\nurl = "https://so.example.vn/"\n', encoding="utf-8")
    code, _, _ = run(capsys, "schedule", "install", "--root", str(root), "--config", str(config),
                     "--playbook", "dak-lak-2026")
    assert code == 0
    text = (root / "etc/cron.d/secaudit").read_text()
    assert [x.split(" root ")[0] for x in text.splitlines() if " root " in x] == [
        "30 9 18 3 *", "30 9 18 6 *", "30 9 18 9 *", "30 9 18 12 *"]
    assert f"--config {config} --playbook dak-lak-2026" in text and f"submit --config {config}" in text
    run(capsys, "schedule", "remove", "--root", str(root))
    assert tree(root) == {"etc", "etc/cron.d"}


def test_a_playbook_file_is_kept_by_its_absolute_path(capsys: pytest.CaptureFixture[str], root: Path,
                                                      tmp_path: Path) -> None:
    book = tmp_path / "mine.yaml"
    book.write_text('schema: secaudit.playbook/v1\nid: mine\nversion: "1"\ntitle: {vi: "Của tôi", en: Mine}\n'
                    'extends: baseline\ncadence: {kind: monthly}\n', encoding="utf-8")
    code, out, err = run(capsys, "schedule", "install", "--root", str(root), "--playbook", str(book), "--lang", "en")
    assert code == 0, err
    assert "running: monthly, day 1, 09:30" in out
    assert f"--playbook {book.resolve()} " in (root / f"etc/systemd/system/{NAME}.service").read_text()


def test_windows_task_dry_run_prints_the_task_xml(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ProgramData", r"D:\PD")
    code, out, _ = run(capsys, "schedule", "install", "--backend", "task", "--every", "weekly", "--dry-run",
                       "--lang", "en")
    assert code == 0
    assert r"  run: icacls D:\PD\secaudit /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F" in out
    xml = "\n".join(line[4:] for line in out.splitlines() if line.startswith("    "))
    task = ET.fromstring(xml.encode("utf-16"))
    ns = {"t": TASK_NS}
    assert task.findtext("t:Principals/t:Principal/t:UserId", namespaces=ns) == "S-1-5-18"
    args = task.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) or ""
    assert args.endswith(r"-o D:\PD\secaudit\reports\last-report.html")
    assert task.find("t:Triggers/t:CalendarTrigger/t:ScheduleByWeek", ns) is not None


@pytest.mark.parametrize(("args", "words"), [
    (("--every", "5h"), "--every '5h' is not valid"),
    (("--at", "25:00"), "--at '25:00' is not valid"),
    (("--playbook", "bien-hoa-2024-2025"), "Every due date of playbook bien-hoa-2024-2025 has passed"),
    (("--backend", "task"), "--root cannot be used on Windows"),
])
def test_errors_are_one_sentence_with_exit_2(capsys: pytest.CaptureFixture[str], root: Path,
                                             args: tuple[str, ...], words: str) -> None:
    before = tree(root)
    code, out, err = run(capsys, "schedule", "install", "--root", str(root), "--lang", "en", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
    assert tree(root) == before


def test_a_root_without_a_scheduler_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "schedule", "install", "--root", str(tmp_path), "--lang", "en")
    assert code == 2 and err == f"{tmp_path} has neither etc/systemd/system nor etc/cron.d to install a schedule in.\n"


def test_the_installed_command_runs_as_a_process(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "secaudit", "schedule", "install", "--root", str(root),
                           "--dry-run", "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"ExecStart={sys.executable} -m secaudit audit --playbook dong-nai-2026" in done.stdout


def test_without_a_signing_key_the_install_says_reports_will_not_be_signed(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from secaudit import paths
    from secaudit.commands import schedule as command

    keys = tmp_path / "keys"
    monkeypatch.setattr(command, "_job_layout", lambda windows: paths.Layout(
        base=tmp_path, config=tmp_path / "c.toml", keys=keys, state=tmp_path / "s", reports=tmp_path / "r"))
    code, out, err = run(capsys, "schedule", "install", "--backend", "systemd", "--dry-run", "--lang", "en")
    assert code == 0 and "ExecStart=" in out
    assert err == (f"Note: there is no signing key in {keys}, so the scheduled reports will be neither signed nor "
                   "sent; run `secaudit keys init`.\n")
    keys.mkdir()
    (keys / "agent.key").write_text("x")
    code, out, err = run(capsys, "schedule", "install", "--backend", "systemd", "--dry-run", "--lang", "en")
    assert (code, err) == (0, "")


def test_the_configs_state_dir_holds_the_scheduled_reports(capsys: pytest.CaptureFixture[str], root: Path,
                                                           tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('state_dir = "/srv/secaudit"\n', encoding="utf-8")
    code, out, _ = run(capsys, "schedule", "install", "--root", str(root), "--config", str(config), "--lang", "en")
    assert code == 0 and "-o /srv/secaudit/reports/last-report.html" in out
    assert out.splitlines()[-1] == "The audit schedule is installed. Reports are written to /srv/secaudit/reports."


def test_a_scheduler_of_another_os_is_only_shown(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "schedule", "install", "--backend", "task", "--lang", "en")
    assert (code, err) == (2, "This machine has no Task Scheduler; use --dry-run to see what would be installed.\n")
    assert list(tmp_path.iterdir()) == []  # no "C:\ProgramData\secaudit" folder made here
    monkeypatch.setattr("secaudit.paths.is_windows", lambda os_name=None: True)
    code, _, err = run(capsys, "schedule", "install", "--backend", "cron", "--lang", "en")
    assert (code, err) == (2, "This machine has no cron; use --dry-run to see what would be installed.\n")


def test_an_enrolled_agent_submits_after_the_audit(capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.agent import enroll

    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("SECAUDIT_STATE_DIR", str(state))
    code, out, _ = run(capsys, "schedule", "install", "--root", str(root), "--dry-run")
    assert code == 0 and "secaudit submit" not in out
    (state / enroll.ENROLLMENT_FILE).write_text(json.dumps(
        {"schema": enroll.STORED_SCHEMA, "collector_url": "https://so.example.vn/"}), encoding="utf-8")
    code, out, _ = run(capsys, "schedule", "install", "--root", str(root), "--dry-run")
    assert code == 0 and f"ExecStart={sys.executable} -m secaudit submit" in out

"""Class 8, terminal safety: text from an audited system never drives the terminal that shows it.

An image plants escape sequences (ANSI colours, screen clears, OSC 8 hyperlinks, BEL), bidi overrides
and rich markup in its hostname, its os-release name and a sudoers.d file name (which the findings
quote). The terminal summary, errors, `verify`, the scan table and the remote and backup summaries
must show them literally: no raw ESC, C1 or bidi character, markup printed as typed. Markdown tables
stay tables, CSV cells are not formulas, and JSON keeps the raw values (it is data).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secaudit.sign import keys as k
from tests.integration.test_planted_root import PLANTED

pytestmark = pytest.mark.integration

EXE = [sys.executable, "-m", "secaudit"]
OSC8 = "\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
HOSTNAME = "[link=http://evil.example]srv[/link]\x1b[2J\x1b[31m" + OSC8 + "\u202eexe.txt\x07\x9b0m"
PRETTY = "[bold red]Debian[/] \x1b]0;owned\x07 \u2066x\u2069 \u200f"
SUDOERS_FILE = "91-[bold]lab[not]\x1b[5m|`code`\u202e"  # a file name: anything but "/" and NUL
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _root(make_root: Callable[..., Path], hostname: str = HOSTNAME) -> Path:
    files: dict[str, Any] = {
        **PLANTED,
        "etc/hostname": hostname + "\n",
        "etc/os-release": f'PRETTY_NAME="{PRETTY}"\nID=debian\nVERSION_ID="11"\n',
        f"etc/sudoers.d/{SUDOERS_FILE}": ("daemon ALL=(ALL) NOPASSWD: ALL\n", 0o440),
    }
    return make_root(files)


def _run(args: list[str], tmp: Path, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "state"), "SECAUDIT_KEY_DIR": str(tmp / "keys"),
           "SECAUDIT_LANG": lang, "COLUMNS": "400"}
    proc = subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=180, env=env, cwd=str(tmp))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _inert(text: str) -> None:
    """No character a terminal would act on: the only controls are the newlines between lines."""
    bad = RAW.findall(text)
    assert not bad, sorted({f"U+{ord(c):04X}" for c in bad})


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_terminal_summary_shows_hostile_strings_literally(make_root: Callable[..., Path], tmp_path: Path,
                                                           lang: str) -> None:
    proc = _run(["audit", "--root", str(_root(make_root)), "--no-sign", "-v"], tmp_path, lang)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    _inert(out)
    _inert(proc.stderr)
    # markup is printed as typed, escapes are visible
    assert "[link=http://evil.example]srv[/link]\\x1b[2J\\x1b[31m\\x1b]8;;http://evil.example/\\x1b\\click" in out
    assert "\\u202eexe.txt\\x07\\x9b0m" in out
    assert "[bold red]Debian[/] \\x1b]0;owned\\x07 \\u2066x\\u2069 \\u200f" in out
    assert "/etc/sudoers.d/91-[bold]lab[not]\\x1b[5m|`code`\\u202e:1" in out


def test_text_report_file_is_as_inert_as_the_terminal(make_root: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    proc = _run(["audit", "--root", str(_root(make_root)), "--no-sign", "--format", "text", "-o", str(out)],
                tmp_path)
    assert proc.returncode == 1, proc.stderr
    text = out.read_text(encoding="utf-8")
    _inert(text)
    assert "[link=http://evil.example]srv[/link]" in text


def test_json_keeps_the_raw_values(make_root: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = _run(["audit", "--root", str(_root(make_root)), "--no-sign", "--format", "json", "-o", str(out)],
                tmp_path)
    assert proc.returncode == 1, proc.stderr
    _inert(proc.stdout)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["host"]["hostname"] == HOSTNAME
    assert report["host"]["os"]["name"] == PRETTY
    raw = out.read_text(encoding="utf-8")
    assert "\\u001b" in raw and "\x1b" not in raw  # JSON escapes C0 controls itself


def test_verify_and_signing_messages_are_inert(make_root: Callable[..., Path], tmp_path: Path) -> None:
    k.init(tmp_path / "keys", None)
    out = tmp_path / "out"
    proc = _run(["audit", "--root", str(_root(make_root)), "--sign", "--format", "json", "-o", str(out / "r.json")],
                tmp_path)
    assert proc.returncode == 1, proc.stderr
    _inert(proc.stderr)
    envelope = next(p for p in out.iterdir() if p.name.endswith(".secaudit.json"))
    shown = _run(["verify", str(envelope)], tmp_path)
    assert shown.returncode == 0, shown.stderr
    _inert(shown.stdout)
    assert "[link=http://evil.example]srv[/link]\\x1b[2J" in shown.stdout


def test_error_sentences_quoting_foreign_text_are_inert(tmp_path: Path) -> None:
    missing = tmp_path / f"image{OSC8}\u202e"
    proc = _run(["audit", "--root", str(missing), "--no-sign"], tmp_path)
    assert proc.returncode == 2
    _inert(proc.stderr)
    assert "\\x1b]8;;http:/evil.example/" in proc.stderr  # (a path: "//" is one separator)
    bad_envelope = tmp_path / f"r\x1b[2J{chr(0x202e)}.json"
    bad_envelope.write_text("{}")
    k.init(tmp_path / "keys", None)
    proc = _run(["verify", str(bad_envelope)], tmp_path)
    assert proc.returncode == 2
    _inert(proc.stderr)


def test_markdown_tables_and_lines_survive_hostile_names(make_root: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    root = _root(make_root, "srv|`x`|[y](http://evil.example)<b>")
    proc = _run(["audit", "--root", str(root), "--no-sign", "--format", "md", "-o", str(out)], tmp_path)
    assert proc.returncode == 1, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    assert "srv\\|\\`x\\`\\|\\[y\\](http://evil.example)&lt;b&gt;" in text
    assert "91-\\[bold\\]lab\\[not\\]\\[U+001B\\]\\[5m\\|\\`code\\`\\[U+202E\\]" in text
    for line in text.splitlines():  # every table row has as many cells as its header
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) in (5, 6), line


def test_csv_cells_are_not_formulas(make_root: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    root = _root(make_root, '=HYPERLINK("http://evil.example","x")')
    proc = _run(["audit", "--root", str(root), "--no-sign", "--format", "csv", "-o", str(out)], tmp_path)
    assert proc.returncode == 1, proc.stderr
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            assert "\x1b" not in cell and "\u202e" not in cell


# --- the other terminal outputs, in process ------------------------------------------------------


def test_scan_device_table_is_plain_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.commands.scan import print_devices

    monkeypatch.setenv("COLUMNS", "400")  # no cell cut short by the width

    devices = [{"ip": "10.0.0.5", "mac": "aa:bb:cc:dd:ee:ff", "vendor": "[bold]Acme[/bold]",
                "names": [f"PC{OSC8}", "[link=http://evil.example]nb[/link]\u202e"],
                "open_ports": [{"port": 80, "proto": "tcp", "service": "http\x1b[2J"}],
                "first_seen": "2026-01-01T00:00:00Z"}]
    print_devices(devices, "vi")
    out = capsys.readouterr().out
    _inert(out)
    flat = re.sub(r"[\s│┃|]+", "", out)
    assert "[bold]Acme[/bold]" in flat and "[link=http://evil.example]nb[/link]\\u202e" in flat
    assert "http\\x1b[2J" in flat


def test_remote_summary_and_progress_are_inert(capsys: pytest.CaptureFixture[str]) -> None:
    from secaudit.agent.hosts import parse_target
    from secaudit.agent.remote import HostResult, summary_table
    from secaudit.commands.progress import TerminalProgress
    from secaudit.commands.remote import host_done

    reason = f"banner {OSC8} [red]x[/red]\u202e"
    result = HostResult(parse_target("u@h"), "error", {"vi": reason, "en": reason})
    table = summary_table([result], "en")
    _inert(table)
    assert "[red]x[/red]\\u202e" in table
    host_done("vi", TerminalProgress(live=False))(result, 1, 1)
    err = capsys.readouterr().err
    _inert(err)
    assert "\\x1b]8;;http://evil.example/" in err


def test_backup_summary_is_inert(capsys: pytest.CaptureFixture[str]) -> None:
    from secaudit.backup.engine import SetSummary
    from secaudit.commands.backup import _summary

    s = SetSummary(f"CSDL {OSC8}", "files")
    s.config_error = ("config", f"bad path /srv/{OSC8}\u202e")
    s.offsite = {"location": "sftp://nas/\x1b[2J", "error": {"detail": "denied\u202e"}}
    out = io.StringIO()
    _summary([s], "vi", out)
    _inert(out.getvalue())
    assert "\\x1b]8;;http://evil.example/" in out.getvalue()

"""`secaudit facts --record` (Windows) and `--replay` of what it saved: the same facts as the live run.

Windows cannot run here: the live transport is a WindowsTransport whose collect.ps1 run is stood in for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from secaudit import pipeline
from secaudit.cli import main
from secaudit.transport.windows import WindowsTransport

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "windows" / "win11-healthy.json"


REAL_OPEN = pipeline.open_transport


def _windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine is a Windows PC whose collect.ps1 prints the base recording."""
    out = json.dumps(json.loads(FIXTURE.read_text(encoding="utf-8"))).encode("ascii")

    def open_transport(root: str | None = None, replay: str | None = None) -> object:
        if root or replay:
            return REAL_OPEN(root, replay)
        return WindowsTransport(powershell=sys.executable, runner=lambda argv, timeout, cap: (0, out, b""))

    monkeypatch.setattr(pipeline, "open_transport", open_transport)


def _run(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_record_then_replay_gives_the_live_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _windows(monkeypatch)
    rec, live, replayed = tmp_path / "rec.json", tmp_path / "live.json", tmp_path / "replayed.json"
    assert _run("facts", "--record", str(rec), "--lang", "en") == 0
    assert "Windows probe recording written" in capsys.readouterr().err
    saved = json.loads(rec.read_text(encoding="utf-8"))
    assert saved == json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert not live.exists()  # --record alone writes no snapshot
    assert _run("facts", "--record", str(rec), "-o", str(live)) == 0
    assert _run("facts", "--replay", str(rec), "-o", str(replayed)) == 0
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (live, replayed))
    assert (a.pop("mode"), b.pop("mode")) == ("local", "replay")
    for snap in (a, b):
        snap.pop("duration_ms", None)
    assert a == b and a["collected_at"] == "2026-11-22T08:00:00Z"


def test_record_needs_this_windows_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("facts", "--record", str(tmp_path / "r.json"), "--lang", "en") == 2  # this Linux machine
    err = capsys.readouterr().err.strip()
    assert err == "--record only works on Windows (it saves the output of collect.ps1's probes)."
    assert _run("facts", "--record", str(tmp_path / "r.json"), "--replay", str(FIXTURE)) == 2
    assert not (tmp_path / "r.json").exists()


def test_this_machine_is_read_through_collect_ps1_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.transport import family
    from secaudit.transport.local import LocalTransport, RootTransport
    from secaudit.transport.replay import ReplayTransport

    monkeypatch.setattr(family, "local_family", lambda: "windows")
    assert type(REAL_OPEN()) is WindowsTransport
    assert isinstance(REAL_OPEN(replay=str(FIXTURE)), ReplayTransport)  # a recording replays the same anywhere
    assert isinstance(REAL_OPEN(root="/"), RootTransport)  # a mounted disk is read as files
    monkeypatch.setattr(family, "local_family", lambda: "linux")
    assert type(REAL_OPEN()) is LocalTransport

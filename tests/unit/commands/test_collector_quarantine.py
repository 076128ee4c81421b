"""`secaudit collector quarantine list | export | purge`, and offline ingest's refusals landing there with
the file they came from."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.commands.collector import collector
from tests.unit.collector.helpers import TREE, envelope, report


def _run(*args: str, lang: str = "en") -> tuple[int, str, str]:
    result = CliRunner().invoke(collector, [*args, "--lang", lang])
    return result.exit_code, result.stdout, result.stderr


def test_ingest_refusals_are_listed_exported_and_purged(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    assert _run("init", *d)[0] == 0
    (tmp_path / "u.csv").write_text(TREE, encoding="utf-8")
    assert _run("units", "import", str(tmp_path / "u.csv"), *d)[0] == 0
    assert _run("quarantine", "list", *d)[1].strip() == "No refused envelopes."
    stranger = Ed25519PrivateKey.generate()
    usb = tmp_path / "usb"
    usb.mkdir()
    raw = envelope(stranger, report(stranger, 1))
    (usb / "pc\x1b[31m.json").write_bytes(raw)  # a hostile file name stays inert on the terminal
    assert _run("ingest", str(usb), *d)[0] == 1
    code, out, _ = _run("quarantine", "list", *d)
    assert code == 0 and "usb" in out and "unknown_key" in out and "bytes kept" in out and "\x1b" not in out
    assert "pc\\x1b[31m.json" in out
    code, out, _ = _run("quarantine", "list", "--json", *d)
    [row] = json.loads(out)
    assert row["channel"] == "usb" and row["source"].endswith(".json") and row["times"] == 1
    code, out, _ = _run("quarantine", "list", *d, lang="vi")
    assert "có giữ nội dung" in out
    target = tmp_path / "out" / "refused.json"
    code, out, err = _run("quarantine", "export", str(row["id"]), "-o", str(target), *d)
    assert code == 0, err
    assert target.read_bytes() == raw
    code, _, err = _run("quarantine", "export", "999", "-o", str(target), *d)
    assert code == 1 and "no quarantine entry #999" in err and "Traceback" not in err
    assert _run("quarantine", "purge", "--older-than", "1", *d)[1].strip() == "Deleted 0 quarantine entries."
    assert _run("quarantine", "purge", "--older-than", "0", *d)[1].strip() == "Deleted 1 quarantine entries."
    assert _run("quarantine", "list", *d)[1].strip() == "No refused envelopes."


def test_quarantine_on_a_missing_database_is_one_sentence(tmp_path: Path) -> None:
    code, _, err = _run("quarantine", "list", "--data-dir", str(tmp_path / "none"))
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1

"""`secaudit collector backup | restore | export` through click (in-process)."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from secaudit.commands.collector import collector
from tests.unit.collector.world import World, report


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(collector, [*args, "--lang", "en"])
    return result.exit_code, result.stdout, result.stderr


def test_backup_restore_export(tmp_path: Path) -> None:
    world = World(tmp_path / "d")
    world.units()
    agent = world.agent("LK01")
    payload = report(hostname="PC-LK01")
    payload["inventory"]["interfaces"] = [{"name": "eth0", "mac": "52:54:00:ab:cd:ef", "ipv4": ["10.9.0.2/24"]}]
    world.upload(agent, payload)
    world.db.dispose()
    d = ["--data-dir", str(tmp_path / "d")]

    code, out, err = _run("backup", *d, "--out", str(tmp_path / "b.db"))
    assert code == 0 and "Backed up sqlite" in out, err
    code, _, err = _run("backup", *d, "--out", str(tmp_path / "b.db"))
    assert code == 2 and "never overwrites" in err and len(err.strip().splitlines()) == 1

    code, _, err = _run("restore", *["--data-dir", str(tmp_path / "e")], str(tmp_path / "b.db"))
    assert code == 2 and "--yes" in err
    code, out, err = _run("restore", *["--data-dir", str(tmp_path / "e")], str(tmp_path / "b.db"), "--yes")
    assert code == 0 and "Restored" in out, err

    e = ["--data-dir", str(tmp_path / "e")]  # the restored copy answers like the original
    code, out, err = _run("export", "summary", *e, "--unit", "DN", "-o", str(tmp_path / "s.xlsx"))
    assert code == 0, err
    book = load_workbook(io.BytesIO((tmp_path / "s.xlsx").read_bytes()))
    assert book.sheetnames == ["Units", "Requirements", "Hosts"]
    assert [c.value for c in book["Hosts"]["A"]] == ["Hostname", "PC-LK01"]
    code, _, err = _run("export", "inventory", *e, "-q", "52-54-00-AB-CD-EF", "-o", str(tmp_path / "i.csv"))
    assert code == 0, err
    assert "PC-LK01" in (tmp_path / "i.csv").read_text(encoding="utf-8-sig")
    code, _, err = _run("export", "late", *e, "-o", str(tmp_path / "l.csv"), "--as-of", "2027-07-01")
    assert code == 0, err
    late = (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    assert "DL01," in late and "LK01," not in late  # LK01 reported within Đồng Nai's year
    code, _, err = _run("export", "summary", *e, "-o", str(tmp_path / "s.pdf"))
    assert code == 2 and ".csv or .xlsx" in err
    code, _, err = _run("export", "summary", *e, "--unit", "NOPE", "-o", str(tmp_path / "s.csv"))
    assert code == 2 and "NOPE" in err

"""`secaudit scan` builds, signs and writes its report through secaudit.pipeline, in any registered format,
and shows its phases through the one progress interface (a failed ARP sweep is a note on stderr)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secaudit import pipeline
from secaudit.network import arp
from tests.unit import test_network_cli as net
from tests.unit.test_network_cli import Fake, invoke

fake, files = net.fake, net.files  # the scan tests' fixtures: a fake lab (ARP, nmap, names) and its config


def test_scan_builds_through_the_pipeline_in_any_format(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = pipeline.build_report

    def build(snapshot: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(sorted(snapshot.tables)[0])
        return real(snapshot, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_report", build)
    out = tmp_path / "scan.csv"
    result = invoke("--config", str(files["config"]), "--known", str(files["known"]), "--format", "csv",
                    "-o", str(out), "--no-sign", "--lang", "en")
    assert result.exit_code == 1, result.output  # telnet: a fail
    assert built == ["devices"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbfhost,check_id")


def test_a_failed_sweep_is_a_progress_note(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(iface: str, addresses: list[str], timeout: float = 1.0) -> dict[str, str]:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(arp, "arp_sweep", broken)
    result = invoke("--config", str(files["config"]), "--known", str(files["known"]), "--format", "json",
                    "-o", str(tmp_path / "s.json"), "--no-sign", "--lang", "en")
    assert result.exit_code in (0, 1), result.output
    assert "eth0" in result.stderr and "Operation not permitted" in result.stderr

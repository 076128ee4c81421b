"""Whatever powershell.exe prints (a truncated document, another program's output, a hostile recording), the
live Windows transport gives a validated recording or one CommandFailed sentence, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import example, given

from secaudit.transport.base import CommandFailed
from secaudit.transport.windows import parse_recording
from tests.hostile.fuzzkit import FUZZ, mutated_bytes

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "windows" / "win11-healthy.json"
DOC = json.dumps(json.loads(FIXTURE.read_text(encoding="utf-8")), separators=(",", ":")).encode("ascii")
SEEDS = (DOC[:4000], b'{"schema":"secaudit.recording/v1","probes":{"os":{"rc":0,"stdout":"x","stderr":""}}}',
         b"\xef\xbb\xbf" + DOC[:600], b"[" * 100000)


@FUZZ
@given(mutated_bytes(SEEDS), mutated_bytes((b"", b"Access is denied.\r\n", "L\u1ed7i\r\n".encode())))
@example(b"[" * 100000, b"")
@example(b'{"schema":"secaudit.recording/v1","probes":{"os":{"rc":true}}}', b"")
@example(b'{"schema":"secaudit.recording/v1","collected_at":"2026-02-30T00:00:00Z","probes":{}}', b"")
def test_collect_output(out: bytes, err: bytes) -> None:
    try:
        doc = parse_recording(out, err, 0)
    except CommandFailed as exc:
        assert exc.detail.startswith("collect.ps1: ") and "\n" not in exc.detail.strip()
        return
    assert doc["family"] == "windows" and isinstance(doc["probes"], dict)

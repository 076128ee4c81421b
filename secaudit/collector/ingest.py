"""Offline ingest: envelopes brought on USB or by e-mail, through exactly the decision procedure of an upload.

`collector ingest DIR` (or files): every `*.json` and `*.jsonl` under DIR (links to directories are not
followed; receipts `*.receipt.json` are skipped), one envelope per file or per line of a .jsonl file; a .zip
(as e-mail brings them) is read member by member the same way, in memory, each member under the envelope cap.
Each gets a verdict: accepted, duplicate (already stored: the original receipt), or refused with the reason.
With `--receipts OUT`, each stored report's receipt (signed by the collector, collector/receipts.py) is
written to OUT as `<envelope file name>.receipt.json`, for the school to keep as its proof of submission.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secaudit import inputs
from secaudit.collector import upload
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError
from secaudit.errors import SecauditError
from secaudit.fsutil import create_unique, safe_name, write_error
from secaudit.limits import ENVELOPE

MAX_FILES = 100_000
ZIP_CAP = 512 * 1024 * 1024  # a month of a province's reports by e-mail fits many times over
MAX_LINES = 10_000


class IngestError(SecauditError):
    """The ingest source cannot be read at all (exit 2)."""


@dataclass(frozen=True)
class Verdict:
    source: str
    verdict: str  # accepted | duplicate | conflict | refused
    vi: str
    en: str
    report_id: int | None = None
    receipt: dict[str, Any] | None = None


def _files(paths: list[str]) -> Iterator[Path]:
    count = 0
    for given in paths:
        root = Path(given)
        if root.is_dir():
            for directory, dirs, names in os.walk(root):
                dirs.sort()
                for name in sorted(names):
                    if not _wanted(name):
                        continue
                    count += 1
                    if count > MAX_FILES:
                        return
                    yield Path(directory) / name
        elif root.exists() or root.is_symlink():
            yield root
        else:
            raise IngestError(f"Không có tệp hoặc thư mục {given}.", f"There is no file or directory {given}.")


def _wanted(name: str) -> bool:
    return name.endswith((".json", ".jsonl", ".zip")) and not name.endswith(".receipt.json")


def _lines(source: str, raw: bytes, jsonl: bool) -> Iterator[tuple[str, bytes | SecauditError]]:
    if not jsonl:
        yield source, raw
        return
    for number, line in enumerate(raw.splitlines()[:MAX_LINES], 1):
        if line.strip():
            yield f"{source}:{number}", line


def _zip_refused(source: str, vi: str, en: str) -> tuple[str, SecauditError]:
    return source, IngestError(f"Không đọc được {vi}.", f"Cannot read {en}.")


def _zip_members(path: Path) -> Iterator[tuple[str, bytes | SecauditError]]:
    """The envelopes of a .zip an e-mail brought (.json and .jsonl members, never extracted to disk): each
    member read under the envelope cap whatever its header claims, so a compression bomb is refused."""
    try:
        data = inputs.read_bytes(path, ZIP_CAP, "zip", passthrough=())
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted((i for i in archive.infolist() if not i.is_dir() and _wanted(i.filename)
                          and not i.filename.endswith(".zip")), key=lambda i: i.filename)[:MAX_FILES]
    except SecauditError as exc:
        yield str(path), exc
        return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        yield _zip_refused(str(path), f"tệp zip {path} ({exc})", f"the zip file {path} ({exc})")
        return
    for info in members:
        source = f"{path}!{info.filename}"
        try:
            with archive.open(info) as member:
                raw = member.read(ENVELOPE + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError,
                zlib.error) as exc:  # damaged, encrypted, an unknown compression
            yield _zip_refused(source, f"mục {info.filename} trong tệp zip ({exc})",
                               f"the member {info.filename} of the zip file ({exc})")
            continue
        if len(raw) > ENVELOPE:
            big = upload.too_large()
            yield source, IngestError(big.vi, big.en)
            continue
        yield from _lines(source, raw, info.filename.endswith(".jsonl"))


def _envelopes(path: Path) -> Iterator[tuple[str, bytes | SecauditError]]:
    if path.suffix == ".zip":
        yield from _zip_members(path)
        return
    try:
        raw = inputs.read_bytes(path, ENVELOPE, "envelope", passthrough=())
    except SecauditError as exc:
        yield str(path), exc
        return
    yield from _lines(str(path), raw, path.suffix == ".jsonl")


def _verdict(db: Database, source: str, raw: bytes) -> Verdict:
    try:
        outcome = upload.receive(db, raw, "usb", source)
    except ApiError as exc:
        return Verdict(source, "refused", exc.vi, exc.en)
    body = outcome.body.get("receipt", outcome.body)
    kept = {"receipt": body}
    what_vi = f"báo cáo {body['report_id']} (máy {body['agent_id']}, số {body['sequence']}, đơn vị {body['unit']})"
    what_en = f"report {body['report_id']} (agent {body['agent_id']}, sequence {body['sequence']}, unit {body['unit']})"
    if outcome.status == 201:
        return Verdict(source, "accepted", "nhận " + what_vi, "accepted " + what_en, outcome.report_id, **kept)
    if outcome.status == 200:
        return Verdict(source, "duplicate", "đã có: " + what_vi, "already stored: " + what_en, outcome.report_id,
                       **kept)
    error = outcome.body["error"]["message"]
    return Verdict(source, "conflict", error["vi"], error["en"], outcome.report_id, **kept)


def ingest(db: Database, paths: list[str]) -> Iterator[Verdict]:
    """Verdicts, one per envelope, as they are decided (each stored report is committed before its verdict)."""
    for path in _files(paths):
        for source, item in _envelopes(path):
            if isinstance(item, SecauditError):
                yield Verdict(source, "refused", item.vi, item.en)
            else:
                yield _verdict(db, source, item)


def refused(verdict: Verdict) -> bool:
    return verdict.verdict in ("refused", "conflict")


def write_receipt(directory: Path, verdict: Verdict) -> Path | None:
    """`<envelope file>.receipt.json` (`<file>-<line>` for a line of a .jsonl) in `directory`, never over
    another file (then -2, -3...); None when the verdict has no receipt."""
    if verdict.receipt is None:
        return None
    stem = safe_name(Path(verdict.source).name.replace(":", "-"), "report", 200)  # x.jsonl:3 -> x.jsonl-3
    data = (json.dumps(verdict.receipt, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    try:
        return create_unique(directory, stem, ".receipt.json", data)
    except OSError as exc:
        raise write_error(directory, exc) from None

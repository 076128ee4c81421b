"""Offline ingest: files and .jsonl lines through the upload procedure, verdicts with reasons."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.collector.db import Database
from secaudit.collector.enroll import enroll
from secaudit.collector.ingest import ingest, refused
from tests.unit.collector.helpers import enroll_request, envelope, new_db, report, token


def _enrolled(tmp_path: Path) -> tuple[Database, Ed25519PrivateKey]:
    """A SQLite collector with one agent enrolled in unit TH2."""
    db = new_db(tmp_path / "db")
    key = Ed25519PrivateKey.generate()
    enroll(db, enroll_request(key, token(db, "TH2")))
    return db, key


def test_verdicts(tmp_path: Path) -> None:
    db, key = _enrolled(tmp_path)
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "1.secaudit.json").write_bytes(envelope(key, report(key, 1)))
    lines = envelope(key, report(key, 2)).strip() + b"\n\n" + envelope(key, report(key, 3, seed=5)).strip() + b"\n"
    (usb / "batch.secaudit.jsonl").write_bytes(lines + b"garbage\n")
    (usb / "conflict.json").write_bytes(envelope(key, report(key, 1, seed=7)))
    (usb / "notes.txt").write_text("ignored")
    (usb / "x.receipt.json").write_text("{}")
    os.mkfifo(usb / "fifo.json")
    verdicts = {v.source.replace(str(usb) + "/", ""): v for v in ingest(db, [str(usb)])}
    assert {k: v.verdict for k, v in verdicts.items()} == {
        "1.secaudit.json": "accepted", "batch.secaudit.jsonl:1": "accepted", "batch.secaudit.jsonl:3": "accepted",
        "batch.secaudit.jsonl:4": "refused", "conflict.json": "conflict", "fifo.json": "refused"}
    assert "not a regular file" in verdicts["fifo.json"].en or "regular" in verdicts["fifo.json"].en
    assert refused(verdicts["conflict.json"]) and not refused(verdicts["1.secaudit.json"])
    again = list(ingest(db, [str(usb / "1.secaudit.json")]))
    assert [v.verdict for v in again] == ["duplicate"] and "already stored" in again[0].en


def test_a_zip_from_email_member_by_member(tmp_path: Path) -> None:
    import zipfile

    from secaudit.limits import ENVELOPE

    db, key = _enrolled(tmp_path)
    mail = tmp_path / "mail"
    mail.mkdir()
    with zipfile.ZipFile(mail / "bao-cao-thang-11.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../etc/a.secaudit.json", envelope(key, report(key, 1)))  # a name, never a path
        archive.writestr("lo/b.secaudit.jsonl", envelope(key, report(key, 2)).strip() + b"\n")
        archive.writestr("bomb.json", b" " * (ENVELOPE + 10))  # deflates to a few KB
        archive.writestr("readme.txt", "ignored")
        archive.writestr("x.receipt.json", "{}")
    (mail / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    verdicts = {v.source.replace(str(mail) + "/", ""): v for v in ingest(db, [str(mail)])}
    assert {k: v.verdict for k, v in verdicts.items()} == {
        "bao-cao-thang-11.zip!../../etc/a.secaudit.json": "accepted", "bao-cao-thang-11.zip!bomb.json": "refused",
        "bao-cao-thang-11.zip!lo/b.secaudit.jsonl:1": "accepted", "broken.zip": "refused"}
    assert "too large" in verdicts["bao-cao-thang-11.zip!bomb.json"].en
    assert "Cannot read the zip file" in verdicts["broken.zip"].en and len(verdicts["broken.zip"].en.splitlines()) == 1
    assert not (tmp_path / "etc").exists()

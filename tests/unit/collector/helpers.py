"""Test helpers for the collector: a migrated database with a unit tree, agents' keys, signed requests."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from secaudit.collector import migrate, tokens, units
from secaudit.collector.db import Database, database_url
from secaudit.report.sample import sample_report
from secaudit.sign.dsse import canonical_bytes, sign
from secaudit.sign.ids import agent_id
from secaudit.sign.payload_types import REPORT_TYPE

ENROLL_TYPE = "application/vnd.secaudit.enroll.v1+json"

TREE = """code,name,parent,level,playbook
DN,Sở GDĐT Đồng Nai,,province,dong-nai-2026
BH,Phòng GDĐT Biên Hòa,DN,district,bien-hoa-2024-2025
TH1,Trường Tiểu học Số 1,BH,school,
TH2,Trường THCS Nguyễn Du,BH,school,
LK,Phòng GDĐT Long Khánh,DN,district,
TH3,Trường THPT Long Khánh,LK,school,
DL,Sở GDĐT Đắk Lắk,,province,dak-lak-2026
TH9,Trường THCS Buôn Ma Thuột,DL,school,
"""


def new_db(directory: Path, url: str | None = None, tree: str = TREE) -> Database:
    db = Database.open(url or database_url(directory, None), create_dir=True)
    migrate.upgrade(db.engine)
    with db.write() as session:
        units.import_units(session, units.parse_csv(tree, "tree.csv"), "tree.csv", "tree.csv")
    return db


def token(db: Database, unit: str, uses: int = 1, **kw: Any) -> str:
    with db.write() as session:
        return tokens.create(session, unit, uses=uses, **kw).token


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def enroll_request(key: Ed25519PrivateKey, tok: str, agent: str | None = None, signer: Ed25519PrivateKey | None = None,
                   **extra: Any) -> bytes:
    payload = {"schema": "secaudit.enroll/v1", "token": tok, "public_key": public_pem(key),
               "agent_id": agent or agent_id(key.public_key()),
               "host": {"hostname": "pc-01", "os": "Debian 12", "machine_id_sha256": "ab" * 32,
                        "macs": ["52:54:00:12:34:56"]},
               "nonce": base64.b64encode(os.urandom(16)).decode(), "created_at": "2026-12-05T21:00:00Z", **extra}
    return sign(canonical_bytes(payload), ENROLL_TYPE, signer or key)


def report(key: Ed25519PrivateKey, sequence: int, agent: str | None = None, findings: int = 8, seed: int = 0,
           **kw: Any) -> dict[str, Any]:
    payload = sample_report(findings, seed=seed, software=20, **kw)
    payload["sequence"] = sequence
    payload["host"]["agent_id"] = agent or agent_id(key.public_key())
    return payload


def envelope(key: Ed25519PrivateKey, payload: dict[str, Any], payload_type: str = REPORT_TYPE) -> bytes:
    return sign(canonical_bytes(payload), payload_type, key)

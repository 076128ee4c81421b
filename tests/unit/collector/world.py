"""A collector database for unit tests: units from CSV text, agents with real keys, signed uploads through
the real upload path (upload.receive), synthetic or real report payloads."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from secaudit.collector import migrate, upload, users
from secaudit.collector import units as units_mod
from secaudit.collector.db import Database
from secaudit.collector.models import Agent, AgentKey, Unit
from secaudit.report.sample import sample_report
from secaudit.sign import REPORT_TYPE, dsse, ids

PG_ENV = "SECAUDIT_TEST_COLLECTOR_PG"  # an existing PostgreSQL server to use instead of the throwaway one
DB_KINDS = ["sqlite", "postgresql"]


def url_for(kind: str) -> str | None:
    """None (SQLite in the test's directory), or a fresh database on the throwaway PostgreSQL cluster of
    tests/integration/pg.py (or on the server SECAUDIT_TEST_COLLECTOR_PG names)."""
    from tests.integration import pg

    return pg.url_for(kind)



TREE = """code,name,parent,level,playbook
DN,Sở GDĐT Đồng Nai,,province,dong-nai-2026
BH,Phòng GDĐT Biên Hòa,DN,district,bien-hoa-2024-2025
BH01,Trường TH Biên Hòa 1,BH,school,
BH02,Trường TH Biên Hòa 2,BH,school,
LK,Phòng GDĐT Long Khánh,DN,district,
LK01,Trường THCS Long Khánh,LK,school,
DL,Sở GDĐT Đắk Lắk,,province,dak-lak-2026
DL01,Trường THPT Buôn Ma Thuột,DL,school,
"""


@dataclass
class FakeAgent:
    key: Ed25519PrivateKey
    agent_id: str
    pk: int
    sequence: int = 0


class World:
    def __init__(self, tmp_path: Path, url: str | None = None) -> None:
        self.db = Database.open(url or f"sqlite:///{tmp_path}/collector.db", create_dir=True)
        migrate.upgrade(self.db.engine)

    def units(self, text: str = TREE) -> None:
        with self.db.write() as session:
            units_mod.import_units(session, units_mod.parse_csv(text, "units.csv"), "units.csv", "units.csv")

    def user(self, role: str, scope: str) -> str:
        with self.db.write() as session:
            return users.add(session, f"{role}-{scope}-{uuid.uuid4().hex[:6]}", role, scope).token

    def agent(self, unit: str) -> FakeAgent:
        key = Ed25519PrivateKey.generate()
        pub = key.public_key()
        pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        with self.db.write() as session:
            unit_id = session.scalars(select(Unit.id).where(Unit.code == unit)).one()
            agent = Agent(agent_id=ids.agent_id(pub), unit_id=unit_id, status="active")
            session.add(agent)
            session.flush()
            session.add(AgentKey(key_id=ids.key_id(pub), agent_pk=agent.id, public_key=pem))
            pk = agent.id
        return FakeAgent(key, ids.agent_id(pub), pk)

    def move_agent(self, agent: FakeAgent, unit: str) -> None:
        with self.db.write() as session:
            row = session.get(Agent, agent.pk)
            assert row is not None
            row.unit_id = session.scalars(select(Unit.id).where(Unit.code == unit)).one()

    def envelope(self, agent: FakeAgent, payload: dict[str, Any], sequence: int | None = None) -> bytes:
        payload = copy.deepcopy(payload)
        if sequence is None:
            agent.sequence += 1
            sequence = agent.sequence
        payload["sequence"] = sequence
        payload["report_id"] = str(uuid.uuid4())
        payload["host"]["agent_id"] = agent.agent_id
        return dsse.sign(dsse.canonical_bytes(payload), REPORT_TYPE, agent.key)

    def upload(self, agent: FakeAgent, payload: dict[str, Any], sequence: int | None = None) -> upload.Outcome:
        return upload.receive(self.db, self.envelope(agent, payload, sequence))


def report(*, hostname: str = "PC-01", generated_at: str = "2026-06-05T02:30:00Z", software: int = 50,
           playbook: str = "dong-nai-2026", seed: int = 0, findings: int = 20) -> dict[str, Any]:
    payload = sample_report(findings, hostname=hostname, generated_at=generated_at, software=software, seed=seed)
    payload["playbook"]["id"] = playbook
    return payload


def with_attestation(payload: dict[str, Any], answer: str = "yes") -> dict[str, Any]:
    """`payload` with the school's answer to `gov.officer` (requirement VN-GOV-02, the only one of clause
    II.6.c of Đồng Nai 2026), as the agent's builder writes it (secaudit.report.attestations): the
    `attestations` section and the requirement `attested` for "yes", `fail` for "no"."""
    out = copy.deepcopy(payload)
    status = "attested" if answer == "yes" else "fail"
    out["requirements"].append({"id": "VN-GOV-02", "clause": "II.6.c",
                                "title": {"vi": "Cán bộ đầu mối", "en": "Focal person"}, "status": status,
                                "checks": [], "attestations": ["gov.officer"]})
    out["summary"][status] = out["summary"].get(status, 0) + 1
    out["attestations"] = [{"id": "gov.officer", "requirements": ["VN-GOV-02"],
                            "question": {"vi": "Có cán bộ đầu mối?", "en": "A focal person?"},
                            "evidence": {"vi": "Quyết định phân công", "en": "The appointment decision"},
                            "status": "attested", "answer": answer, "answered_by": "Cô Bình, Phó Hiệu trưởng",
                            "answered_at": "2026-06-01T00:00:00Z", "expires_at": "2027-06-01T00:00:00Z",
                            "document": "Quyết định 15/QĐ-THCS" if answer == "yes" else ""}]
    return out


def all_pass(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with every check and requirement passing (a healthy host)."""
    out = copy.deepcopy(payload)
    for row in (*out["findings"], *out["requirements"]):
        row["status"] = "pass"
    out["summary"].update(dict.fromkeys(("warn", "fail", "unknown", "not_applicable", "error"), 0),
                          **{"pass": len(out["requirements"]), "score": 100})
    return out


def scan_report(devices: list[dict[str, Any]], *, hostname: str = "SCANNER",
                generated_at: str = "2026-06-05T02:30:00Z") -> dict[str, Any]:
    payload = sample_report(0, hostname=hostname, generated_at=generated_at, software=0)
    payload["playbook"] = {"id": "network", "version": "1", "sha256": "0" * 64, "title": {"vi": "x", "en": "x"}}
    payload["requirements"], payload["findings"] = [], []
    payload["inventory"] = {"devices": devices}
    return payload


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

"""A seeded collector for the dashboard's tests: the unit tree of world.TREE, web users with passwords, and
reports uploaded through the real upload path: three REAL audits (`secaudit audit --replay` of the Windows
recordings in tests/fixtures/windows: one with failing findings, one healthy, one server), a synthetic one in
another province, a LAN scan with a camera's MAC, and older reports backdated to give the trend months.

`seed(db)` works on any migrated database (a TestClient app, or the data directory of a real uvicorn);
`Dashboard` adds a TestClient and logged-in clients per user."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from secaudit.collector import index, users
from secaudit.collector.db import Database
from secaudit.collector.index_models import Host
from secaudit.collector.models import Report, User, utcnow
from secaudit.collector.web import auth
from tests.unit.collector.world import World, report, scan_report

RECORDINGS = Path(__file__).resolve().parents[3] / "fixtures" / "windows"
PASSWORD = "mật khẩu đủ dài 2026"  # non-ASCII on purpose (NFC)
# user name -> (role, scope unit)
USERS = {"admin": ("admin", "DN"), "officer-bh": ("officer", "BH"), "responder-dl": ("responder", "DL"),
         "officer-lk": ("officer", "LK")}
# unit -> (recording audited for it: a real report, the hostname it is given: the recordings share one)
REAL = {"BH01": ("win11-guest-enabled.json", "BH01-GV07"), "BH02": ("win11-healthy.json", "BH02-KETOAN"),
        "LK01": ("server2022-no-sc2.json", "LK01-SRV")}
CAMERA_MAC = "AA:BB:CC:00:11:22"


@cache
def real_payload(recording: str) -> str:
    """The JSON payload of `secaudit audit --replay RECORDING` (unsigned: the test's agent key signs it)."""
    out = Path(tempfile.mkdtemp(prefix="secaudit-dashboard-")) / "report.json"
    done = subprocess.run([sys.executable, "-m", "secaudit", "audit", "--replay", str(RECORDINGS / recording),
                           "--format", "json", "-o", str(out), "--no-sign", "--lang", "en"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr
    return out.read_text(encoding="utf-8")


REAL_HASHER = auth._hasher  # captured before conftest swaps in cheap_hasher


def cheap_hasher() -> Any:
    """argon2id with tiny costs, for tests that log in many times (the real cost is ~0.5 s a login)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Seeded:
    hosts: dict[str, int] = field(default_factory=dict)  # hostname -> host id
    reports: dict[str, int] = field(default_factory=dict)  # hostname -> latest report id
    failing_host: str = ""  # the hostname of the real audit with failing findings
    failing_check: str = ""  # one failing check id on it
    camera_mac: str = CAMERA_MAC


def seed(world: World, password: str = PASSWORD) -> Seeded:
    world.units()
    with world.db.write() as session:
        for name, (role, scope) in USERS.items():
            users.add(session, name, role, scope)
            user = session.scalar(select(User).where(User.name == name))
            assert user is not None
            auth.set_password(session, user, password)
    agents = {code: world.agent(code) for code in ("BH01", "BH02", "LK01", "DL01")}
    out = Seeded()
    for code, (recording, hostname) in REAL.items():
        payload = json.loads(real_payload(recording))
        payload["unit"] = {"code": code, "name": code}
        payload["host"]["hostname"] = hostname
        if code == "BH01":  # two older reports of the same host: the trend's earlier months
            for months_ago in (2, 1):
                outcome = world.upload(agents[code], payload)
                _backdate(world.db, outcome.report_id, months_ago)
        world.upload(agents[code], payload)
        if any(f.get("status") == "fail" for f in payload["findings"]) and not out.failing_host:
            out.failing_host = payload["host"]["hostname"]
            out.failing_check = next(f["check_id"] for f in payload["findings"] if f["status"] == "fail")
    world.upload(agents["DL01"], report(hostname="PC-DL01", playbook="dak-lak-2026", seed=3))
    world.upload(agents["BH01"], scan_report([{"ip": "10.0.0.77", "mac": CAMERA_MAC.replace(":", "-"),
                                               "vendor": "Hikvision", "names": ["camera-cong-truong"],
                                               "open_ports": [{"port": 554, "proto": "tcp", "service": "rtsp"}]}]))
    with world.db.read() as session:
        for host in session.scalars(select(Host)):
            out.hosts[host.hostname] = host.id
            if host.last_report_id:
                out.reports[host.hostname] = host.last_report_id
    return out


def _backdate(db: Database, report_id: int | None, months: int) -> None:
    assert report_id is not None
    with db.write() as session:
        session.execute(update(Report).where(Report.id == report_id)
                        .values(received_at=utcnow() - timedelta(days=31 * months)))
        index.rebuild_months(session)


class Dashboard:
    """The app on a seeded database, a TestClient, and `login(name)` for a client with a session."""

    def __init__(self, tmp_path: Path, url: str | None = None) -> None:
        from secaudit.collector.app import create_app

        self.world = World(tmp_path, url)
        self.db = self.world.db
        self.seeded = seed(self.world)
        self.app = create_app(self.db)
        self._clients: list[TestClient] = []

    def client(self) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        self._clients.append(client)
        return client

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        response = login(client, name, password)
        assert response.status_code == 303, response.text
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.db.dispose()


def login(client: TestClient, name: str, password: str, next_path: str = "/") -> Any:
    """GET /login for the form's CSRF token (and its cookie), then POST the form."""
    form = client.get("/login")
    assert form.status_code == 200
    token = csrf_of(form.text)
    return client.post("/login", data={"csrf": token, "name": name, "password": password, "next": next_path})


def csrf_of(html: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)

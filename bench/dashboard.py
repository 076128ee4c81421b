"""The dashboard's page times on this machine (target machine: 2 cores) over a generated province of 10,000
units x 10 hosts: bench/collector.py's database (one school's real reports through the upload path, their
rows replicated to every school, rollups summed up the tree), a web user of the province logged in through
the login form (real argon2id), then each page rendered through the whole app in-process (session lookup,
scoping, queries, template, audit-log row): the time from request to the last byte, median of 5.
Target < 300 ms for the overview and search pages.

Usage: python bench/dashboard.py [--units 10000] [--hosts 10] [--db-on sqlite|postgresql] [--sample]
  --sample uses synthetic reports (secaudit.report.sample) instead of auditing this machine first.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_MS = 300
PASSWORD = "mật khẩu của phép đo 2026"


def _collector_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_collector", REPO / "bench" / "collector.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(client: Any, path: str, runs: int = 5) -> tuple[float, int]:
    first = client.get(path)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        response.read()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, first.status_code


def pages(db: Any, units: int, hosts: int, tree_csv: Any, payload: dict[str, Any]) -> list[tuple[str, str, float,
                                                                                                int]]:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from secaudit.collector import users
    from secaudit.collector.app import create_app
    from secaudit.collector.index_models import Host
    from secaudit.collector.models import User
    from secaudit.collector.web import auth

    with db.write() as s:
        users.add(s, "bench-officer", "officer", "DN")
        user = s.scalars(select(User).where(User.name == "bench-officer")).one()
        auth.set_password(s, user, PASSWORD)
    client = TestClient(create_app(db), follow_redirects=False)
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post("/login", data={"csrf": token.group(1), "name": "bench-officer", "password": PASSWORD})
    assert done.status_code == 303, done.text[:300]
    _, districts, schools = tree_csv(units)
    school = schools * 7 // 16
    host = school * hosts + 3
    mac = f"02:5b:{host >> 16 & 255:02x}:{host >> 8 & 255:02x}:{host & 255:02x}:00"
    software = next((p for p in payload["inventory"]["software"] if p.get("version")), {"name": "bash", "version": ""})
    port = (payload["inventory"].get("listening_ports") or [{"port": 22}])[0].get("port", 22)
    with db.read() as s:
        host_id = s.scalar(select(Host.id).where(Host.hostname == f"PC-S{school:05d}-03"))
    rows = [
        (f"overview / (province: {districts} districts, {schools * hosts} hosts)", "/"),
        ("unit page, a district (~100 schools)", f"/units/D{districts // 2:03d}"),
        (f"unit page, a school ({hosts} hosts)", f"/units/S{school:05d}"),
        ("search hostname", f"/search?q=PC-S{school:05d}-03"),
        ("search MAC", f"/search?q={mac}"),
        ("search software@version", f"/search?q=sw:{software['name']}@{software['version']}"),
        ("search port (first 100)", f"/search?q=port:{port}"),
        ("device page of a MAC", f"/devices/{mac}"),
        ("host page (findings with evidence)", f"/hosts/{host_id}"),
    ]
    out = []
    for label, path in rows:
        ms, status = timed(client, path)
        out.append((label, path, ms, status))
    client.close()
    return out


def main() -> int:
    warnings.filterwarnings("ignore", message=".*httpx.*")  # starlette's TestClient on httpx
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=10, help="hosts per school")
    parser.add_argument("--db-on", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sample", action="store_true", help="synthetic reports instead of real audits")
    args = parser.parse_args()
    bench = _collector_bench()
    work = Path(tempfile.mkdtemp(prefix="secaudit-bench-dashboard-"))
    cluster = None
    try:
        print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
              f"{platform.freedesktop_os_release().get('PRETTY_NAME', '')}, date {datetime.now(UTC):%Y-%m-%d}")
        if args.sample:
            from secaudit.report.sample import sample_report

            payloads = [sample_report(200, hostname=f"PC-{i}", seed=i, software=400) for i in range(2)]
        else:
            payloads = bench.real_payloads(work)
        url = None
        if args.db_on == "postgresql":
            from tests.integration import pg

            cluster = pg.Cluster(Path(tempfile.mkdtemp(prefix="secaudit-bench-pg-"))).start()
            url = cluster.create_database("dashboard")
        start = time.perf_counter()
        db = bench.fabricate(url, payloads, args.units, args.hosts, work / "db")
        print(f"dashboard pages ({args.db_on}) over {args.units} units x {args.hosts} hosts (built in "
              f"{time.perf_counter() - start:.0f} s), request to last byte in-process, median of 5:")
        for label, path, ms, status in pages(db, args.units, args.hosts, bench.tree_csv, payloads[0]):
            flag = "" if status == 200 else f" [HTTP {status}]"
            print(f"  {label:<58} {ms:7.1f} ms (target < {TARGET_MS}){flag}   {path}")
        db.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

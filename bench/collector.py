"""The collector's figures on this machine (target machine: 2 cores), with reports from real audits:
`secaudit audit` of this machine (a Debian server: ~300 KB of JSON, 700+ packages) and of the planted test
root (tests/integration/test_planted_root.py), each agent's copy with its own hostname, interfaces, sequence
and month, signed by its own key.

1. Ingest rate over HTTP: `secaudit collector serve` on loopback; N concurrent uploaders (keep-alive, gzip
   bodies prepared beforehand) send every envelope once; reports/s = accepted / wall time.
   The first report of each agent is sent before the clock starts (it warms the server's code paths up).
   - SQLite (--data-dir, WAL, synchronous=FULL), one process.      Target >= 300 reports/s.
   - PostgreSQL (a throwaway cluster, tests/integration/pg.py), two processes on one database, the
     uploaders split between them.                                   Target >= 500 reports/s.
   - The floor: the same uploaders against bench/floor_server.py, which only verifies and appends (same
     framework, verification and durability, nothing indexed): SQLite with 1 and 2 processes, PostgreSQL
     with 2. Its rate is the most any collector could acknowledge on this machine; the ratio says how far
     secaudit is from it.
2. Stored bytes per report: 12 monthly reports of the same unchanged host (this machine's report) through the
   upload path into SQLite: database growth per report after the first.   Target < 50 KB.
3. Queries over 10,000 units x 10 hosts (a province, 99 districts, 9,900 schools; 99,000 hosts with their
   latest report): one school's 10 real reports go through the upload path, then their rows are replicated to
   every school (new ids, hostnames, interfaces with their own MAC and IP; rollups summed up the tree), and
   the summary of the province, of a district and of a school, and inventory searches (hostname, MAC, IP,
   software@version, port, antivirus) are timed in-process (median of 5).   Target < 100 ms each.

Usage: python bench/collector.py [--agents 20] [--reports 25] [--units 10000] [--skip-pg] [--skip-ingest]
                                [--skip-queries] [--queries-on sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from secaudit.sign.ids import agent_id  # noqa: E402
from tests.unit.collector.helpers import enroll_request, envelope, public_pem  # noqa: E402

DSSE = {"Content-Type": "application/vnd.secaudit.dsse+json", "Content-Encoding": "gzip"}
INGEST_TARGET = {"sqlite": 300, "postgresql": 500}
QUERY_TARGET_MS, STORED_TARGET_KB = 100, 50


# --- reports from real audits -------------------------------------------------------------------

def real_payloads(work: Path) -> list[dict[str, Any]]:
    """The JSON reports of `secaudit audit` of this machine and of the planted test root."""
    from tests.conftest import write_tree
    from tests.integration.test_planted_root import PLANTED

    planted = write_tree(work / "planted", dict(PLANTED))  # type: ignore[arg-type]
    out = []
    for name, extra in (("self", []), ("planted", ["--root", str(planted)])):
        target = work / f"{name}.json"
        subprocess.run([sys.executable, "-m", "secaudit", "audit", *extra, "--format", "json", "-o", str(target),
                        "--no-sign"], env={**os.environ, "SECAUDIT_STATE_DIR": str(work / "state")},
                       capture_output=True, check=False, timeout=600)
        out.append(json.loads(target.read_text(encoding="utf-8")))
    return out


def vary(payload: dict[str, Any], key: Ed25519PrivateKey, host: int, sequence: int, hostname: str) -> dict[str, Any]:
    """This agent's report number `sequence` (one a month): its own host name, interfaces, id and month."""
    report = copy.deepcopy(payload)
    report["report_id"] = str(uuid.uuid4())
    report["sequence"] = sequence
    month = (sequence - 1) % 12 + 1
    report["generated_at"] = report["facts_collected_at"] = f"{2025 + (sequence - 1) // 12}-{month:02d}-05T02:30:00Z"
    report["host"]["agent_id"] = agent_id(key.public_key())
    report["host"]["hostname"] = hostname
    for i, iface in enumerate(report.get("inventory", {}).get("interfaces") or []):
        if iface.get("mac") and iface["mac"] != "00:00:00:00:00:00":
            iface["mac"] = f"02:5a:{host >> 16 & 255:02x}:{host >> 8 & 255:02x}:{host & 255:02x}:{i:02x}"
            iface["ipv4"] = [f"10.{host >> 8 & 255}.{host & 255}.{10 + i}/24"]
    return report


# --- a collector process ------------------------------------------------------------------------

def cli(args: list[str]) -> str:
    done = subprocess.run([sys.executable, "-m", "secaudit", "collector", *args], capture_output=True, text=True,
                          check=False, timeout=600, env={**os.environ, "SECAUDIT_LANG": "en"})
    if done.returncode != 0:
        raise SystemExit(f"collector {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db_args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "secaudit", "collector", "serve", *db_args, "--listen",
                             f"127.0.0.1:{port}", "--log-level", "warning"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    return proc, wait_up(proc, f"http://127.0.0.1:{port}")


def wait_up(proc: subprocess.Popen[bytes], url: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the server for {url} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


UNITS_CSV = "code,name,parent,level,playbook\nDN,Sở GDĐT Đồng Nai,,province,dong-nai-2026\n" + "".join(
    f"S{i:02d},Trường {i},DN,school,\n" for i in range(20))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux /proc), those gone or unreadable counted as 0."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_pids() -> list[int]:
    done = subprocess.run(["ps", "-u", "postgres", "-o", "pid="], capture_output=True, text=True, check=False)
    return [int(p) for p in done.stdout.split()]


def drive(urls: list[str], bodies: list[list[bytes]], watched: dict[str, list[int]]) -> tuple[int, float]:
    """(reports accepted, seconds): one thread per agent sends its bodies in order to urls[agent % len(urls)];
    the first body of each is sent before the clock starts (it warms the server up). Prints the CPU each
    report cost the watched processes and the uploaders (this process) in that time."""
    import resource

    agents = len(bodies)
    failures: list[str] = []
    ready = threading.Barrier(agents + 1)

    def upload(a: int) -> None:
        with httpx.Client(base_url=urls[a % len(urls)], timeout=120) as client:
            for i, body in enumerate(bodies[a]):
                answer = client.post("/api/v1/reports", content=body, headers=DSSE)
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                if i == 0:
                    ready.wait()

    threads = [threading.Thread(target=upload, args=(a,)) for a in range(agents)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    before = {k: cpu_seconds(v) for k, v in watched.items()}
    mine = resource.getrusage(resource.RUSAGE_SELF)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    used = {k: cpu_seconds(v) - before[k] for k, v in watched.items() if v}
    after = resource.getrusage(resource.RUSAGE_SELF)
    used["uploaders"] = after.ru_utime + after.ru_stime - mine.ru_utime - mine.ru_stime
    sent = sum(len(b) - 1 for b in bodies)
    print("  CPU a report: " + ", ".join(f"{k} {1000 * v / sent:.1f} ms ({v / elapsed:.2f} cores)"
                                         for k, v in used.items()))
    if failures:
        raise SystemExit(f"{len(failures)} uploads failed, e.g. {failures[0]}")
    return sent, elapsed


def agent_bodies(key: Ed25519PrivateKey, a: int, payloads: list[dict[str, Any]], reports: int) -> list[bytes]:
    base = payloads[a % len(payloads)]
    return [gzip.compress(envelope(key, vary(base, key, a, s, f"PC-{a:03d}")), 6) for s in range(1, reports + 1)]


def ingest(db_args: list[str], processes: int, payloads: list[dict[str, Any]], agents: int, reports: int,
           work: Path) -> tuple[int, float]:
    """(reports accepted, seconds) of `agents` x `reports` envelopes sent to `secaudit collector serve`."""
    work.mkdir(parents=True, exist_ok=True)
    cli(["init", *db_args])
    (work / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    cli(["units", "import", str(work / "units.csv"), *db_args])
    servers = [serve(db_args) for _ in range(processes)]
    try:
        bodies: list[list[bytes]] = []
        for a in range(agents):
            key = Ed25519PrivateKey.generate()
            token = cli(["tokens", "create", f"S{a % 20:02d}", *db_args])
            answer = httpx.post(servers[a % processes][1] + "/api/v1/enroll", content=enroll_request(key, token),
                                headers={"Content-Type": DSSE["Content-Type"]}, timeout=60)
            assert answer.status_code == 201, answer.text
            bodies.append(agent_bodies(key, a, payloads, reports))
        pg = any("postgresql" in a for a in db_args)
        return drive([url for _, url in servers], bodies, {"collector": [proc.pid for proc, _ in servers],
                                                           "postgresql": postgres_pids() if pg else []})
    finally:
        for proc, _ in servers:
            stop(proc)


def floor(target: str, processes: int, payloads: list[dict[str, Any]], agents: int, reports: int,
          work: Path) -> tuple[int, float]:
    """The same uploads sent to bench/floor_server.py (verify and append only) on `target`."""
    work.mkdir(parents=True, exist_ok=True)
    keys = [Ed25519PrivateKey.generate() for _ in range(agents)]
    keys_file = work / "keys.json"
    keys_file.write_text(json.dumps([public_pem(k) for k in keys]), encoding="utf-8")
    servers = []
    for _ in range(processes):
        port = free_port()
        proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "floor_server.py"), str(port), str(keys_file),
                                 target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append((proc, wait_up(proc, f"http://127.0.0.1:{port}")))
        time.sleep(0.5)  # the first one creates the table
    try:
        bodies = [agent_bodies(k, a, payloads, reports) for a, k in enumerate(keys)]
        return drive([url for _, url in servers], bodies, {"floor": [proc.pid for proc, _ in servers],
                                                           "postgresql": postgres_pids() if "postgresql" in target
                                                           else []})
    finally:
        for proc, _ in servers:
            stop(proc)


# --- stored bytes -------------------------------------------------------------------------------

def sqlite_used(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int(pages * conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def stored_per_report(payload: dict[str, Any], work: Path, months: int = 12) -> tuple[int, int, int]:
    """(envelope bytes, stored bytes of the first report, mean stored bytes of each later one)."""
    from secaudit.collector import upload
    from tests.unit.collector.helpers import new_db, token

    db = new_db(work)
    key = Ed25519PrivateKey.generate()
    from secaudit.collector import enroll as enrollment

    enrollment.enroll(db, enroll_request(key, token(db, "TH1")))
    path = work / "collector.db"
    sizes = [sqlite_used(path)]
    raw_size = 0
    for month in range(1, months + 1):
        raw = envelope(key, vary(payload, key, 1, month, "SRV-01"))
        raw_size = len(raw)
        upload.receive(db, raw)
        sizes.append(sqlite_used(path))
    db.dispose()
    later = [b - a for a, b in itertools.pairwise(sizes[1:])]
    return raw_size, sizes[1] - sizes[0], int(statistics.mean(later))


# --- queries over 10,000 units x 10 hosts -------------------------------------------------------

def tree_csv(units: int) -> tuple[str, int, int]:
    """A province, districts of 100 schools; (csv, districts, schools)."""
    schools = units - 1 - (units - 1) // 101
    districts = (units - 1) - schools
    rows = ["code,name,parent,level,playbook", "DN,Sở GDĐT Đồng Nai,,province,dong-nai-2026"]
    rows += [f"D{d:03d},Phòng GDĐT {d},DN,district," for d in range(districts)]
    rows += [f"S{s:05d},Trường {s},D{s % districts:03d},school," for s in range(schools)]
    return "\n".join(rows) + "\n", districts, schools


def fabricate(url: str, payloads: list[dict[str, Any]], units: int, hosts: int, work: Path) -> Any:
    """The database of part 3; returns it (secaudit.collector.db.Database)."""
    from sqlalchemy import func, insert, select

    from secaudit.collector import enroll as enrollment
    from secaudit.collector import index_models as im
    from secaudit.collector import models as m
    from secaudit.collector import upload
    from tests.unit.collector.helpers import new_db, token

    text, districts, schools = tree_csv(units)
    db = new_db(work, url, tree=text)
    for h in range(hosts):  # the template school S00000: real reports through the upload path
        key = Ed25519PrivateKey.generate()
        enrollment.enroll(db, enroll_request(key, token(db, "S00000")))
        upload.receive(db, envelope(key, vary(payloads[h % len(payloads)], key, h, 1, f"PC-S00000-{h:02d}")))
    with db.write() as s:
        units_by_code = {c: (i, p) for c, i, p in s.execute(select(m.Unit.code, m.Unit.id, m.Unit.path))}
        t_unit = units_by_code["S00000"][0]

        def rows(model: Any, *where: Any) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in s.execute(select(model.__table__).where(*where))]

        t_agents = rows(m.Agent, m.Agent.unit_id == t_unit)
        t_reports = rows(m.Report, m.Report.unit_id == t_unit)
        t_hosts = rows(im.Host, im.Host.unit_id == t_unit)
        report_ids = [r["id"] for r in t_reports]
        t_index = rows(im.ReportIndex, im.ReportIndex.report_id.in_(report_ids))
        t_findings = rows(im.FindingRow, im.FindingRow.report_id.in_(report_ids))
        t_results = rows(im.RequirementResult, im.RequirementResult.report_id.in_(report_ids))
        t_links = rows(im.HostSet, im.HostSet.host_id.in_([h["id"] for h in t_hosts]))
        t_roll = rows(im.Rollup, im.Rollup.unit_id == t_unit)
        t_months = rows(im.UnitMonth, im.UnitMonth.unit_id == t_unit)
        iface_sets = {ln["set_id"] for ln in t_links if ln["kind"] == "interfaces"}
        t_addrs = rows(im.InvAddress, im.InvAddress.set_id.in_(iface_sets))
        top = {name: (s.scalar(select(func.max(col))) or 0) + 1 for name, col in (
            ("agent", m.Agent.id), ("report", m.Report.id), ("host", im.Host.id), ("set", im.InvSet.id),
            ("addr", im.InvAddress.id), ("link", im.HostSet.id))}
    n_a, n_r, n_h, n_l = len(t_agents), len(t_reports), len(t_hosts), len(t_links)
    n_s = len(iface_sets)
    set_index = {sid: i for i, sid in enumerate(sorted(iface_sets))}
    addrs_by_set: dict[int, list[dict[str, Any]]] = {}
    for a in t_addrs:
        addrs_by_set.setdefault(a["set_id"], []).append(a)
    batch = 50
    addr_id = top["addr"]
    for first in range(1, schools, batch):
        out: dict[Any, list[dict[str, Any]]] = {}
        for k in range(first, min(first + batch, schools)):
            unit_id, path = units_by_code[f"S{k:05d}"]
            amap = {a["id"]: top["agent"] + (k - 1) * n_a + i for i, a in enumerate(t_agents)}
            rmap = {r["id"]: top["report"] + (k - 1) * n_r + i for i, r in enumerate(t_reports)}
            hmap = {h["id"]: top["host"] + (k - 1) * n_h + i for i, h in enumerate(t_hosts)}
            smap = {sid: top["set"] + (k - 1) * n_s + set_index[sid] for sid in iface_sets}
            out.setdefault(m.Agent, []).extend({**a, "id": amap[a["id"]], "unit_id": unit_id, "token_id": None,
                                                "agent_id": f"{a['agent_id']}-{k}"} for a in t_agents)
            out.setdefault(m.Report, []).extend({
                **r, "id": rmap[r["id"]], "agent_pk": amap[r["agent_pk"]], "unit_id": unit_id,
                "envelope_sha256": uuid.uuid4().hex + uuid.uuid4().hex} for r in t_reports)
            out.setdefault(im.Host, []).extend({
                **h, "id": hmap[h["id"]], "unit_id": unit_id, "agent_pk": amap.get(h["agent_pk"]),
                "key": f"{h['key']}:{k}", "hostname": h["hostname"].replace("S00000", f"S{k:05d}"),
                "last_report_id": rmap.get(h["last_report_id"]), "counted_path": path} for h in t_hosts)
            out.setdefault(im.ReportIndex, []).extend({**x, "report_id": rmap[x["report_id"]],
                                                       "host_id": hmap[x["host_id"]]} for x in t_index)
            out.setdefault(im.FindingRow, []).extend({**x, "report_id": rmap[x["report_id"]]} for x in t_findings)
            out.setdefault(im.RequirementResult, []).extend({**x, "report_id": rmap[x["report_id"]]}
                                                            for x in t_results)
            for sid, new in smap.items():
                out.setdefault(im.InvSet, []).append({"id": new, "kind": "interfaces", "size": 1,
                                                      "sha256": uuid.uuid4().hex + uuid.uuid4().hex})
                for j, a in enumerate(addrs_by_set.get(sid, [])):
                    host = k * hosts + set_index[sid]
                    out.setdefault(im.InvAddress, []).append({
                        **a, "id": addr_id, "set_id": new, "ip": f"10.{host >> 16 & 255}.{host >> 8 & 255}.{host & 255}"
                        if a["ip"] and not a["ip"].startswith(("127.", "::1", "fe80")) else a["ip"],
                        "mac": f"02:5b:{host >> 16 & 255:02x}:{host >> 8 & 255:02x}:{host & 255:02x}:{j:02x}"
                        if a["mac"] and a["mac"] != "00:00:00:00:00:00" else a["mac"]})
                    addr_id += 1
            out.setdefault(im.HostSet, []).extend({
                **ln, "id": top["link"] + (k - 1) * n_l + i, "host_id": hmap[ln["host_id"]],
                "set_id": smap.get(ln["set_id"], ln["set_id"]), "first_report_id": rmap[ln["first_report_id"]],
                "last_report_id": rmap[ln["last_report_id"]]} for i, ln in enumerate(t_links))
        with db.write() as s:
            for model in (m.Agent, m.Report, im.Host, im.ReportIndex, im.FindingRow, im.RequirementResult,
                          im.InvSet, im.InvAddress, im.HostSet):
                if out.get(model):
                    s.execute(insert(model.__table__), out[model])
    with db.write() as s:  # rollups, unit months: each school as the template, districts and the province sums
        per_district = [0] * districts
        for k in range(schools):
            per_district[k % districts] += 1
        new_rolls = []
        for k in range(1, schools):
            new_rolls += [{**r, "unit_id": units_by_code[f"S{k:05d}"][0]} for r in t_roll]
        for d in range(districts):
            new_rolls += [{**r, "unit_id": units_by_code[f"D{d:03d}"][0], "n": r["n"] * per_district[d],
                           "score_sum": r["score_sum"] * per_district[d]} for r in t_roll]
        new_rolls += [{**r, "unit_id": units_by_code["DN"][0], "n": r["n"] * schools,
                       "score_sum": r["score_sum"] * schools} for r in t_roll]
        s.execute(im.Rollup.__table__.delete().where(im.Rollup.unit_id != t_unit))
        for i in range(0, len(new_rolls), 20000):
            s.execute(insert(im.Rollup.__table__), new_rolls[i:i + 20000])
        # the history's unit months: the same, every figure a sum
        figures = ("reports", "hosts", "score_sum", "scored", "fails", "late_reports")
        new_months = [{**r, "unit_id": units_by_code[f"S{k:05d}"][0]} for k in range(1, schools) for r in t_months]
        for code, times in [(f"D{d:03d}", per_district[d]) for d in range(districts)] + [("DN", schools)]:
            new_months += [{**r, "unit_id": units_by_code[code][0], **{f: r[f] * times for f in figures}}
                           for r in t_months]
        s.execute(im.UnitMonth.__table__.delete().where(im.UnitMonth.unit_id != t_unit))
        for i in range(0, len(new_months), 20000):
            s.execute(insert(im.UnitMonth.__table__), new_months[i:i + 20000])
    if db.engine.dialect.name == "postgresql":  # statistics for the planner (outside a transaction)
        with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return db


def timed(fn: Callable[[], Any], runs: int = 5) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def queries(db: Any, payload: dict[str, Any], units: int, hosts: int) -> list[tuple[str, float]]:
    from sqlalchemy import select

    from secaudit.collector import aggregate, search, users
    from secaudit.collector.models import Unit, User

    with db.write() as s:
        users.add(s, "bench-admin", "admin", "DN")
    software = next((p for p in payload["inventory"]["software"] if p.get("version")), {"name": "bash", "version": ""})
    av = (payload["inventory"].get("antivirus") or [{"product": "clamav"}])[0].get("product") or "clamav"
    av = av.lower()
    port = (payload["inventory"].get("listening_ports") or [{"port": 22}])[0].get("port", 22)
    out = []
    with db.read() as s:
        user = s.scalars(select(User).where(User.name == "bench-admin")).one()

        def unit(code: str) -> Unit:
            return s.scalars(select(Unit).where(Unit.code == code)).one()

        _, districts, schools = tree_csv(units)
        school = schools * 7 // 16
        for label, code in ((f"summary province ({districts} districts, {schools * hosts} hosts)", "DN"),
                            ("summary district (~100 schools)", f"D{districts // 2:03d}"),
                            (f"summary school ({hosts} hosts)", f"S{school:05d}")):
            target = unit(code)
            out.append((label, timed(lambda t=target: aggregate.summary(s, t))))
        host = school * hosts + 3
        mac = f"02:5b:{host >> 16 & 255:02x}:{host >> 8 & 255:02x}:{host & 255:02x}:00"
        ip = f"10.{host >> 16 & 255}.{host >> 8 & 255}.{host & 255}"
        for label, q in (("search hostname", f"PC-S{school:05d}-03"), ("search MAC", mac),
                         ("search IP", ip), ("search software@version",
                                                         f"software:{software['name']}@{software['version']}"),
                         ("search port (limit 100)", f"port:{port}"),
                         ("search antivirus (limit 100)", f"antivirus:{av}")):
            out.append((f"{label}: {q}", timed(lambda q=q: search.search(s, user, q, 100))))
    return out


# --- main ---------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=20, help="concurrent uploaders (one agent each)")
    parser.add_argument("--reports", type=int, default=25, help="reports per agent")
    parser.add_argument("--units", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=10, help="hosts per school")
    parser.add_argument("--skip-pg", action="store_true", help="no PostgreSQL ingest")
    parser.add_argument("--skip-ingest", action="store_true", help="no ingest at all (stored bytes and queries only)")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--queries-on", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="secaudit-bench-collector-"))
    try:
        print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
              f"{platform.freedesktop_os_release().get('PRETTY_NAME', '')}, date {datetime.now(UTC):%Y-%m-%d}")
        payloads = real_payloads(work)
        sizes = ", ".join(f"{len(json.dumps(p, ensure_ascii=False).encode()) // 1024} KB "
                          f"({len(p['inventory'].get('software') or [])} packages, {len(p['findings'])} findings)"
                          for p in payloads)
        print(f"reports: this machine and the planted root: {sizes}")
        raw, first, later = stored_per_report(payloads[0], work / "stored")
        print(f"stored per report (SQLite, same host monthly, unchanged inventory): envelope {raw / 1024:.0f} KB, "
              f"first report {first / 1024:.0f} KB, each later one {later / 1024:.1f} KB "
              f"(target < {STORED_TARGET_KB} KB)")
        if not args.skip_ingest:
            n, sec = ingest(["--data-dir", str(work / "sqlite")], 1, payloads, args.agents, args.reports,
                            work / "ingest-sqlite")
            print(f"ingest SQLite, 1 process, {args.agents} uploaders: {n} reports in {sec:.1f} s = {n / sec:.0f} "
                  f"reports/s (target >= {INGEST_TARGET['sqlite']})")
            for procs in (1, 2):
                fn, fsec = floor(f"sqlite:{work / f'floor{procs}.db'}", procs, payloads, args.agents, args.reports,
                                 work / f"floor-sqlite-{procs}")
                print(f"floor (verify and append only), SQLite, {procs} process{'es' if procs > 1 else ''}: "
                      f"{fn / fsec:.0f} reports/s; secaudit/floor {n / sec / (fn / fsec):.2f}")
        cluster = None
        if not (args.skip_pg or args.skip_ingest) or args.queries_on == "postgresql":
            from tests.integration import pg

            cluster = pg.Cluster(Path(tempfile.mkdtemp(prefix="secaudit-bench-pg-"))).start()  # searchable by postgres
        try:
            if not (args.skip_pg or args.skip_ingest) and cluster is not None:
                db_url = cluster.create_database("ingest")
                n, sec = ingest(["--data-dir", str(work / "pgdata"), "--db", db_url], 2, payloads, args.agents,
                                args.reports, work / "ingest-pg")
                print(f"ingest PostgreSQL, 2 processes, {args.agents} uploaders: {n} reports in {sec:.1f} s = "
                      f"{n / sec:.0f} reports/s (target >= {INGEST_TARGET['postgresql']})")
                fn, fsec = floor(cluster.create_database("floor"), 2, payloads, args.agents, args.reports,
                                 work / "floor-pg")
                print(f"floor (verify and append only), PostgreSQL, 2 processes: {fn / fsec:.0f} reports/s; "
                      f"secaudit/floor {n / sec / (fn / fsec):.2f}")
            if not args.skip_queries:
                url = cluster.create_database("queries") if cluster and args.queries_on == "postgresql" else None
                start = time.perf_counter()
                db = fabricate(url, payloads, args.units, args.hosts, work / "queries")
                print(f"queries ({args.queries_on}) over {args.units} units x {args.hosts} hosts "
                      f"(built in {time.perf_counter() - start:.0f} s), median of 5:")
                for label, ms in queries(db, payloads[0], args.units, args.hosts):
                    print(f"  {label:<70} {ms:7.1f} ms (target < {QUERY_TARGET_MS})")
                db.dispose()
        finally:
            if cluster is not None:
                cluster.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

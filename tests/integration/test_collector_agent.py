"""The agent's commands against a real collector (uvicorn on loopback, SQLite and PostgreSQL), as subprocesses:
`secaudit enroll` online and offline, `secaudit audit --submit`, `secaudit submit` of the outbox and of a
named file again (the original receipt), an unreachable collector (the outbox kept) then back, TLS with
--ca-file; the stored envelope is byte-identical to the one the agent signed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_tree
from tests.integration.collector_server import Collector, db_urls, fresh_pg_database, running

pytestmark = pytest.mark.integration

ROOT = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/bash\ngiaovien:x:1001:1001::/home/giaovien:/bin/bash\n",
    "etc/shadow": ("root:*:19000:0:99999:7:::\ngiaovien:$6$x$y:19000:0:99999:7:::\n", 0o600),
    "etc/group": "root:x:0:\ngiaovien:x:1001:\n",
    "etc/os-release": 'ID=debian\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n',
    "etc/hostname": "PC-PHONGMAY-01\n",
    "etc/ssh/sshd_config": "PermitRootLogin yes\n",
}


class School:
    """One agent machine: key dir, state dir, config, a fixture root to audit."""

    def __init__(self, base: Path) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.keys, self.state = base / "keys", base / "state"
        self.config = base / "agent.toml"
        self.config.write_text(f'state_dir = "{self.state}"\n', encoding="utf-8")
        self.root = write_tree(base / "root", ROOT)  # type: ignore[arg-type]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SECAUDIT_LANG": "en"}
        env.pop("SECAUDIT_KEY_PASSPHRASE", None)
        return subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True,
                              timeout=300, env=env, check=False)

    def enroll(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("enroll", *args, "--key-dir", str(self.keys), "--config", str(self.config))

    def audit_submit(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("audit", "--root", str(self.root), "--format", "json", "-o", str(self.base / "out" / "r.json"),
                        "--key-dir", str(self.keys), "--config", str(self.config), "--submit", *extra)

    def submit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("submit", *args, "--config", str(self.config))

    def outbox(self) -> list[Path]:
        return sorted((self.state / "outbox").glob("*.secaudit.json"))

    def receipts(self) -> list[dict[str, object]]:
        return [json.loads(p.read_text()) for p in sorted((self.state / "sent").glob("*.receipt.json"))]


@pytest.fixture(scope="module", params=db_urls(), ids=lambda u: "postgresql" if u else "sqlite")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    url = fresh_pg_database(request.param) if request.param else None
    with running(tmp_path_factory.mktemp("collector"), url) as collector:
        collector.admin = collector.user("admin-agent-tests", "admin", "DN")  # type: ignore[attr-defined]
        yield collector


def _stored(server: Collector, report_id: object) -> bytes:
    token = server.admin  # type: ignore[attr-defined]
    response = httpx.get(f"{server.url}/api/v1/reports/{report_id}/envelope",
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def test_enroll_audit_submit_and_resubmit(server: Collector, tmp_path: Path) -> None:
    school = School(tmp_path)
    enrolled = school.enroll(server.url, "--token", server.token("TH1"))
    assert enrolled.returncode == 0, enrolled.stderr
    assert "TH1" in enrolled.stdout and "A new signing key was created" in enrolled.stderr
    stored = json.loads((school.state / "enrollment.json").read_text())
    assert stored["unit"]["code"] == "TH1" and stored["collector_url"] == server.url

    done = school.audit_submit()
    assert done.returncode in (0, 1), done.stderr  # the audit's own code: findings fail
    assert "Sent " in done.stdout and school.outbox() == []
    [receipt] = school.receipts()
    assert receipt["status"] == "accepted" and receipt["unit"] == "TH1"
    [signed] = (school.base / "out").glob("*.secaudit.json")
    assert _stored(server, receipt["report_id"]) == signed.read_bytes()
    # the receipt is signed by the key the school pinned at enrollment, and checks out with `secaudit verify`
    assert stored["collector_key"]["key_id"] == receipt["signed"]["signatures"][0]["keyid"]  # type: ignore[index]
    [kept] = sorted((school.state / "sent").glob("*.receipt.json"))
    checked = school.run("verify", str(kept), "--config", str(school.config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert str(receipt["envelope_sha256"]) in checked.stdout

    again = school.submit(str(signed))  # the same bytes: the original receipt
    assert again.returncode == 0, again.stderr
    assert "the collector already had it" in again.stdout
    assert f"receipt {receipt['report_id']}" in again.stdout

    second = school.audit_submit()  # the next sequence
    assert second.returncode in (0, 1), second.stderr
    assert [r["sequence"] for r in school.receipts()] in ([1, 2], [2, 1])


def test_token_reuse_is_refused_in_one_sentence(server: Collector, tmp_path: Path) -> None:
    token = server.token("TH2")
    assert School(tmp_path / "a").enroll(server.url, "--token", token).returncode == 0
    refused = School(tmp_path / "b").enroll(server.url, "--token", token)
    assert refused.returncode == 2 and "refused the enrollment" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) <= 2  # + key created


def test_unenrolled_agent_is_told_to_enroll(server: Collector, tmp_path: Path) -> None:
    school = School(tmp_path)
    done = school.run("keys", "init", "--key-dir", str(school.keys))
    assert done.returncode == 0, done.stderr
    submitted = school.audit_submit("--collector", server.url)
    assert submitted.returncode == 2
    assert "this machine is not enrolled" in submitted.stderr and len(school.outbox()) == 1


def test_offline_enrollment(server: Collector, tmp_path: Path) -> None:
    school = School(tmp_path)
    request, response = tmp_path / "REQ.json", tmp_path / "RESP.json"
    written = school.enroll("--offline", "--token", server.token("TH3"), "--out", str(request))
    assert written.returncode == 0, written.stderr
    server.run("enroll-import", str(request), "--out", str(response))
    stored = school.enroll("--response", str(response), server.url)
    assert stored.returncode == 0, stored.stderr
    assert "TH3" in stored.stdout
    done = school.audit_submit()  # the URL comes from the enrollment
    assert done.returncode in (0, 1), done.stderr
    assert school.receipts()[0]["unit"] == "TH3"


def test_collector_down_then_back(tmp_path: Path) -> None:
    """Reports wait in the outbox while the collector is down (exit 2, nothing lost), and go once it is back."""
    with running(tmp_path / "collector") as server:
        school = School(tmp_path / "school")
        assert school.enroll(server.url, "--token", server.token("TH1")).returncode == 0
        server.stop()
        for _ in range(2):
            done = school.audit_submit("--retry-for", "1")
            assert done.returncode == 2 and "will be sent by the next run" in done.stderr
        assert len(school.outbox()) == 2
        server.start()
        sent = school.submit("--collector", server.url)
        assert sent.returncode == 0, sent.stderr
        assert "Total: sent 2, already there 0, flagged 0, refused 0, waiting 0." in sent.stdout
        assert school.outbox() == [] and len(school.receipts()) == 2


def test_tls_with_a_ca_file(tmp_path: Path) -> None:
    with running(tmp_path / "collector", tls=True) as server:
        school = School(tmp_path / "school")
        ca = tmp_path / "collector" / "cert.pem"
        untrusted = school.enroll(server.url, "--token", server.token("TH1"))
        assert untrusted.returncode == 2 and "not trusted" in untrusted.stderr
        school.config.write_text(f'state_dir = "{school.state}"\n[collector]\nca_file = "{ca}"\n', encoding="utf-8")
        assert school.enroll(server.url, "--token", server.token("TH1")).returncode == 0
        done = school.audit_submit()
        assert done.returncode in (0, 1), done.stderr
        assert len(school.receipts()) == 1 and httpx.get(server.url + "/api/v1/health", verify=False).is_success


def test_a_reused_sequence_is_kept_and_flagged(server: Collector, tmp_path: Path) -> None:
    """A state dir restored from an old backup reuses sequence numbers: the collector keeps the report and
    flags it (409 with a receipt); the agent stores that receipt, empties its outbox and says so (exit 2)."""
    school = School(tmp_path)
    assert school.enroll(server.url, "--token", server.token("TH2")).returncode == 0
    assert school.audit_submit().returncode in (0, 1)
    state = json.loads((school.state / "state.json").read_text())
    (school.state / "state.json").write_text(json.dumps({**state, "sequence": 0}))
    again = school.audit_submit()
    assert again.returncode == 2, again.stderr
    assert "flagged for review" in again.stderr and "flagged 1" in again.stdout
    assert school.outbox() == []
    assert sorted(str(r["status"]) for r in school.receipts()) == ["accepted", "conflict"]

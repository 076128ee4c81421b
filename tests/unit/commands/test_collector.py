"""`secaudit collector` through click (in-process): every subcommand takes --data-dir and --db, errors are one
sentence with exit 2, ingest exits 1 on a refusal, agents list/suspend/revoke."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from secaudit.commands.collector import collector
from secaudit.sign.dsse import verify
from secaudit.sign.payload_types import RECEIPT_TYPE
from tests.unit.collector.helpers import TREE, enroll_request, envelope, report


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(collector, [*args, "--lang", "en"])
    return result.exit_code, result.stdout, result.stderr


def test_every_subcommand_takes_data_dir_and_db() -> None:
    def walk(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        found = []
        for name, cmd in getattr(group, "commands", {}).items():
            if hasattr(cmd, "commands"):
                found += walk(cmd, (*prefix, name))
            else:
                options = {o for p in cmd.params for o in getattr(p, "opts", [])}
                assert {"--data-dir", "--db"} <= options, (*prefix, name)
                found.append((*prefix, name))
        return found

    assert {("init",), ("serve",), ("ingest",), ("units", "import"), ("tokens", "create"), ("users", "add"),
            ("enroll-import",), ("agents", "list")} <= set(walk(collector))


def test_workflow(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    assert _run("init", *d)[0] == 0
    (tmp_path / "u.csv").write_text(TREE, encoding="utf-8")
    assert "8 new" in _run("units", "import", str(tmp_path / "u.csv"), *d)[1]
    code, out, _ = _run("tokens", "create", "TH1", "--json", *d)
    token = json.loads(out)["token"]
    key = Ed25519PrivateKey.generate()
    (tmp_path / "req.json").write_bytes(enroll_request(key, token))
    code, out, err = _run("enroll-import", str(tmp_path / "req.json"), "--out", str(tmp_path / "resp.json"), *d)
    assert code == 0, err
    agent = json.loads((tmp_path / "resp.json").read_text())["agent_id"]
    code, _, err = _run("enroll-import", str(tmp_path / "req.json"), "--out", str(tmp_path / "resp2.json"), *d)
    assert code == 2 and "token" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "usb").mkdir()
    (tmp_path / "usb" / "r.json").write_bytes(envelope(key, report(key, 1)))
    assert _run("ingest", str(tmp_path / "usb"), *d, "--receipts", str(tmp_path / "back"))[0] == 0
    # the school takes its signed receipt home; the offline enrollment response named the key that signs it
    kept = json.loads((tmp_path / "back" / "r.json.receipt.json").read_text(encoding="utf-8"))
    pinned = json.loads((tmp_path / "resp.json").read_text())["collector_key"]
    pub = load_pem_public_key(pinned["public_key"].encode())
    assert isinstance(pub, Ed25519PublicKey)
    signed = verify(json.dumps(kept["signed"]).encode(), {RECEIPT_TYPE}, [pub]).payload
    assert signed["channel"] == "usb" and signed["envelope_sha256"] == kept["envelope_sha256"]
    code, out, _ = _run("agents", "list", "--json", *d)
    assert json.loads(out)[0]["agent_id"] == agent and json.loads(out)[0]["last_sequence"] == 1
    assert _run("agents", "suspend", agent, *d)[0] == 0
    (tmp_path / "usb" / "s.json").write_bytes(envelope(key, report(key, 2)))
    code, out, _ = _run("ingest", str(tmp_path / "usb"), *d)
    assert code == 1 and "REFUSED" in out and "suspended" in out
    assert _run("agents", "revoke", "agent-nope", *d)[0] == 2
    assert _run("ingest", str(tmp_path / "absent"), *d)[0] == 2


def test_the_audit_path_imports_no_server_library() -> None:
    import subprocess
    import sys

    code = ("import sys, secaudit.cli; print(sorted(m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'alembic', "
            "'starlette', 'pydantic', 'openpyxl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"

"""Class 9, one limit for sign and verify: a report with huge evidence is cut to fit, signed, and verifies;
every kind of evidence stays named, with how many entries were left out, in every rendering.

The image has 50,000 accounts without a password (one evidence list of 50,001 names) and, in the
bloated variant, 7,000 packages with 4 KB names and versions (an inventory far over limits.ENVELOPE).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secaudit import limits
from secaudit.sign import keys as k
from tests.conftest import IN_CI, need_tool, write_tree
from tests.integration.test_planted_root import NOW_DAYS, PLANTED

pytestmark = pytest.mark.integration

EXE = [sys.executable, "-m", "secaudit"]
USERS = 50_000
EMPTY = USERS + 1  # the planted image's own `khach` has an empty password too
CHECK = "accounts.empty_passwords"


def _image(top: Path, packages: int) -> Path:
    shadow, mode = PLANTED["etc/shadow"]
    files: dict[str, Any] = {
        **PLANTED,
        "etc/passwd": PLANTED["etc/passwd"] + "".join(
            f"u{i:05d}:x:{10000 + i}:{10000 + i}::/home/u{i}:/bin/bash\n" for i in range(USERS)),
        "etc/shadow": (shadow + "".join(f"u{i:05d}::{NOW_DAYS - 5}:0:99999:7:::\n" for i in range(USERS)), mode),
    }
    if packages:
        files["var/lib/dpkg/status"] = PLANTED["var/lib/dpkg/status"] + "".join(
            f"Package: p{i}\nStatus: install ok installed\nVersion: 1.{i}-{'v' * 4000}\n"
            f"Architecture: amd64\nMaintainer: {'m' * 4000}\n\n" for i in range(packages))
    return write_tree(top / "root", files)


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "state"), "SECAUDIT_KEY_DIR": str(tmp / "keys"),
           "SECAUDIT_LANG": "en", "COLUMNS": "200"}
    proc = subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


class Audited:
    def __init__(self, top: Path, packages: int) -> None:
        self.top = top
        k.init(top / "keys", None)
        root = _image(top, packages)
        self.proc = _run(["audit", "--root", str(root), "--sign", "--format", "json", "-o", str(top / "out/r.json")],
                         top)
        assert self.proc.returncode == 1, self.proc.stderr
        self.report = json.loads((top / "out/r.json").read_text(encoding="utf-8"))
        self.envelope = next((top / "out").glob("*.secaudit.json"))

    def evidence(self) -> dict[str, Any]:
        return next(f["evidence"] for f in self.report["findings"] if f["check_id"] == CHECK)

    def render(self, fmt: str) -> bytes:
        out = self.top / f"r.{fmt}"
        proc = _run(["render", str(self.envelope), "--format", fmt, "-o", str(out)], self.top)
        assert proc.returncode == 0, proc.stderr
        return out.read_bytes()


@pytest.fixture(scope="module")
def many_users(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return Audited(tmp_path_factory.mktemp("users"), 0)


@pytest.fixture(scope="module")
def bloated(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return Audited(tmp_path_factory.mktemp("bloated"), 7000)


def test_evidence_is_cut_per_item_with_a_count(many_users: Audited) -> None:
    evidence = many_users.evidence()
    assert len(evidence["accounts"]) == limits.EVIDENCE_ITEMS
    assert evidence["accounts_truncated"] == EMPTY - limits.EVIDENCE_ITEMS
    assert evidence["accounts"][0] == {"name": "khach", "source": "/etc/passwd:7"}
    inventory = many_users.report["inventory"]
    assert len(inventory["accounts"]) == limits.INVENTORY_ROWS
    assert inventory["accounts_truncated"] == len(PLANTED["etc/passwd"].splitlines()) + USERS - limits.INVENTORY_ROWS
    message = next(f["message"]["en"] for f in many_users.report["findings"] if f["check_id"] == CHECK)
    assert message.endswith(f"(+{EMPTY - 15}).")  # the message names 15 and counts the rest


@pytest.mark.parametrize("case", ["many_users", "bloated"])
def test_what_audit_signs_verify_accepts(case: str, request: pytest.FixtureRequest) -> None:
    audited: Audited = request.getfixturevalue(case)
    size = audited.envelope.stat().st_size
    assert size <= limits.ENVELOPE
    proc = _run(["verify", str(audited.envelope)], audited.top)
    assert proc.returncode == 0, proc.stderr
    assert "VALID" in proc.stdout


def test_a_report_over_the_envelope_is_made_to_fit(bloated: Audited) -> None:
    raw = (bloated.top / "root/var/lib/dpkg/status").stat().st_size
    assert raw > limits.ENVELOPE  # the image alone would not fit
    inventory = bloated.report["inventory"]
    assert inventory["software_truncated"] > 0 and len(inventory["software"]) < limits.INVENTORY_ROWS
    evidence = bloated.evidence()  # the inventory gave way; the findings' evidence did not
    assert len(evidence["accounts"]) == limits.EVIDENCE_ITEMS
    assert evidence["accounts_truncated"] == EMPTY - limits.EVIDENCE_ITEMS


def test_terminal_names_the_count(many_users: Audited) -> None:
    assert f"(+{EMPTY - 15})" in many_users.proc.stdout


def test_every_rendering_names_the_evidence_and_counts_the_rest(many_users: Audited) -> None:
    html = many_users.render("html").decode("utf-8")
    assert "khach" in html and f"and {EMPTY - 50:,} more" in html  # HTML shows 50 of the list
    md = many_users.render("md").decode("utf-8")
    assert f"accounts ({EMPTY})" in md and "khach" in md
    sarif = json.loads(many_users.render("sarif"))
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == CHECK)
    assert result["properties"]["evidence"]["accounts_truncated"] == EMPTY - limits.EVIDENCE_ITEMS
    rows = list(csv.DictReader(io.StringIO(many_users.render("csv").decode("utf-8-sig"))))
    cell = next(r["evidence"] for r in rows if r["check_id"] == CHECK)
    assert len(cell) <= 32_767
    evidence = json.loads(cell)
    assert evidence["accounts"] and evidence["accounts_truncated"] >= EMPTY - limits.EVIDENCE_ITEMS
    assert len(evidence["accounts"]) + evidence["accounts_truncated"] == EMPTY


def test_the_pdf_counts_the_rest(many_users: Audited) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"WeasyPrint is not usable: {exc}")
        pytest.skip(f"WeasyPrint is not usable: {exc}")
    pdftotext = need_tool("pdftotext")
    many_users.render("pdf")
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(many_users.top / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    assert f"and {EMPTY - 20:,} more" in text  # the PDF shows 20 of the list

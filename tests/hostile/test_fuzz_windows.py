"""Issue 11, property-based fuzzing of the Windows text parsers and collectors: the secedit INF (any encoding,
secedit's localised console text around it), `wbadmin get versions` and `w32tm /query /status` (English and
Vietnamese UI), and every Windows collector replaying a recording whose probe outputs are mutated (ConvertTo-Json
with broken, nested, huge or wrongly typed values). Parsers return their normal result; collectors put rows that
follow the table specs, or unknown, and never raise."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.schema import table_problem
from secaudit.facts.tables import tables
from secaudit.facts.windows import accounts, backups
from secaudit.transport.replay import ReplayTransport
from tests.fixtures.windows import build, variants
from tests.hostile.fuzzkit import FUZZ, FUZZ_FEW, mutated, mutated_bytes, seeds
from tests.unit.facts.windows.test_accounts import INF, SECEDIT_VI

HEALTHY = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "windows" / "win11-healthy.json")
                     .read_text(encoding="utf-8"))
INF_SEEDS = seeds(INF, SECEDIT_VI + INF, build.crlf(build.SECEDIT_HEALTHY))
WBADMIN_SEEDS = seeds(build.crlf(build.WBADMIN_EN), build.crlf(variants.WBADMIN_VI))
W32TM_SEEDS = seeds(build.crlf(build.TIME_SYNC_EN), build.crlf(variants.TIME_SYNC_VI))
_RAISED = re.compile(r"^[a-z_]+: [A-Za-z]*(Error|Exception)\b")
_VERSION = re.compile(r"^\d{2}/\d{2}/\d{4}-\d{2}:\d{2}$")


@FUZZ
@given(mutated(INF_SEEDS))
@example("[System Access]\nMinimumPasswordLength = ²\nLockoutBadCount = 99999999999999999999\n")
@example("ÿþ[\x00S\x00y\x00s\x00t\x00e\x00m\x00 \x00A\x00c\x00c\x00e\x00s\x00s\x00]\x00")
@example("[System Access]\n" + "MaximumPasswordAge = -1\n" * 30000)
def test_secedit_inf_text(text: str) -> None:
    sections = accounts.parse_inf(text)
    assert all(isinstance(k, str) and isinstance(v, dict) for k, v in sections.items())
    access = sections.get("system access")
    if access is not None:
        policy = accounts.policy_from_inf(access)
        assert table_problem(tables()["password_policy"], policy, "windows", strict=True) is None
        json.dumps(policy)


@FUZZ
@given(mutated_bytes(tuple(s.encode(enc) for s in INF_SEEDS for enc in ("utf-16", "utf-8-sig", "utf-16-le"))))
def test_secedit_inf_bytes(data: bytes) -> None:
    sections = accounts.parse_inf(data)
    for section in sections.values():
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in section.items())


@FUZZ
@given(mutated(WBADMIN_SEEDS))
@example("Version identifier: 02/30/2026-12:00\r\n")
@example("Backup target: x\r\nMã định danh phiên bản: 12/31/9999-23:59\r\n")
@example("x: 01/01/0001-00:00\n")
def test_wbadmin_text(text: str) -> None:
    versions = backups.parse_wbadmin(text)
    assert len(versions) <= backups.MAX_VERSIONS
    for v in versions:
        assert _VERSION.match(v["version_id"]) and v["time"].endswith("Z")
        assert v["target"] is None or isinstance(v["target"], str)
    assert [v["time"] for v in versions] == sorted((v["time"] for v in versions), reverse=True)


@FUZZ
@given(mutated(W32TM_SEEDS))
@example("ReferenceId: 0x4C4F434C (source name: \"LOCL\")\n")
def test_w32tm_text(text: str) -> None:
    timesync = pytest.importorskip("secaudit.facts.windows.timesync")
    status = timesync.parse_w32tm_status(text)
    if status is not None:
        assert status.synced in (True, False, None) and isinstance(status.describe(), str)


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                       st.text(max_size=30), st.sampled_from(["/Date(-99999999999999)/", "/Date(1791446400000)/",
                                                              "4294967295", "S-1-5-32-544", "²", ""]))
    return st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                        max_leaves=12)


def _json_or_none(text: str) -> Any:
    """ConvertTo-Json output parsed; None for a classic command's text (the secedit INF starts with '[')."""
    try:
        return json.loads(text)
    except ValueError:
        return None


@st.composite
def _recording(draw: st.DrawFn) -> dict[str, Any]:
    """The healthy recording with some probes replaced: mutated text, JSON of another shape, a field of the real
    output given a hostile value, a failure, or removed."""
    rec = json.loads(json.dumps(HEALTHY))
    probes = rec["probes"]
    for probe_id in draw(st.lists(st.sampled_from(sorted(probes)), max_size=5, unique=True)):
        stdout = probes[probe_id]["stdout"]
        how = draw(st.sampled_from(("text", "json", "field", "failed", "missing")))
        if how == "text":
            probes[probe_id] = {"rc": 0, "stdout": draw(mutated(seeds(stdout) or ("x",))), "stderr": ""}
        elif how == "json":
            probes[probe_id] = {"rc": 0, "stdout": json.dumps(draw(_json_values())), "stderr": ""}
        elif how == "field" and (value := _json_or_none(stdout)) is not None:
            items = value if isinstance(value, list) else [value]
            item = draw(st.sampled_from(items)) if items else {}
            if isinstance(item, dict) and item:
                item[draw(st.sampled_from(sorted(item)))] = draw(_json_values())
            probes[probe_id] = {"rc": 0, "stdout": json.dumps(value), "stderr": ""}
        elif how == "failed":
            probes[probe_id] = {"rc": draw(st.integers(-5, 255)), "stdout": draw(st.text(max_size=20)),
                                "stderr": draw(st.text(max_size=50))}
        else:
            probes.pop(probe_id)
    return rec


@FUZZ_FEW
@given(_recording())
def test_windows_collectors_on_mutated_recordings(rec: dict[str, Any]) -> None:
    snap = collect(ReplayTransport(rec), AgentConfig())
    raised = {k: v for k, v in snap.unknown.items() if v["code"] == "error" and _RAISED.match(v["detail"])}
    assert raised == {}, raised  # a collector that raised (the registry records "name: TypeError: ...")
    specs = tables()
    for name, value in snap.tables.items():
        found = table_problem(specs[name], value, "windows", strict=True)
        assert found is None, f"{name}: {found.field} {found.en}"
    json.dumps(snap.to_dict())

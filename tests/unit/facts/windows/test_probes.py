"""Reading probe outputs: ConvertTo-Json quirks, failed and missing probes, the recording's time."""

from __future__ import annotations

import pytest

from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.model import Snapshot
from secaudit.facts.windows import probes
from secaudit.transport.replay import ReplayTransport


def _ctx(recorded: dict) -> FactContext:
    rec = {"schema": "secaudit.recording/v1", "family": "windows", "collected_at": "2026-11-22T08:00:00Z",
           "probes": recorded}
    return FactContext(ReplayTransport(rec), AgentConfig(), Snapshot(collected_at="x", mode="replay"), 0)


@pytest.mark.parametrize(("out", "expected"), [
    ('{"Name": "a"}', [{"Name": "a"}]),          # one object: not an array
    ('[{"Name": "a"}, {"Name": "b"}]', [{"Name": "a"}, {"Name": "b"}]),
    ("", []),                                     # an empty pipeline prints nothing
    ("\ufeff{\"Name\": \"a\"}\r\n", [{"Name": "a"}]),
])
def test_rows_whatever_convertto_json_printed(out: str, expected: list) -> None:
    ctx = _ctx({"p": {"rc": 0, "stdout": out, "stderr": ""}})
    assert probes.rows(ctx, "p", "t") == expected
    assert "t" not in ctx.snapshot.unknown


def test_failed_missing_and_garbled_probes_are_unknown_with_the_reason() -> None:
    ctx = _ctx({"bad": {"rc": 1, "stdout": "", "stderr": "Invalid namespace \"root/SecurityCenter2\"\r\n"},
                "garbled": {"rc": 0, "stdout": "{not json", "stderr": ""}})
    assert probes.rows(ctx, "bad", "a") is None and probes.rows(ctx, "missing", "b") is None
    assert probes.rows(ctx, "garbled", "c") is None
    unknown = ctx.snapshot.unknown
    assert unknown["a"] == {"code": "command_failed", "detail": 'probe bad: Invalid namespace "root/SecurityCenter2"'}
    assert unknown["b"]["code"] == "not_found" and unknown["c"]["code"] == "error"


@pytest.mark.parametrize(("value", "expected"), [
    ("/Date(1791446400000)/", "2026-10-08T08:00:00Z"),
    ("/Date(1791446400000+0700)/", "2026-10-08T08:00:00Z"),
    ("/Date(-11644473600000)/", None),  # FILETIME 0: never
    ("2026-11-22T08:00:00Z", "2026-11-22T08:00:00Z"),
    ("2026-11-22T15:00:00+07:00", "2026-11-22T08:00:00Z"),
    ("11/22/2026 3:00:00 PM", None),    # locale-formatted, no zone: not guessed
    (None, None), (5, None),
])
def test_ps_time(value: object, expected: str | None) -> None:
    assert probes.ps_time(value) == expected


def test_the_catalogue_is_the_reference_table() -> None:
    cat = probes.catalogue()
    # the reference's 27, and those added since (issue 14: RDP policy, AutoRun policy, USB storage driver)
    assert len(cat) >= 30 and {"rdp_policy", "autorun_policy", "usb_storage"} <= set(cat)
    assert cat["defender_status"]["command"] == "Get-MpComputerStatus | ConvertTo-Json"
    assert cat["local_admins_adsi"]["described"] and cat["security_policy"]["described"]
    # the idle lock (VN-ACC-11): the machine inactivity limit and the loaded users' screen savers
    assert {"inactivity_limit", "screen_savers"} <= set(cat) and cat["screen_savers"]["described"]
    assert "InactivityTimeoutSecs" in cat["inactivity_limit"]["command"]


def test_a_recording_is_evaluated_as_of_its_collected_at() -> None:
    from secaudit.facts import collect

    rec = {"schema": "secaudit.recording/v1", "family": "windows", "collected_at": "2026-11-22T08:00:00Z",
           "probes": {}}
    snap = collect(ReplayTransport(rec), AgentConfig())
    assert snap.collected_at == "2026-11-22T08:00:00Z" and snap.family == "windows"

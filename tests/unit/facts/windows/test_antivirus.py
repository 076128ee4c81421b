"""Windows anti-malware: Defender's status, SecurityCenter2 productState, and vendor services where SecurityCenter2
does not exist (Windows Server). Outputs shaped as Windows PowerShell 5.1 prints them (psjson), not recorded on a
live Windows."""

from __future__ import annotations

import pytest

from secaudit.facts.windows import antivirus
from tests.unit.facts.windows import samples
from tests.unit.facts.windows.wintest import context, failed, ok, snapshot_of

NO_SC2 = failed('Get-CimInstance : Invalid namespace "root/SecurityCenter2"')
KASPERSKY = samples.av_product("Kaspersky Endpoint Security for Windows", 266240,
                               "C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.3.0\\avp.exe")
DEFENDER_OFF = samples.av_product("Windows Defender", 393472, "windowsdefender://")


def _rows(probes: dict) -> dict:
    snap = snapshot_of(probes, only={"antivirus"})
    return {r["id"]: r for r in snap.tables["antivirus"]} if "antivirus" in snap.tables else {}


@pytest.mark.parametrize(("state", "on", "microsoft", "up_to_date"), [
    (262144, False, False, True), (266240, True, False, True), (266256, True, False, False),
    (393472, False, True, True), (397568, True, True, True), (397584, True, True, False),
])
def test_product_state(state: int, on: bool, microsoft: bool, up_to_date: bool) -> None:
    s = antivirus.decode_state(state)
    assert (s["on"], s["microsoft"], s["up_to_date"]) == (on, microsoft, up_to_date)


def test_healthy_defender() -> None:
    rows = _rows({"defender_status": ok(samples.mp_status()), "av_products": ok(samples.DEFENDER_SC2),
                  "services": ok(samples.SERVICES)})
    assert list(rows) == ["defender"]
    d = rows["defender"]
    assert d["running"] and d["realtime"] and d["running_mode"] == "Normal" and d["tamper_protected"]
    assert d["signature_time"] == "2026-11-21T23:10:00Z" and d["last_scan_time"] == "2026-11-20T05:00:00Z"
    assert d["product_state"] == 397568 and d["enabled_units"] == ["WinDefend"]


def test_third_party_with_defender_passive() -> None:
    services = [*samples.SERVICES, samples.service("AVP.KES.12.3", "Kaspersky Endpoint Security Service"),
                samples.service("klnagent", "Kaspersky Security Center Network Agent")]
    rows = _rows({"defender_status": ok(samples.mp_status(mode="Passive Mode")),
                  "av_products": ok([DEFENDER_OFF, KASPERSKY]), "services": ok(services)})
    assert rows["defender"]["running"] is False and rows["defender"]["realtime"] is False
    kes = rows["kes"]
    assert kes["running"] and kes["realtime"] and kes["vendor"] == "Kaspersky" and kes["managed"]
    assert kes["signatures_out_of_date"] is False and "0x041000: on" in kes["realtime_source"]


def test_server_without_security_center_uses_services() -> None:
    services = [*samples.SERVICES, samples.service("ekrn", "ESET Service")]
    rows = _rows({"defender_status": failed("0x800106ba"), "av_products": NO_SC2, "services": ok(services)})
    eset = rows["eset_endpoint"]
    assert eset["running"] and eset["realtime"] is None and eset["source"] == "service ekrn"
    assert "SecurityCenter2" in eset["realtime_source"] and eset["managed"] is False
    assert rows["defender"]["source"] == "service WinDefend"


def test_stopped_service_is_not_running() -> None:
    services = [samples.service("ekrn", "ESET Service", running=False)]
    rows = _rows({"av_products": NO_SC2, "services": ok(services)})
    assert rows["eset_endpoint"]["running"] is False and rows["eset_endpoint"]["enabled_units"] == ["ekrn"]


def test_unknown_product_kept_by_its_name() -> None:
    rows = _rows({"av_products": ok(samples.av_product("Acme AV", 266240, "C:\\acme.exe"))})
    assert rows["sc2:acme av"]["product"] == "Acme AV" and rows["sc2:acme av"]["running"]


def test_nothing_answered_is_unknown() -> None:
    snap = snapshot_of({"av_products": NO_SC2}, only={"antivirus"})
    assert "antivirus" not in snap.tables and snap.unknown["antivirus.security_center"]["code"] == "command_failed"
    assert snap.unknown["antivirus.defender"]["code"] == "not_found"


def test_never_scanned_and_ages() -> None:
    mp = samples.mp_status(quick_scan=None)
    mp["QuickScanAge"] = 4294967295
    row = antivirus.defender_row(context({}), mp)
    assert row["last_scan_time"] is None

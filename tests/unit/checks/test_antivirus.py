"""Antivirus checks on hand-built snapshots and on a fixture root."""

from __future__ import annotations

from typing import Any

from secaudit.config import AgentConfig
from tests.conftest import facts_of, run_check, snapshot
from tests.unit.facts.linux.test_antivirus import clamav_root

NOW = "2026-11-20T00:00:00Z"


def clam(**over: Any) -> dict[str, Any]:
    row = {"id": "clamav", "product": "ClamAV", "vendor": "Cisco Talos (open source)", "installed": True,
           "running": True, "running_processes": ["clamd (pid 123)"], "realtime": True,
           "realtime_source": "clamonacc running (pid 125)", "signature_time": "2026-11-18T12:35:00Z",
           "signature_source": "/var/lib/clamav/daily.cld (header, built 18 Nov 2026 07-35 -0500)",
           "updater_running": True, "updater_scheduled": False, "updater_enabled": True,
           "updater_source": "clamav-freshclam.service enabled", "last_scan_time": "2026-11-17T05:36:41Z",
           "last_scan_source": "/var/log/clamav/scan.log:30 (End Date, /etc/localtime)", "managed": False,
           "enabled_units": ["clamav-daemon.service"], "markers": ["/usr/bin/clamscan"], "source": "/usr/bin/clamscan"}
    row.update(over)
    return row


def kesl(**over: Any) -> dict[str, Any]:
    row = {"id": "kesl", "product": "Kaspersky Endpoint Security for Linux", "vendor": "Kaspersky",
           "installed": True, "running": True, "running_processes": ["kesl (pid 300)"], "realtime": None,
           "signature_time": None, "updater_running": True, "last_scan_time": None, "managed": True,
           "enabled_units": ["kesl.service"], "markers": ["/opt/kaspersky/kesl/bin/kesl-control"],
           "source": "/opt/kaspersky/kesl/bin/kesl-control"}
    row.update(over)
    return row


def snap_of(*rows: dict[str, Any], mode: str = "local", unknown: dict[str, Any] | None = None):
    return snapshot({"antivirus": list(rows)}, unknown=unknown, mode=mode, collected_at=NOW)


# --- antivirus.present --------------------------------------------------------------------------

def test_present_running_passes():
    res = run_check("antivirus.present", snap_of(clam()))
    assert res.status == "pass"
    assert "clamd (pid 123)" in res.message["vi"]


def test_missing_fails_on_workstation_and_lab_warns_on_server():
    empty = snap_of()
    assert run_check("antivirus.present", empty, role="workstation").status == "fail"
    assert run_check("antivirus.present", empty, role="lab").status == "fail"
    res = run_check("antivirus.present", empty, role="server")
    assert res.status == "warn"
    assert "Không tìm thấy" in res.message["vi"]


def test_installed_not_running_fails():
    res = run_check("antivirus.present", snap_of(clam(running=False, running_processes=[])), role="server")
    assert res.status == "fail"
    assert "ClamAV" in res.message["en"] and "not running" in res.message["en"]


def test_one_running_product_is_enough():
    res = run_check("antivirus.present", snap_of(clam(running=False), kesl()))
    assert res.status == "pass" and "Kaspersky" in res.message["en"]


def test_mounted_root_judges_installation_only():
    res = run_check("antivirus.present", snap_of(clam(running=None), mode="root"))
    assert res.status == "pass"
    assert "clamav-daemon.service" in res.message["en"] and "only the installation" in res.message["en"]
    res = run_check("antivirus.present", snap_of(clam(running=None, enabled_units=[]), mode="root"))
    assert res.status == "warn"


def test_unapproved_product_warns_approved_passes():
    cfg = AgentConfig(approved_antivirus=["Kaspersky"])
    res = run_check("antivirus.present", snap_of(clam()), config=cfg)
    assert res.status == "warn"
    assert "ClamAV" in res.message["vi"] and "Kaspersky" in res.message["vi"]
    assert run_check("antivirus.present", snap_of(kesl()), config=AgentConfig(approved_antivirus=["kesl"])).status \
        == "pass"
    assert run_check("antivirus.present", snap_of(clam()), config=AgentConfig(approved_antivirus=["clamav"])).status \
        == "pass"


def test_unreadable_table_is_unknown():
    snap = snap_of(unknown={"antivirus": {"code": "error", "detail": "antivirus: ValueError: boom"}})
    assert run_check("antivirus.present", snap).status == "unknown"


# --- antivirus.realtime -------------------------------------------------------------------------

def test_realtime_on_passes():
    res = run_check("antivirus.realtime", snap_of(clam()))
    assert res.status == "pass" and "clamonacc" in res.message["en"]


def test_realtime_off_fails_on_workstation_warns_on_server():
    snap = snap_of(clam(realtime=False, realtime_source="clamonacc is not running"))
    assert run_check("antivirus.realtime", snap, role="workstation").status == "fail"
    res = run_check("antivirus.realtime", snap, role="server")
    assert res.status == "warn"
    assert "clamonacc is not running" in res.message["vi"]


def test_realtime_unknown_for_commercial_product():
    res = run_check("antivirus.realtime", snap_of(kesl()))
    assert res.status == "unknown"
    assert "Kaspersky" in res.message["vi"]
    # but a second product with on-access on settles it
    assert run_check("antivirus.realtime", snap_of(kesl(), clam())).status == "pass"


def test_realtime_without_antivirus():
    assert run_check("antivirus.realtime", snap_of(), role="workstation").status == "fail"
    assert run_check("antivirus.realtime", snap_of(), role="server").status == "warn"


# --- antivirus.signature_age --------------------------------------------------------------------

def test_signatures_fresh_pass():
    res = run_check("antivirus.signature_age", snap_of(clam()))
    assert res.status == "pass"
    assert "daily.cld" in res.message["en"] and "1 days" in res.message["en"]


def test_signature_age_boundaries():
    def status(when: str) -> str:
        return run_check("antivirus.signature_age", snap_of(clam(signature_time=when))).status

    assert status("2026-11-17T00:00:00Z") == "pass"  # exactly 3 days
    assert status("2026-11-16T23:59:59Z") == "warn"  # just over 3 days
    assert status("2026-11-13T00:00:00Z") == "warn"  # exactly 7 days
    assert status("2026-11-12T23:59:59Z") == "fail"
    assert status("2026-12-01T00:00:00Z") == "pass"  # clock skew: signatures "from the future"


def test_stale_signatures_fail_with_age_and_source():
    res = run_check("antivirus.signature_age", snap_of(clam(signature_time="2026-11-01T00:00:00Z")))
    assert res.status == "fail"
    assert "19" in res.message["vi"] and "daily.cld" in res.message["vi"]


def test_updater_not_running_warns_even_with_fresh_signatures():
    row = clam(updater_running=False, updater_scheduled=False, updater_source=None)
    res = run_check("antivirus.signature_age", snap_of(row))
    assert res.status == "warn" and "updater" in res.message["en"]
    # a cron job counts as automatic updating
    row = clam(updater_running=False, updater_scheduled=True, updater_source="cron /etc/cron.d/clamav-update:2")
    assert run_check("antivirus.signature_age", snap_of(row)).status == "pass"
    # mounted root: nothing can run, so look at what starts at boot
    row = clam(updater_running=None, updater_scheduled=False, updater_enabled=False)
    assert run_check("antivirus.signature_age", snap_of(row, mode="root")).status == "warn"


def test_unknown_signature_time():
    res = run_check("antivirus.signature_age", snap_of(kesl()))
    assert res.status == "unknown" and "Kaspersky" in res.message["en"]
    # a known product decides; the unknown one is listed in the evidence
    res = run_check("antivirus.signature_age", snap_of(kesl(), clam()))
    assert res.status == "pass"
    assert res.evidence["unknown_products"] == ["Kaspersky Endpoint Security for Linux"]


def test_clamav_without_any_database_fails():
    row = clam(signature_time=None, signatures_found=False,
               signature_source="no daily.cvd or daily.cld in /var/lib/clamav")
    res = run_check("antivirus.signature_age", snap_of(row))
    assert res.status == "fail"
    assert "freshclam" in res.message["vi"] and "/var/lib/clamav" in res.message["en"]
    # with a second product that has fresh signatures the missing database still fails
    res = run_check("antivirus.signature_age", snap_of(row, clam(id="x", product="Other")))
    assert res.status == "fail"


def test_signature_age_not_applicable_without_antivirus():
    assert run_check("antivirus.signature_age", snap_of()).status == "not_applicable"


# --- antivirus.last_scan ------------------------------------------------------------------------

def test_recent_scan_passes():
    res = run_check("antivirus.last_scan", snap_of(clam()))
    assert res.status == "pass" and "scan.log:30" in res.message["en"]


def test_old_scan_warns():
    res = run_check("antivirus.last_scan", snap_of(clam(last_scan_time="2026-11-01T00:00:00Z")))
    assert res.status == "warn" and "19" in res.message["en"]
    res = run_check("antivirus.last_scan", snap_of(clam(last_scan_time="2026-11-01T00:00:00Z")),
                    params={"max_days": 30})
    assert res.status == "pass"


def test_never_scanned_warns_with_explanation():
    res = run_check("antivirus.last_scan", snap_of(clam(last_scan_time=None), kesl()))
    assert res.status == "warn"
    assert "/var/log/clamav" in res.message["vi"] and "Kaspersky" in res.message["en"]


def test_last_scan_not_applicable_without_antivirus():
    assert run_check("antivirus.last_scan", snap_of()).status == "not_applicable"


# --- end to end on a fixture root ---------------------------------------------------------------

def test_checks_on_clamav_fixture_root(make_root):
    snap = facts_of(clamav_root(make_root), only={"antivirus"})
    snap.collected_at = NOW
    assert run_check("antivirus.present", snap).status == "pass"
    assert run_check("antivirus.realtime", snap).status == "pass"
    assert run_check("antivirus.signature_age", snap).status == "pass"
    assert run_check("antivirus.last_scan", snap).status == "pass"
    snap.collected_at = "2026-12-01T00:00:00Z"
    assert run_check("antivirus.signature_age", snap).status == "fail"
    assert run_check("antivirus.last_scan", snap).status == "warn"


def test_checks_with_nothing_installed(make_root):
    snap = facts_of(make_root({"etc/hostname": "pc\n"}), only={"antivirus"})
    assert run_check("antivirus.present", snap, role="lab").status == "fail"
    assert run_check("antivirus.last_scan", snap).status == "not_applicable"


def test_every_outcome_has_its_own_message():
    from secaudit.i18n import STATUS
    bare = {w for s in STATUS.values() for w in s.values()}
    rows = [clam(), clam(running=False), clam(running=None), clam(running=None, enabled_units=[]),
            clam(realtime=False), clam(signature_time="2026-11-15T00:00:00Z"),
            clam(signature_time="2026-10-01T00:00:00Z"), clam(updater_running=False), clam(last_scan_time=None),
            clam(last_scan_time="2026-10-01T00:00:00Z"), kesl(),
            clam(signature_time=None, signatures_found=False, signature_source="none in /var/lib/clamav")]
    cfg = AgentConfig(approved_antivirus=["ESET"])
    for cid in ("antivirus.present", "antivirus.realtime", "antivirus.signature_age", "antivirus.last_scan"):
        for snap in [snap_of(), *(snap_of(r) for r in rows)]:
            for config in (None, cfg):
                res = run_check(cid, snap, config=config)
                assert res.status != "error", (cid, res.message)
                assert res.message["vi"] not in bare and res.message["en"] not in bare, (cid, res.status)
                assert "{" not in res.message["vi"] and "{" not in res.message["en"], res.message


def test_unreadable_scan_log_is_unknown():
    snap = snap_of(clam(last_scan_time=None), unknown={
        "antivirus.last_scan_time": {"code": "permission_denied", "detail": "/var/log/clamav/scan.log"}})
    res = run_check("antivirus.last_scan", snap)
    assert res.status == "unknown"
    assert "/var/log/clamav/scan.log" in res.message["vi"]


def _on_windows(snap: Any) -> Any:
    snap.family = "windows"
    return snap


def test_windows_wording_has_no_files_logs_or_sudo():
    """The same outcomes on a Windows snapshot are said the Windows way (no ClamAV log, no files, no sudo)."""
    eset = kesl(product="ESET Endpoint Security / Endpoint Antivirus")
    res = run_check("antivirus.realtime", _on_windows(snap_of(eset)))
    assert res.status == "unknown" and "Windows Security Center" in res.message["en"]
    assert "from files" not in res.message["en"] and "ESET" in res.message["vi"]
    res = run_check("antivirus.signature_age", _on_windows(snap_of(eset)))
    assert res.status == "unknown" and "signature database" not in res.message["en"]
    res = run_check("antivirus.last_scan", _on_windows(snap_of(eset)))
    assert res.status == "warn" and "ClamAV" not in res.message["en"] and "clamav" not in res.message["vi"]
    assert "Defender" in res.message["en"]
    snap = _on_windows(snap_of(eset, unknown={"antivirus.last_scan_time": {"code": "command_failed",
                                                                          "detail": "probe defender_status"}}))
    res = run_check("antivirus.last_scan", snap)
    assert res.status == "unknown" and "sudo" not in res.message["en"] and "probe defender_status" in res.message["vi"]
    # Linux keeps its wording
    assert "/var/log/clamav" in run_check("antivirus.last_scan", snap_of(eset)).message["en"]
    assert "from files" in run_check("antivirus.realtime", snap_of(eset)).message["en"]

"""system.* checks on hand-written snapshots (evaluation time 2026-11-20) and on fixture roots."""

from __future__ import annotations

import pytest

from tests.conftest import facts_of, run_check, snapshot

NOW = "2026-11-20T00:00:00Z"


def _fw(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"backend": "nftables", "active": True, "default_inbound": "drop",
                               "default_inbound_ipv6": "drop", "profiles": [], "rules_count": 5,
                               "configured": ["nftables"], "source": "nft -j list ruleset"}
    base.update(fields)
    return base


def _check(check_id: str, tables: dict, unknown: dict | None = None, params: dict | None = None,
           mode: str = "local"):
    return run_check(check_id, snapshot(tables, unknown=unknown, mode=mode, collected_at=NOW), params=params)


# == system.firewall =================================================================================

@pytest.mark.parametrize("fields,status,key_text", [
    ({}, "pass", "drop"),
    ({"default_inbound": "reject", "default_inbound_ipv6": "reject"}, "pass", "reject"),
    ({"default_inbound": "accept"}, "warn", "allowed by default"),
    ({"default_inbound_ipv6": "accept"}, "warn", "IPv6"),
    ({"default_inbound_ipv6": None}, "pass", "drop"),
    ({"active": False, "backend": "ufw"}, "fail", "ufw is installed but not active"),
    ({"active": False, "backend": "none", "default_inbound": None}, "fail", "No firewall"),
    ({"active": None, "backend": "nftables"}, "unknown", "run again as root"),
])
def test_firewall_statuses(fields, status, key_text):
    res = _check("system.firewall", {"firewall": _fw(**fields)})
    assert res.status == status
    assert key_text in res.message["en"]
    assert res.evidence["backend"] == _fw(**fields)["backend"]


def test_firewall_ipv6_requirement_can_be_relaxed():
    res = _check("system.firewall", {"firewall": _fw(default_inbound_ipv6="accept")}, params={"require_ipv6": False})
    assert res.status == "pass"


def test_firewall_unreadable_is_unknown_and_says_root():
    res = _check("system.firewall", {"firewall": _fw(active=False)},
                 unknown={"firewall": {"code": "permission_denied",
                                       "detail": "nft list ruleset, iptables -S"}})
    assert res.status == "unknown"
    assert "root" in res.message["vi"] and "root" in res.message["en"]


def test_firewall_windows_profiles():
    on = [{"name": "Domain", "enabled": True, "default_inbound": "block"},
          {"name": "Private", "enabled": True, "default_inbound": "block"},
          {"name": "Public", "enabled": True, "default_inbound": "block"}]
    fw = {"backend": "windows", "active": True, "profiles": on}
    assert _check("system.firewall", {"firewall": fw}).status == "pass"
    off = [*on[:2], {"name": "Public", "enabled": False, "default_inbound": "block"}]
    res = _check("system.firewall", {"firewall": {**fw, "profiles": off}})
    assert res.status == "fail" and "Public" in res.message["vi"]
    allow = [*on[:2], {"name": "Public", "enabled": True, "default_inbound": "allow"}]
    assert _check("system.firewall", {"firewall": {**fw, "profiles": allow}}).status == "warn"


def test_firewall_end_to_end_from_root(make_root):
    root = make_root({"etc/ufw/ufw.conf": "ENABLED=yes\n", "etc/default/ufw": 'DEFAULT_INPUT_POLICY="DROP"\n'})
    assert run_check("system.firewall", facts_of(root, only={"firewall"})).status == "pass"
    root = make_root({"etc/ufw/ufw.conf": "ENABLED=no\n"})
    res = run_check("system.firewall", facts_of(root, only={"firewall"}))
    assert res.status == "fail" and "ufw" in res.message["vi"]


# == system.time_sync ================================================================================

def _sys(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"time_synced": True, "time_sync_source": "timedatectl NTPSynchronized=yes",
                               "time_sync_service": "timesyncd", "time_sync_service_source": "link",
                               "auto_updates": True, "auto_updates_source": "20auto-upgrades:2",
                               "last_update_time": "2026-11-10T00:00:00Z", "last_update_source": "h:1",
                               "pending_security_updates": 0, "reboot_required": False, "reboot_required_pkgs": [],
                               "os_id": "debian", "os_version": "12", "os_support_end": "2028-06-30",
                               "os_support_note": "Debian LTS", "os_eol_table": "2026-11", "os_rolling": False}
    base.update(fields)
    return base


@pytest.mark.parametrize("fields,status", [
    ({}, "pass"),
    ({"time_synced": False}, "warn"),
    ({"time_synced": False, "time_sync_service": "none"}, "fail"),
    ({"time_synced": None, "time_sync_service": "chrony"}, "pass"),
    ({"time_synced": None, "time_sync_service": "none"}, "fail"),
    ({"time_synced": None, "time_sync_service": "timesyncd", "time_sync_running": False}, "warn"),
    ({"time_synced": None, "time_sync_service": "timesyncd", "time_sync_running": None}, "pass"),
])
def test_time_sync(fields, status):
    res = _check("system.time_sync", {"system": _sys(**fields)})
    assert res.status == status, res.message


def test_time_sync_root_mode_from_fixture(make_root):
    import os

    root = make_root({"etc/hostname": "x\n"})
    (root / "etc/systemd/system/sysinit.target.wants").mkdir(parents=True)
    os.symlink("/lib/systemd/system/systemd-timesyncd.service",
               root / "etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service")
    res = run_check("system.time_sync", facts_of(root, only={"system"}))
    assert res.status == "pass" and "timesyncd" in res.message["vi"]
    res = run_check("system.time_sync", facts_of(make_root({"etc/hostname": "x\n"}), only={"system"}))
    assert res.status == "fail"


# == system.os_supported =============================================================================

@pytest.mark.parametrize("end,status,days", [
    ("2028-06-30", "pass", 588), ("2027-02-19", "pass", 91), ("2027-02-18", "warn", 90),
    ("2026-11-20", "warn", 0), ("2026-11-19", "fail", 1), ("2026-08-31", "fail", 81), ("2024-06-30", "fail", 873),
])
def test_os_supported_bands(end, status, days):
    res = _check("system.os_supported", {"system": _sys(os_support_end=end)})
    assert res.status == status
    assert res.evidence["days_left"] == (days if status != "fail" else -days)
    assert end in res.message["vi"]


def test_os_supported_rolling_and_unknown():
    assert _check("system.os_supported", {"system": _sys(os_rolling=True, os_support_end=None,
                                                         os_id="arch", os_version="")}).status == "pass"
    res = _check("system.os_supported", {"system": _sys(os_support_end=None, os_id="slackware", os_version="15.0")},
                 unknown={"system.os_support_end": {"code": "not_found", "detail": "slackware 15.0 in the table"}})
    assert res.status == "unknown" and "slackware" in res.message["en"]


@pytest.mark.parametrize("os_release,status", [
    ('ID=debian\nVERSION_ID="10"\n', "fail"),
    ('ID=debian\nVERSION_ID="11"\n', "fail"),
    ('ID=ubuntu\nVERSION_ID="20.04"\n', "fail"),
    ('ID="centos"\nVERSION_ID="7"\n', "fail"),
    ('ID=ubuntu\nVERSION_ID="22.04"\n', "pass"),
    ('ID=ubuntu\nVERSION_ID="24.04"\n', "pass"),
    ('ID="rocky"\nVERSION_ID="9.5"\n', "pass"),
    ('ID=fedora\nVERSION_ID=43\n', "warn"),
])
def test_os_supported_from_os_release(make_root, os_release, status):
    snap = facts_of(make_root({"etc/os-release": os_release}), only={"system"})
    snap.collected_at = NOW
    assert run_check("system.os_supported", snap).status == status


# == system.auto_updates ==============================================================================

def test_auto_updates():
    assert _check("system.auto_updates", {"system": _sys()}).status == "pass"
    off = _sys(auto_updates=False, auto_updates_source="/var/lib/dpkg/status: unattended-upgrades",
               auto_updates_reason="package_missing")
    res = _check("system.auto_updates", {"system": off})
    assert res.status == "warn" and "gói unattended-upgrades chưa được cài đặt" in res.message["vi"]
    off = _sys(auto_updates=False, auto_updates_reason="setting_off",
               auto_updates_source='/etc/apt/apt.conf.d/20auto-upgrades:2: APT::Periodic::Unattended-Upgrade "0"')
    res = _check("system.auto_updates", {"system": off})
    assert res.status == "warn" and "20auto-upgrades:2" in res.message["vi"]
    res = _check("system.auto_updates", {"system": _sys(auto_updates=None)},
                 unknown={"system.auto_updates": {"code": "not_applicable", "detail": "no apt"}})
    assert res.status == "not_applicable"


# == system.updates_current ===========================================================================

@pytest.mark.parametrize("last,status,key", [
    ("2026-11-10T00:00:00Z", "pass", "no known pending"),
    ("2026-10-20T00:00:00Z", "pass", "31 days ago"),
    ("2026-10-19T00:00:00Z", "warn", "32 days"),
    ("2026-09-21T00:00:00Z", "warn", "60 days"),
    ("2026-09-20T00:00:00Z", "fail", "61 days"),
])
def test_updates_age_bands(last, status, key):
    res = _check("system.updates_current", {"system": _sys(last_update_time=last)})
    assert res.status == status and key in res.message["en"]


@pytest.mark.parametrize("pending,status", [(0, "pass"), (3, "warn"), (10, "fail")])
def test_pending_security_updates(pending, status):
    res = _check("system.updates_current", {"system": _sys(pending_security_updates=pending)})
    assert res.status == status
    if pending:
        assert str(pending) in res.message["vi"]


def test_stale_and_pending_together_and_reboot():
    res = _check("system.updates_current", {"system": _sys(last_update_time="2026-10-01T00:00:00Z",
                                                          pending_security_updates=2)})
    assert res.status == "warn" and "50" in res.message["vi"] and "2" in res.message["vi"]
    res = _check("system.updates_current", {"system": _sys(reboot_required=True,
                                                          reboot_required_pkgs=["linux-image-6.1.0-27-amd64"])})
    assert res.status == "warn" and "linux-image" in res.message["en"]
    res = _check("system.updates_current", {"system": _sys(reboot_required=True)},
                 params={"warn_reboot_required": False})
    assert res.status == "pass"


def test_updates_unknown_without_history():
    res = _check("system.updates_current", {"system": _sys(last_update_time=None)},
                 unknown={"system.last_update_time": {"code": "not_found", "detail": "package history"}})
    assert res.status == "unknown"


def test_updates_thresholds_are_params():
    res = _check("system.updates_current", {"system": _sys(last_update_time="2026-10-01T00:00:00Z")},
                 params={"max_age_days": 60, "fail_age_days": 90})
    assert res.status == "pass"

"""inventory.host_identified and inventory.software_denylist."""

from __future__ import annotations

import unicodedata
from typing import Any

from secaudit.checks.inventory import denylist, match
from tests.conftest import facts_of, run_check, snapshot
from tests.unit.facts.linux.inventory_samples import DPKG_STATUS, OS_RELEASE_UBUNTU

HOST = {"hostname": "pc05", "fqdn": "pc05.thcs-abc.edu.vn", "kernel": "6.8.0-40-generic", "arch": "x86_64",
        "os": {"family": "linux", "name": "Ubuntu 24.04.1 LTS", "id": "ubuntu", "version": "24.04",
               "version_codename": "noble", "build": None},
        "role": "workstation", "sources": {"hostname": "/proc/sys/kernel/hostname"}}
HW = {"vendor": "Dell Inc.", "model": "OptiPlex 3070", "serial": "7XK2R33", "virtual": False}
IFACES = [{"name": "lo", "mac": "00:00:00:00:00:00", "kind": "loopback", "ipv4": ["127.0.0.1/8"]},
          {"name": "enp3s0", "mac": "D8:9E:F3:12:34:56", "kind": "ether", "ipv4": ["192.168.1.10/24"]},
          {"name": "docker0", "mac": "02:42:ac:11:00:01", "kind": "bridge", "ipv4": ["172.17.0.1/16"]}]


def _snap(host: dict[str, Any] | None = None, hw: dict[str, Any] | None = None,
          ifaces: list[dict[str, Any]] | None = None, unknown: dict[str, Any] | None = None, mode: str = "local"):
    return snapshot({"host": {**HOST, **(host or {})}, "hardware": {**HW, **(hw or {})},
                     "interfaces": IFACES if ifaces is None else ifaces}, unknown=unknown, mode=mode)


def _nfc(res: Any) -> None:
    for text in res.message.values():
        assert unicodedata.is_normalized("NFC", text) and "{" not in text, text


# -- host_identified ------------------------------------------------------------------------------


def test_identified_host_passes_with_its_identity() -> None:
    res = run_check("inventory.host_identified", _snap())
    assert res.status == "pass", res.message
    assert res.evidence["macs"] == [{"interface": "enp3s0", "mac": "d8:9e:f3:12:34:56"}]  # the card, not docker0
    assert res.evidence["serial"] == "7XK2R33" and res.evidence["model"] == "OptiPlex 3070"
    assert res.evidence["os_version"] == "24.04" and res.evidence["fqdn"] == "pc05.thcs-abc.edu.vn"
    assert "pc05" in res.message["vi"] and "7XK2R33" in res.message["en"]
    _nfc(res)


def test_placeholder_serial_warns() -> None:
    res = run_check("inventory.host_identified", _snap(hw={"serial": "To Be Filled By O.E.M."}))
    assert res.status == "warn"
    assert res.evidence["missing"] == ["serial_placeholder"]
    assert "số sê-ri" in res.message["vi"] and "placeholder" in res.message["en"]
    _nfc(res)
    assert run_check("inventory.host_identified", _snap(hw={"serial": "00000000"})).status == "warn"
    assert run_check("inventory.host_identified", _snap(hw={"serial": ""})).evidence["missing"] == ["serial"]


def test_generic_hostname_and_missing_version_warn() -> None:
    res = run_check("inventory.host_identified",
                    _snap(host={"hostname": "localhost", "os": {"name": "Debian", "version": None}}))
    assert res.status == "warn"
    assert res.evidence["missing"] == ["hostname_generic", "os_version"]
    assert "tên máy mặc định" in res.message["vi"] and "operating system version" in res.message["en"]
    # a rolling release with a codename is identified
    res = run_check("inventory.host_identified",
                    _snap(host={"os": {"name": "Debian GNU/Linux trixie/sid", "version_codename": "trixie"}}))
    assert res.status == "pass"


def test_serial_unreadable_without_root_is_a_note_not_a_warning() -> None:
    unknown = {"hardware.serial": {"code": "permission_denied", "detail": "/sys/class/dmi/id/product_serial"}}
    res = run_check("inventory.host_identified", _snap(hw={"serial": None}, unknown=unknown))
    assert res.status == "pass"
    assert res.evidence["notes"] == ["serial_root"]
    assert "sudo" in res.message["vi"] and "root" in res.message["en"]
    _nfc(res)


def test_virtual_machine_needs_no_serial() -> None:
    res = run_check("inventory.host_identified", _snap(hw={"serial": "", "vendor": "QEMU", "virtual": True}))
    assert res.status == "pass" and res.evidence["notes"] == ["serial_virtual"]


def test_no_mac_warns_and_virtual_links_count_only_without_cards() -> None:
    res = run_check("inventory.host_identified", _snap(ifaces=[IFACES[0]]))
    assert res.status == "warn" and res.evidence["missing"] == ["mac"]
    res = run_check("inventory.host_identified", _snap(ifaces=[IFACES[0], IFACES[2]]))
    assert res.status == "pass" and res.evidence["macs"][0]["interface"] == "docker0"


def test_mounted_root_identifies_from_the_image(make_root) -> None:
    root = make_root({"etc/os-release": OS_RELEASE_UBUNTU, "etc/hostname": "pc09\n",
                      "var/lib/dpkg/status": DPKG_STATUS})
    snap = facts_of(root, only={"host", "hardware", "interfaces"})
    res = run_check("inventory.host_identified", snap)
    assert res.status == "pass", res.message
    assert res.evidence["notes"] == ["offline"]
    assert "--root" in res.message["vi"] and "pc09" in res.message["en"]
    _nfc(res)


def test_missing_host_table_is_unknown() -> None:
    snap = snapshot({}, unknown={"host": {"code": "error", "detail": "host: boom"}})
    assert run_check("inventory.host_identified", snap).status == "unknown"


def test_required_fields_are_a_parameter() -> None:
    snap = _snap(hw={"serial": "Default string"})
    assert run_check("inventory.host_identified", snap, params={"required": ["hostname", "os", "mac"]}).status == "pass"


# -- software_denylist ----------------------------------------------------------------------------


def _sw(*names: str, manager: str = "dpkg") -> Any:
    return snapshot({"software": [{"name": n, "version": "1.0", "manager": manager,
                                   "source": f"/var/lib/dpkg/status:{i * 10 + 1}"} for i, n in enumerate(names)]})


def test_clean_package_list_passes() -> None:
    res = run_check("inventory.software_denylist", _sw("openssh-server", "bash", "cracklib-runtime", "libcrack2"))
    assert res.status == "pass" and res.evidence["checked"] == 4
    assert "4" in res.message["vi"]
    _nfc(res)


def test_installed_insecure_server_fails_but_removed_one_does_not(make_root) -> None:
    # DPKG_STATUS has telnetd removed (config-files only), vsftpd held, tftpd-hpa half-configured, nis unpacked
    snap = facts_of(make_root({"var/lib/dpkg/status": DPKG_STATUS}), only={"software"})
    res = run_check("inventory.software_denylist", snap)
    assert res.status == "fail"
    denied = {d["package"]: d for d in res.evidence["denied"]}
    assert sorted(denied) == ["nis", "tftpd-hpa"]
    assert denied["tftpd-hpa"]["source"].startswith("/var/lib/dpkg/status:")
    assert denied["tftpd-hpa"]["category"] == "insecure_server"
    assert [r["package"] for r in res.evidence["review"]] == ["vsftpd"]
    assert "tftpd-hpa 5.2+20150808-1.4" in res.message["vi"] and "vsftpd" in res.message["en"]
    _nfc(res)


def test_review_category_only_warns() -> None:
    res = run_check("inventory.software_denylist", _sw("bash", "vsftpd", "xinetd", "telnet"))
    assert res.status == "warn"
    assert [r["package"] for r in res.evidence["review"]] == ["vsftpd", "xinetd", "telnet"]
    _nfc(res)


def test_windows_display_names_match_globs() -> None:
    snap = snapshot({"software": [
        {"name": "KMSpico 10.2.0", "version": "10.2.0", "manager": "windows", "source": "HKLM\\...\\Uninstall\\x"},
        {"name": "UltraViewer version 6.6.52", "version": "6.6", "manager": "windows", "source": "HKLM\\..."},
        {"name": "Microsoft Office Professional Plus 2019", "version": "16.0", "manager": "windows", "source": "x"},
    ]})
    res = run_check("inventory.software_denylist", snap)
    assert res.status == "fail"
    assert [d["package"] for d in res.evidence["denied"]] == ["KMSpico 10.2.0"]
    assert res.evidence["denied"][0]["category"] == "unlicensed"
    assert [r["package"] for r in res.evidence["review"]] == ["UltraViewer version 6.6.52"]


def test_allow_and_extra_params() -> None:
    snap = _sw("tftpd-hpa", "anydesk", "steam")
    res = run_check("inventory.software_denylist", snap, params={"allow": ["tftpd-hpa", "any*"]})
    assert res.status == "pass"
    res = run_check("inventory.software_denylist", snap,
                    params={"allow": ["tftpd-hpa", "anydesk"], "extra_fail": ["steam"]})
    assert res.status == "fail" and res.evidence["denied"][0]["category"] == "extra_fail"
    res = run_check("inventory.software_denylist", snap, params={"allow": ["tftpd-hpa"], "extra_warn": ["ste*"],
                                                                 "fail_categories": []})
    assert res.status == "warn" and len(res.evidence["review"]) == 2


def test_software_unknown_is_unknown() -> None:
    snap = snapshot({}, unknown={"software": {"code": "permission_denied", "detail": "/var/lib/dpkg/status"}})
    res = run_check("inventory.software_denylist", snap)
    assert res.status == "unknown" and "/var/lib/dpkg/status" in res.message["en"]


def test_denylist_data_is_well_formed() -> None:
    rules = denylist()
    categories = {r.category for r in rules}
    assert {"insecure_server", "unlicensed", "review"} <= categories
    for rule in rules:
        assert rule.pattern == rule.pattern.lower() and rule.reason["vi"] and rule.reason["en"]
        assert unicodedata.is_normalized("NFC", rule.reason["vi"])
    # no legitimate everyday package is caught
    for name in ("openssh-server", "libcrack2", "cracklib-runtime", "telnet-ssl-doc", "nis-utils", "bash",
                 "Microsoft Office Professional Plus 2019", "golang-github-charmbracelet-keygen-dev",
                 "puppet-module-voxpupuli-ssh-keygen", "crack-attack", "backpack-backcrack"):
        rule = match(name, list(rules))
        assert rule is None or rule.category not in ("insecure_server", "unlicensed"), (name, rule)
    assert match("Adobe Photoshop CS6 Keygen", list(rules)).category == "unlicensed"  # type: ignore[union-attr]


def test_empty_or_partly_read_package_list_is_no_evidence() -> None:
    res = run_check("inventory.software_denylist", snapshot({"software": []}))
    assert res.status == "unknown" and "no installed package" in res.message["en"]
    snap = snapshot({"software": _sw("bash").tables["software"]},
                    unknown={"software.snap": {"code": "permission_denied", "detail": "/var/lib/snapd/snaps"}})
    res = run_check("inventory.software_denylist", snap)
    assert res.status == "unknown" and "/var/lib/snapd/snaps" in res.message["en"]
    assert run_check("inventory.software_denylist", _sw("vsftpd")).status == "warn"  # a finding still stands

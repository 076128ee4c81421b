"""Agent reports given with --agent-report: what each host says about its own listening ports.

A file is a report payload (`secaudit audit --format json`) or a signed DSSE envelope
(`*.dsse.json`); an envelope's payload is read without verifying the signature (the
comparison is advisory; `secaudit verify` checks signatures). Each becomes one row of the
`agent_reports` table for network.port_mismatch.

A directory (e.g. the output of `secaudit audit --hosts`) stands for every report in it; JSON
files there that are not secaudit reports (a summary) are passed over, and of several reports
of one host only the newest is kept.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from secaudit.errors import SecauditError

LIVE_MODES = ("local", "ssh", "replay")  # a --root report has no live sockets to compare


def _error(path: str, vi: str, en: str) -> SecauditError:
    return SecauditError(f"Báo cáo của máy {path}: {vi}.", f"Agent report {path}: {en}.")


def load_all(paths: Sequence[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in paths:
        if Path(path).is_dir():
            rows.extend(_load_dir(Path(path)))
        else:
            rows.append(load(path))
    return rows


def _load_dir(directory: Path) -> list[dict[str, Any]]:
    newest: dict[str, dict[str, Any]] = {}
    try:
        files = sorted(directory.glob("*.json"))
    except OSError as exc:
        raise _error(str(directory), f"không đọc được thư mục ({exc.strerror})",
                     f"the directory cannot be read ({exc.strerror})") from None
    for file in files:
        try:
            row = load(str(file))
        except SecauditError:
            continue
        key = row["hostname"] or row["file"]
        held = newest.get(key)
        if held is None or (row["generated_at"], row["signed"]) > (held["generated_at"], held["signed"]):
            newest[key] = row
    if not newest:
        raise _error(str(directory), "thư mục không có báo cáo secaudit nào (*.json)",
                     "the directory holds no secaudit report (*.json)")
    return list(newest.values())


def load(path: str) -> dict[str, Any]:
    from secaudit import inputs, limits

    try:
        data = inputs.load_json(path, limits.ENVELOPE, "report")
    except FileNotFoundError as exc:
        raise _error(path, f"không đọc được ({exc.strerror})", f"cannot be read ({exc.strerror})") from None
    signed = False
    if isinstance(data, dict) and "payload" in data and "payloadType" in data:
        try:
            payload = base64.b64decode(str(data["payload"]), validate=True)
        except (ValueError, TypeError) as exc:
            raise _error(path, f"phong bì DSSE có payload hỏng ({exc})",
                         f"DSSE envelope has a broken payload ({exc})") from None
        data = inputs.parse_json(payload, path, "report")
        signed = True
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("secaudit.report/"):
        raise _error(path, "không phải báo cáo secaudit (secaudit.report/v1)",
                     "is not a secaudit report (secaudit.report/v1)")
    return row_from_report(data, path, signed)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def row_from_report(report: dict[str, Any], path: str, signed: bool = False) -> dict[str, Any]:
    """The report's addresses and listening sockets; a value of the wrong type is an error naming the
    report's field, never a check that trips on it later."""
    from secaudit import inputs, shapes
    from secaudit.facts.model import AgentSocketRow

    inventory = _mapping(report.get("inventory"))
    ips: list[str] = []
    macs: list[str] = []
    for iface in _rows(inventory.get("interfaces")):
        mac = str(iface.get("mac") or "").lower()
        if mac and set(mac) - {"0", ":"}:
            macs.append(mac)
        addresses = iface.get("ipv4")
        for addr in addresses if isinstance(addresses, list) else []:
            ip = str(addr).split("/", 1)[0]
            if ip and not ip.startswith("127."):
                ips.append(ip)
    mode = str(report.get("mode") or "")
    ports_finding = next((f for f in _rows(report.get("findings"))
                          if f.get("check_id") == "ports.risky_services"), None)
    ports_known = mode in LIVE_MODES and not (ports_finding and ports_finding.get("status") in ("unknown",
                                                                                                  "not_applicable"))
    listening = []
    for i, p in enumerate(_rows(inventory.get("listening_ports"))):
        sock = {k: p.get(k) for k in ("proto", "address", "port", "process", "pid")}
        found = shapes.check(sock, AgentSocketRow, f"inventory.listening_ports[{i}]")
        if found is not None:
            raise inputs.field_error(SecauditError, "report", path, found.field, found.vi, found.en)
        listening.append(sock)
    return {
        "file": path,
        "hostname": str(_mapping(report.get("host")).get("hostname") or ""),
        "generated_at": str(report.get("generated_at") or ""),
        "mode": mode,
        "signed": signed,
        "ips": sorted(set(ips)),
        "macs": sorted(set(macs)),
        "listening_ports_known": ports_known,
        "listening_ports": listening,
    }

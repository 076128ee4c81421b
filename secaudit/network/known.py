"""The known-devices file: a CSV the school keeps of the devices allowed on its network.

    mac,name,owner,location,role,ip,allowed_ports,notes
    00:1a:2b:3c:4d:5e,May chu truong,To Tin hoc,Phong may 1,server,192.168.1.10,tcp/3306,

Only `mac` (or, for devices behind a router whose MAC a scan cannot see, `ip`) is required.
`role` is server | workstation | lab (the risky-service policy's roles). `allowed_ports`
lists ports approved on that device ("tcp/3306 tcp/445", separated by spaces or ';').
Excel in a Vietnamese locale saves with ';' between fields: the delimiter is detected.
Lines starting with '#' are comments. Every error names the file and the line.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from typing import Any

from secaudit.errors import SecauditError

ROLES = ("server", "workstation", "lab")
COLUMNS = ("mac", "name", "owner", "location", "role", "ip", "allowed_ports")
_MAC = re.compile(r"^(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}"
                  r"|[0-9a-f]{12})$")
_PORT = re.compile(r"^(?:(tcp|udp)/)?(\d{1,5})(?:-(\d{1,5}))?$")


class KnownDevicesError(SecauditError):
    pass


def _error(path: str, line: int, vi: str, en: str) -> KnownDevicesError:
    return KnownDevicesError(f"Tệp thiết bị đã biết {path}, dòng {line}: {vi}.",
                             f"Known-devices file {path}, line {line}: {en}.")


def parse_mac(text: str) -> str | None:
    """A MAC in any common spelling (aa:bb.., AA-BB-.., aabb.ccdd.eeff, aabbccddeeff) -> aa:bb:cc:dd:ee:ff."""
    raw = text.strip().lower()
    if not _MAC.match(raw):
        return None
    digits = re.sub(r"[^0-9a-f]", "", raw)
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def _ports(text: str) -> list[str] | None:
    items = [p for p in re.split(r"[\s;,]+", text.strip().lower()) if p]
    for item in items:
        m = _PORT.match(item)
        if not m:
            return None
        low, high = int(m.group(2)), int(m.group(3) or m.group(2))
        if not 1 <= low <= high <= 65535:
            return None
    return items


def _dialect(sample: str) -> str:
    header = next((ln for ln in sample.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(text: str, path: str) -> list[dict[str, Any]]:
    delimiter = _dialect(text)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    seen_mac: dict[str, int] = {}
    seen_ip: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not record or not "".join(record).strip() or record[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip().lower().lstrip("\ufeff") for c in record]
                if "mac" not in header:
                    raise _error(path, line, "dòng tiêu đề phải có cột 'mac' (ví dụ: mac,name,owner,location)",
                                 "the header line must have a 'mac' column (e.g. mac,name,owner,location)")
                dup = next((c for c in header if c and header.count(c) > 1), None)
                if dup:
                    raise _error(path, line, f"cột '{dup}' bị lặp", f"column '{dup}' appears twice")
                continue
            if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
                raise _error(path, line, f"có {len(record)} cột nhưng dòng tiêu đề chỉ có {len(header)}",
                             f"has {len(record)} fields but the header has {len(header)}")
            values = {header[i]: v.strip() for i, v in enumerate(record) if i < len(header) and header[i]}
            rows.append(_row(values, path, line, seen_mac, seen_ip))
    except csv.Error as exc:
        raise _error(path, reader.line_num, f"CSV không hợp lệ ({exc})", f"invalid CSV ({exc})") from None
    if header is None:
        raise KnownDevicesError(f"Tệp thiết bị đã biết {path} trống (cần dòng tiêu đề có cột 'mac').",
                                f"Known-devices file {path} is empty (it needs a header line with a 'mac' column).")
    return rows


def _row(values: dict[str, str], path: str, line: int, seen_mac: dict[str, int],
         seen_ip: dict[str, int]) -> dict[str, Any]:
    mac_text, ip_text = values.get("mac", ""), values.get("ip", "")
    if not mac_text and not ip_text:
        raise _error(path, line, "thiếu địa chỉ MAC (cột 'mac')", "the MAC address ('mac' column) is missing")
    row: dict[str, Any] = {"mac": None, "ip": None, "source": f"{path}:{line}"}
    if mac_text:
        mac = parse_mac(mac_text)
        if mac is None:
            raise _error(path, line, f"'{mac_text}' không phải địa chỉ MAC (ví dụ 00:1a:2b:3c:4d:5e)",
                         f"'{mac_text}' is not a MAC address (e.g. 00:1a:2b:3c:4d:5e)")
        if mac in seen_mac:
            raise _error(path, line, f"địa chỉ MAC {mac} đã có ở dòng {seen_mac[mac]}",
                         f"MAC address {mac} is already listed on line {seen_mac[mac]}")
        seen_mac[mac] = line
        row["mac"] = mac
    if ip_text:
        try:
            ip = str(ipaddress.IPv4Address(ip_text))
        except ValueError:
            raise _error(path, line, f"'{ip_text}' không phải địa chỉ IPv4", f"'{ip_text}' is not an IPv4 address") \
                from None
        if not mac_text and ip in seen_ip:
            raise _error(path, line, f"địa chỉ IP {ip} đã có ở dòng {seen_ip[ip]}",
                         f"IP address {ip} is already listed on line {seen_ip[ip]}")
        seen_ip.setdefault(ip, line)
        row["ip"] = ip
    role = values.get("role", "").lower()
    if role and role not in ROLES:
        raise _error(path, line, f"vai trò '{values['role']}' không hợp lệ (dùng: {', '.join(ROLES)} hoặc để trống)",
                     f"role '{values['role']}' is not valid (use {', '.join(ROLES)} or leave it empty)")
    row["role"] = role or None
    ports = _ports(values.get("allowed_ports", ""))
    if ports is None:
        raise _error(path, line, f"allowed_ports '{values['allowed_ports']}' không hợp lệ (ví dụ: tcp/3306 tcp/445)",
                     f"allowed_ports '{values['allowed_ports']}' is not valid (e.g. tcp/3306 tcp/445)")
    row["allowed_ports"] = ports
    for key in ("name", "owner", "location"):
        row[key] = values.get(key) or None
    extra = {k: v for k, v in values.items() if k not in COLUMNS and v}
    if extra:
        row["extra"] = extra
    return row


def load(path: str) -> list[dict[str, Any]]:
    from secaudit import inputs, limits

    try:
        raw = inputs.read_bytes(path, limits.CONFIG_FILE, "known", KnownDevicesError)
    except FileNotFoundError as exc:
        raise KnownDevicesError(f"Không đọc được tệp thiết bị đã biết {path}: {exc.strerror}.",
                                f"Cannot read the known-devices file {path}: {exc.strerror}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(path, line, "không phải văn bản UTF-8 (hãy lưu lại dạng CSV UTF-8)",
                     "not UTF-8 text (save it again as CSV UTF-8)") from None
    return parse(text, path)

"""Network interfaces: on a running system the links in /sys/class/net with their addresses (psutil on this
machine, `ip -j addr` elsewhere); on a mounted root (--root) the configured ones (ifupdown, netplan,
NetworkManager, ifcfg)."""

from __future__ import annotations

import json
import re
from typing import Any

from secaudit import limits
from secaudit.facts.common import native
from secaudit.facts.common.addresses import mask_bits, psutil_addresses, with_prefix
from secaudit.facts.common.values import uint
from secaudit.facts.context import FactContext
from secaudit.facts.linux.hardware import sysfs_value
from secaudit.facts.linux.host import ROOT_NA
from secaudit.facts.linux.sources.osrelease import parse_os_release
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

NET = "/sys/class/net"
IFF_UP = 0x1
ARPHRD = {1: "ether", 772: "loopback", 512: "ppp", 768: "tunnel", 776: "tunnel", 778: "tunnel",
          823: "tunnel", 65534: "tun"}


def parse_ip_json(text: str) -> dict[str, dict[str, Any]]:
    """`ip -j addr` output -> {name: {mac, ipv4[], ipv6[], up, operstate, link_type}}. ValueError when
    it is not JSON; values of an unexpected type are left out."""
    if len(text) > limits.CONFIG_FILE:  # as objects, JSON takes tens of times its size
        raise ValueError(f"output larger than {limits.mib(limits.CONFIG_FILE)}")
    try:
        data = json.loads(text or "[]")
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    out: dict[str, dict[str, Any]] = {}
    for link in data if isinstance(data, list) else []:
        if not isinstance(link, dict) or not link.get("ifname"):
            continue
        link_type = link.get("link_type") if isinstance(link.get("link_type"), str) else None
        flags, addrs = link.get("flags"), link.get("addr_info")
        row = out.setdefault(str(link["ifname"]), {"mac": None, "ipv4": [], "ipv6": []})
        mac = link.get("address")
        row["mac"] = mac if isinstance(mac, str) and link_type not in ("none", None) else None
        row["up"] = isinstance(flags, list) and "UP" in flags
        row["operstate"] = str(link.get("operstate", "")).lower() or None
        row["link_type"] = link_type
        for ai in addrs if isinstance(addrs, list) else []:
            if not isinstance(ai, dict) or "local" not in ai:
                continue
            family = {"inet": "ipv4", "inet6": "ipv6"}.get(str(ai.get("family")))
            prefix = ai.get("prefixlen")
            if family:
                good = type(prefix) is int and 0 <= prefix <= 128  # not bool, not a float
                row[family].append(with_prefix(str(ai["local"]), prefix if good else None))
    return out


def _kind(ctx: FactContext, base: str, arphrd: int | None, devtype: str | None) -> str:
    if arphrd == 772:
        return "loopback"
    if devtype == "wlan" or ctx.transport.exists(f"{base}/wireless") or ctx.transport.exists(f"{base}/phy80211"):
        return "wireless"
    if devtype:
        return devtype  # bridge, bond, vlan, wireguard, ...
    if ctx.transport.exists(f"{base}/tun_flags"):
        return "tun"
    if arphrd == 1:
        return "ether" if ctx.transport.exists(f"{base}/device") else "virtual"
    return ARPHRD.get(arphrd or -1, "virtual")


def _sysfs_link(ctx: FactContext, name: str) -> dict[str, Any] | None:
    base = f"{NET}/{name}"
    uevent = parse_os_release(sysfs_value(ctx, f"{base}/uevent") or "")
    arphrd_s = sysfs_value(ctx, f"{base}/type")
    if arphrd_s is None and not uevent:
        return None  # e.g. /sys/class/net/bonding_masters is a file, not a link
    arphrd = uint(arphrd_s or "", 6)
    flags_s = sysfs_value(ctx, f"{base}/flags")
    try:
        flags = int(flags_s, 16) if flags_s else None
    except ValueError:
        flags = None
    return {
        "name": name,
        "mac": sysfs_value(ctx, f"{base}/address"),
        "ipv4": [],
        "ipv6": [],
        "up": None if flags is None else bool(flags & IFF_UP),
        "operstate": sysfs_value(ctx, f"{base}/operstate"),
        "kind": _kind(ctx, base, arphrd, uevent.get("DEVTYPE")),
        "source": base,
    }


def _live_interfaces(ctx: FactContext) -> list[dict[str, Any]]:
    rows = {n: r for n in ctx.list_dir(NET) if (r := _sysfs_link(ctx, n)) is not None}
    addresses: dict[str, dict[str, Any]] = {}
    try:
        if native(ctx.transport):
            addresses = psutil_addresses(set(rows))
        else:
            res = ctx.transport.run(["ip", "-j", "addr", "show"], timeout=5)
            if res.rc != 0:
                raise FactUnavailable(f"ip -j addr show: {res.stderr.strip()[:200]}")
            addresses = parse_ip_json(res.stdout)
    except FactUnavailable as exc:
        ctx.unknown_from("interfaces.addresses", exc)
    except ValueError as exc:
        ctx.unknown("interfaces.addresses", "error", f"ip -j addr show: {exc}")
    for name, got in addresses.items():
        row = rows.get(name)
        if row is None:  # not in /sys (hidden /sys, or replayed command only)
            link_type = got.get("link_type")
            row = rows[name] = {"name": name, "mac": got.get("mac"), "ipv4": [], "ipv6": [],
                                "up": got.get("up"), "operstate": got.get("operstate"),
                                "kind": {"none": "tun", None: "virtual"}.get(link_type, link_type),
                                "source": "ip -j addr show"}
        row["ipv4"] = got["ipv4"]
        row["ipv6"] = got["ipv6"]
    return [rows[n] for n in sorted(rows)]


# -- configured interfaces (--root) -----------------------------------------------------------


def _config_row(name: str, source: str, method: str | None = None) -> dict[str, Any]:
    return {"name": name, "mac": None, "ipv4": [], "ipv6": [], "up": None, "operstate": None,
            "kind": None, "configured": True, "method": method, "source": source}


def _add_address(row: dict[str, Any], addr: str) -> None:
    addr = addr.strip().strip("\"'")
    if addr:
        row["ipv6" if ":" in addr.split("/", 1)[0] else "ipv4"].append(addr)


def _glob_dir(ctx: FactContext, pattern: str) -> list[str]:
    import fnmatch
    import posixpath

    directory, name = posixpath.split(pattern)
    if not any(c in name for c in "*?["):
        return [pattern]
    return [f"{directory}/{n}" for n in ctx.list_dir(directory) if fnmatch.fnmatch(n, name)]


def _apply_mask(row: dict[str, Any], family: str, mask: str) -> None:
    """`netmask` may come before or after `address`: give it to the last address without one."""
    addrs = row[family]
    if not addrs or "/" in addrs[-1]:
        return
    bits = uint(mask, 3)
    if bits is None or bits > 128:
        bits = mask_bits(mask)
    if bits is not None:
        addrs[-1] += f"/{bits}"


IFUPDOWN_DEPTH = 16  # `source` nesting followed; a chain of thousands would exhaust the stack


def ifupdown_rows(ctx: FactContext, path: str = "/etc/network/interfaces",
                  seen: set[str] | None = None, depth: int = 0) -> list[dict[str, Any]]:
    """ifupdown stanzas, following `source` (globs) and `source-directory` where they stand."""
    import posixpath

    seen = seen if seen is not None else set()
    if path in seen:
        return []
    if depth > IFUPDOWN_DEPTH:
        ctx.unknown("interfaces.configured", "error", f"{path}: `source` nested more than {IFUPDOWN_DEPTH} deep")
        return []
    seen.add(path)
    text = ctx.read_text(path, unknown_key="interfaces.configured")
    if text is None:
        return []
    rows: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    family = "ipv4"
    netmask: str | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i].strip()
        i += 1
        if line.startswith("#"):  # only whole-line comments exist in this format
            continue
        parts = [line]  # joined once: adding to a growing string is quadratic over many lines
        while parts[-1].endswith("\\") and i < len(lines):  # a backslash continues the line
            parts[-1] = parts[-1][:-1]
            parts.append(lines[i].strip())
            i += 1
        line = " ".join(parts)
        words = line.split()
        if not words:
            continue
        key = words[0]
        if key in ("source", "source-directory") and len(words) > 1:
            current = None
            target = posixpath.join(posixpath.dirname(path), words[1])
            if key == "source":
                for inc in sorted(_glob_dir(ctx, target)):
                    rows += ifupdown_rows(ctx, inc, seen, depth + 1)
            else:  # run-parts names only: letters, digits, _ and -
                for n in ctx.list_dir(target):
                    if re.fullmatch(r"[A-Za-z0-9_-]+", n):
                        rows += ifupdown_rows(ctx, f"{target}/{n}", seen, depth + 1)
        elif key == "iface" and len(words) >= 4:
            current = _config_row(words[1], f"{path}:{lineno}", words[3])
            current["kind"] = "loopback" if words[3] == "loopback" else None
            family = "ipv6" if words[2] == "inet6" else "ipv4"
            netmask = None
            rows.append(current)
        elif key in ("auto", "mapping", "rename") or key.startswith("allow-"):
            current = None  # any stanza keyword ends the previous stanza
        elif current is not None and len(words) > 1:
            value = words[1]
            if key == "address":
                current[family].append(value)
                if netmask:
                    _apply_mask(current, family, netmask)
            elif key == "netmask":
                netmask = value
                _apply_mask(current, family, value)
            elif key in ("hwaddress", "hwaddr"):
                current["mac"] = words[-1].lower()
            elif key.startswith(("wpa-", "wireless-")):
                current["kind"] = "wireless"
            elif key in ("bridge_ports", "bridge-ports"):
                current["kind"] = "bridge"
            elif key in ("bond-slaves", "bond_slaves", "bond-mode"):
                current["kind"] = "bond"
    return rows


def netplan_rows(ctx: FactContext) -> list[dict[str, Any]]:
    """Netplan YAML; a file in /etc/netplan shadows one of the same name in /lib/netplan, and
    later files (by name) override a device's earlier definition. The files belong to the audited
    system: safeyaml refuses aliases and over-deep or over-large documents, every value's type is
    checked before use, and a refused file's reason names the line, never its content."""
    from secaudit import safeyaml

    kinds = {"ethernets": "ether", "wifis": "wireless", "bridges": "bridge", "bonds": "bond", "vlans": "vlan",
             "tunnels": "tunnel", "modems": "ppp"}
    files: dict[str, str] = {}
    for d in ("/lib/netplan", "/etc/netplan"):
        files.update({n: f"{d}/{n}" for n in ctx.list_dir(d) if n.endswith(".yaml")})
    rows: dict[str, dict[str, Any]] = {}
    for n in sorted(files):
        path = files[n]
        try:
            doc = safeyaml.load(ctx.read_text(path, unknown_key="interfaces.configured") or "")
        except safeyaml.YamlRefused as exc:
            ctx.unknown("interfaces.configured", "error", f"{path}:{exc.line}: {exc.en}")
            continue
        network = doc.get("network") if isinstance(doc, dict) else None
        for section, kind in kinds.items():
            devs = network.get(section) if isinstance(network, dict) else None
            for name, conf in devs.items() if isinstance(devs, dict) else ():
                if not isinstance(name, str | int) or isinstance(name, bool):
                    continue  # not an interface name
                conf = conf if isinstance(conf, dict) else {}
                dhcp = any(conf.get(k) in (True, "yes", "true") for k in ("dhcp4", "dhcp6"))
                row = _config_row(str(name), path, "dhcp" if dhcp else "static")
                row["kind"] = kind
                match = conf.get("match")
                mac = conf.get("macaddress") or (match.get("macaddress") if isinstance(match, dict) else None)
                if isinstance(mac, int) and not isinstance(mac, bool) and 0 <= mac < 60 ** 6:
                    # an unquoted all-digit MAC (00:11:22:33:44:55) is a YAML 1.1 base-60 integer
                    mac = ":".join(f"{mac // 60 ** i % 60:02d}" for i in range(5, -1, -1))
                row["mac"] = mac.lower() if isinstance(mac, str) and mac else None
                addresses = conf.get("addresses")
                for addr in addresses if isinstance(addresses, list) else ():
                    # "10.0.0.5/24", or {"10.0.0.5/24": {lifetime: ...}}
                    if isinstance(addr, dict) and len(addr) == 1:
                        addr = next(iter(addr))
                    if isinstance(addr, str):
                        _add_address(row, addr)
                rows[str(name)] = row
    return list(rows.values())


def parse_ini(text: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    section = out.setdefault("", {})
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1].strip(), {})
        elif "=" in line:
            k, _, v = line.partition("=")
            section[k.strip()] = v.strip()
    return out


def nm_rows(ctx: FactContext) -> list[dict[str, Any]]:
    base = "/etc/NetworkManager/system-connections"
    rows = []
    for n in ctx.list_dir(base):
        if n.endswith("~"):
            continue
        text = ctx.read_text(f"{base}/{n}", unknown_key="interfaces.configured")
        if text is None:
            continue
        ini = parse_ini(text)
        conn = ini.get("connection", {})
        ctype = conn.get("type", "")
        kind = {"802-3-ethernet": "ether", "ethernet": "ether", "802-11-wireless": "wireless", "wifi": "wireless",
                "bridge": "bridge", "bond": "bond", "vlan": "vlan", "wireguard": "wireguard",
                "vpn": "vpn"}.get(ctype, ctype or None)
        ipv4 = ini.get("ipv4", {})
        row = _config_row(conn.get("interface-name") or conn.get("id") or n, f"{base}/{n}",
                          ipv4.get("method") or None)
        row["kind"] = kind
        mac = (ini.get("ethernet") or ini.get("802-3-ethernet") or ini.get("wifi")
               or ini.get("802-11-wireless") or {}).get("mac-address")
        row["mac"] = mac.lower() if mac else None
        for fam in ("ipv4", "ipv6"):
            for k, v in sorted(ini.get(fam, {}).items()):
                if re.fullmatch(r"address(es)?\d*", k):
                    # "10.0.0.5/24,10.0.0.1", or the old "10.0.0.5;24;10.0.0.1;"
                    parts = v.split(";")
                    legacy = len(parts) > 1 and parts[1].isdigit() and "/" not in parts[0]
                    _add_address(row, f"{parts[0]}/{parts[1]}" if legacy else v.split(",", 1)[0])
        rows.append(row)
    return rows


def ifcfg_rows(ctx: FactContext) -> list[dict[str, Any]]:
    base = "/etc/sysconfig/network-scripts"
    rows = []
    for n in ctx.list_dir(base):
        if not n.startswith("ifcfg-"):
            continue
        conf = parse_os_release(ctx.read_text(f"{base}/{n}") or "")
        row = _config_row(conf.get("DEVICE") or n[6:], f"{base}/{n}", (conf.get("BOOTPROTO") or "").lower() or None)
        row["mac"] = (conf.get("HWADDR") or conf.get("MACADDR") or "").lower() or None
        for suffix in ("", "0", "1", "2"):
            addr = conf.get(f"IPADDR{suffix}")
            if addr:
                prefix = conf.get(f"PREFIX{suffix}") or (mask_bits(conf[f"NETMASK{suffix}"])
                                                         if conf.get(f"NETMASK{suffix}") else None)
                row["ipv4"].append(f"{addr}/{prefix}" if prefix else addr)
        if conf.get("IPV6ADDR"):
            row["ipv6"].append(conf["IPV6ADDR"])
        row["kind"] = "loopback" if row["name"] == "lo" else (conf.get("TYPE") or "").lower() or None
        rows.append(row)
    return rows


@collector("interfaces", ("interfaces",))
def collect_interfaces(ctx: FactContext) -> None:
    if ctx.transport.live:
        ctx.put("interfaces", _live_interfaces(ctx))
        return
    for key in ("interfaces.mac", "interfaces.addresses"):
        ctx.unknown(key, "not_applicable", ROOT_NA + "; only configured interfaces are listed")
    ctx.put("interfaces", ifupdown_rows(ctx) + netplan_rows(ctx) + nm_rows(ctx) + ifcfg_rows(ctx))

"""What `secaudit scan` may scan: parse SUBNET arguments and apply the refusal rules.

Rules, in order:
  - only IPv4 unicast ranges (a /64 cannot be swept; multicast and reserved space are not hosts);
  - a target that did not come from the command line (today: the config's `subnets`) must lie
    inside the unit's configured subnets; one typed on the command line is the operator's
    explicit choice and is scanned, with a note when it is outside them;
  - public ranges (anything outside RFC 1918, loopback and link-local) only with --allow-public:
    scanning networks the school does not own may be unlawful;
  - ranges larger than a /16 only with --force;
  - never this machine's own addresses (secaudit.network.own): they are cut out of every range,
    and a scan with nothing left is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv4Network, IPv6Network

from secaudit.errors import SecauditError

PRIVATE_BLOCKS = tuple(ipaddress.IPv4Network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local
))
# Never hosts: "this network", multicast, reserved, broadcast.
NOT_UNICAST = tuple(ipaddress.IPv4Network(n) for n in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))
MAX_PREFIX = 16  # the largest range scanned without --force


class TargetError(SecauditError):
    pass


@dataclass(frozen=True)
class Target:
    network: IPv4Network
    text: str  # as written by the operator or in the config
    origin: str  # cli | config
    outside_config: bool = False  # a command-line target outside the configured subnets
    ranges: tuple[IPv4Network, ...] | None = None  # what is scanned: `network` without this machine's addresses
    own: tuple[IPv4Network, ...] = ()  # this machine's addresses and local ranges inside `network`

    @property
    def host_count(self) -> int:
        return host_count(self.network)

    @property
    def scan_ranges(self) -> tuple[IPv4Network, ...]:
        return (self.network,) if self.ranges is None else self.ranges


def host_count(net: IPv4Network) -> int:
    """Addresses that can be hosts: the network and broadcast addresses are left out below /31."""
    return net.num_addresses if net.prefixlen >= 31 else net.num_addresses - 2


def hosts_of(net: IPv4Network) -> list[IPv4Address]:
    return list(net.hosts()) if net.prefixlen < 31 else list(net)


def parse_target(text: str) -> list[IPv4Network]:
    """'10.0.0.0/24', '10.0.0.7', '10.0.0.10-20' or '10.0.0.10-10.0.0.20' -> networks."""
    raw = text.strip()
    if not raw:
        raise _bad(text, "trống", "is empty")
    if "-" in raw and "/" not in raw:
        first_text, last_text = (s.strip() for s in raw.split("-", 1))
        first = _address(first_text, text)
        if "." not in last_text and last_text.isdigit():
            last_text = first_text.rsplit(".", 1)[0] + "." + last_text
        last = _address(last_text, text)
        if int(last) < int(first):
            raise _bad(text, "địa chỉ cuối nhỏ hơn địa chỉ đầu", "the last address is below the first")
        return list(ipaddress.summarize_address_range(first, last))
    try:
        net = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise _bad(text, "không phải địa chỉ IPv4 hoặc dải CIDR (ví dụ 192.168.1.0/24)",
                   "is not an IPv4 address or CIDR range (e.g. 192.168.1.0/24)") from None
    if net.version != 4:
        raise _bad(text, "IPv6 chưa được hỗ trợ: một dải /64 không thể quét hết; hãy dùng dải IPv4",
                   "IPv6 is not supported: a /64 cannot be swept; give an IPv4 range")
    assert isinstance(net, IPv4Network)
    return [net]


def _address(part: str, text: str) -> IPv4Address:
    try:
        return IPv4Address(part)
    except ValueError:
        raise _bad(text, "không phải dải địa chỉ IPv4 hợp lệ", "is not a valid IPv4 address range") from None


def _bad(text: str, vi: str, en: str) -> TargetError:
    return TargetError(f"Mục tiêu '{text}' {vi}.", f"Target '{text}' {en}.")


def is_private(net: IPv4Network) -> bool:
    return any(net.subnet_of(block) for block in PRIVATE_BLOCKS)


def config_networks(subnets: Sequence[str], source: str = "config") -> list[IPv4Network]:
    out: list[IPv4Network] = []
    for entry in subnets:
        try:
            out.extend(parse_target(entry))
        except TargetError as exc:
            raise TargetError(f"Cấu hình {source}, khóa 'subnets': {exc.vi}",
                              f"Config {source}, key 'subnets': {exc.en}") from None
    return out


def check_target(target: Target, owned: Sequence[IPv4Network], allow_public: bool, force: bool) -> Target:
    """Apply the refusal rules to one target; return it (flagged when outside the unit's subnets)."""
    net = target.network
    if any(net.overlaps(block) for block in NOT_UNICAST):
        raise _bad(target.text, "không phải dải địa chỉ máy (multicast, dành riêng hoặc 0.0.0.0/8)",
                   "is not a range of hosts (multicast, reserved or 0.0.0.0/8)")
    inside = any(net.subnet_of(o) for o in owned)
    if target.origin != "cli" and not inside:
        raise TargetError(
            f"Từ chối quét {net}: không nằm trong các dải mạng của đơn vị (subnets trong cấu hình). "
            "Chỉ quét dải ngoài cấu hình khi ghi rõ trên dòng lệnh.",
            f"Refusing to scan {net}: it is not inside the unit's subnets (subnets in the config). "
            "Ranges outside the config are scanned only when given explicitly on the command line.")
    if not is_private(net) and not allow_public:
        raise TargetError(
            f"Từ chối quét {net}: đây là dải địa chỉ công cộng (không phải mạng nội bộ). Quét mạng không "
            "thuộc quyền quản lý của đơn vị có thể vi phạm pháp luật; chỉ dùng --allow-public khi có văn bản "
            "cho phép.",
            f"Refusing to scan {net}: it is a public range (not a private network). Scanning networks the "
            "unit does not own may be unlawful; use --allow-public only with written authorisation.")
    if net.prefixlen < MAX_PREFIX and not force:
        raise TargetError(
            f"Từ chối quét {net}: dải quá lớn ({host_count(net)} địa chỉ, lớn hơn /{MAX_PREFIX}). "
            "Hãy chia nhỏ, hoặc dùng --force nếu thật sự cần.",
            f"Refusing to scan {net}: the range is too large ({host_count(net)} addresses, larger than "
            f"/{MAX_PREFIX}). Split it, or use --force if this is really intended.")
    outside = bool(owned) and not inside
    return Target(net, target.text, target.origin, outside)


def select_targets(cli: Sequence[str], config_subnets: Sequence[str], allow_public: bool = False,
                   force: bool = False, config_source: str = "config") -> list[Target]:
    """The targets to scan: the command line's, or else the config's subnets, after the rules."""
    owned = config_networks(config_subnets, config_source)
    if cli:
        raw = [Target(net, text, "cli") for text in cli for net in parse_target(text)]
    else:
        # One entry may be a range that summarises to several networks: take them all.
        raw = [Target(net, text, "config") for text in config_subnets for net in parse_target(text)]
    if not raw:
        raise TargetError(
            "Không có gì để quét: hãy ghi dải mạng trên dòng lệnh (ví dụ secaudit scan 192.168.1.0/24) "
            "hoặc khai báo subnets trong cấu hình.",
            "Nothing to scan: give a range on the command line (e.g. secaudit scan 192.168.1.0/24) "
            "or set subnets in the config.")
    checked = [check_target(t, owned, allow_public, force) for t in raw]
    return _dedupe(checked)


def _dedupe(targets: list[Target]) -> list[Target]:
    """Drop targets contained in an earlier or larger one, so no address is scanned twice."""
    ordered = sorted(targets, key=lambda t: (t.network.prefixlen, int(t.network.network_address)))
    kept: list[Target] = []
    for t in ordered:
        if not any(t.network.subnet_of(k.network) for k in kept):
            kept.append(t)
    return sorted(kept, key=lambda t: int(t.network.network_address))


def all_addresses(targets: Sequence[Target]) -> list[IPv4Address]:
    """Every address the targets scan (network and broadcast addresses left out below /31)."""
    return [ip for t in targets for ip in hosts_of(t.network) if any(ip in r for r in t.scan_ranges)]


def subtract(net: IPv4Network, holes: Sequence[IPv4Network]) -> list[IPv4Network]:
    """`net` without the addresses in `holes`, as few CIDR ranges as possible."""
    parts = [net]
    for hole in holes:
        rest: list[IPv4Network] = []
        for part in parts:
            if part.subnet_of(hole):
                continue
            rest.extend(part.address_exclude(hole) if hole.subnet_of(part) else [part])
        parts = rest
    return list(ipaddress.collapse_addresses(parts))


def within(ranges: Sequence[IPv4Network], net: IPv4Network) -> list[IPv4Network]:
    """The parts of `ranges` inside `net` (CIDR ranges either nest or do not meet)."""
    return [r if r.subnet_of(net) else net for r in ranges if r.subnet_of(net) or net.subnet_of(r)]


def leave_out(targets: Sequence[Target], own: Sequence[IPv4Network | IPv6Network]) -> list[Target]:
    """The targets with this machine's own addresses cut out (`ranges`, `own`); refuses when nothing
    is left to scan. A target that was only this machine stays, with no ranges, so the plan says so."""
    mine = [n for n in own if isinstance(n, IPv4Network)]
    out: list[Target] = []
    for t in targets:
        inside = list(ipaddress.collapse_addresses(
            n if n.subnet_of(t.network) else t.network for n in mine if n.overlaps(t.network)))
        out.append(replace(t, ranges=tuple(subtract(t.network, inside)), own=tuple(inside)))
    if not any(t.ranges for t in out):
        shown = ", ".join(dict.fromkeys(t.text.strip() for t in out))
        raise TargetError(
            f"Không còn gì để quét: mọi địa chỉ trong {shown} đều là của chính máy này (loopback hoặc địa chỉ "
            "của các giao diện mạng). secaudit scan không bao giờ quét chính nó: hãy kiểm tra máy này bằng "
            "secaudit audit.",
            f"Nothing left to scan: every address in {shown} is this machine's own (loopback or an address of "
            "its interfaces). secaudit scan never scans itself: audit this machine with secaudit audit.")
    return out

"""`secaudit scan SUBNET...`: discover devices, scan their ports, report through the audit path.

secaudit/cli.py adds this click command to the `secaudit` group. Heavy imports (scapy, nmap,
rich, the report builder) happen inside the command.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from secaudit.i18n import LANGS, default_lang, t
from secaudit.report.formats import FORMATS


class Progress:
    """A spinner on stderr, only when stderr is a terminal (never in pipes, files or tests)."""

    def __init__(self) -> None:
        self.console: Any = None
        if sys.stderr.isatty():
            from rich.console import Console

            self.console = Console(stderr=True)

    @contextmanager
    def phase(self, text: str) -> Iterator[None]:
        if self.console is None:
            yield
            return
        with self.console.status(text):
            yield


def _now() -> str:
    from secaudit.timefmt import rfc3339

    return rfc3339(time.time())


def _host_table() -> dict[str, Any]:
    import platform

    try:
        osr = platform.freedesktop_os_release()
    except OSError:
        osr = {}
    return {"hostname": socket.gethostname(),
            "os": {"family": "linux" if sys.platform.startswith("linux") else sys.platform,
                   "name": osr.get("PRETTY_NAME"), "version": osr.get("VERSION_ID")},
            "sources": {"hostname": "gethostname()", "os": "/etc/os-release"}}


@click.command("scan")
@click.argument("subnets", nargs=-1)
@click.option("--ports", "ports_text", default="top100", show_default=True,
              help="top100 | top1000 (cổng phổ biến của nmap + cổng dịch vụ rủi ro) | danh sách 22,80,8000-8100.")
@click.option("--known", "known_path", type=click.Path(dir_okay=False), default=None,
              help="Tệp CSV thiết bị đã biết (mac,name,owner,location,role,...); mặc định known_devices của cấu hình.")
@click.option("--service-detect", is_flag=True, help="Nhận diện dịch vụ và phiên bản (nmap -sV, chậm hơn).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="Agent config (TOML).")
@click.option("--allow-public", is_flag=True,
              help="Cho phép quét dải địa chỉ công cộng (chỉ khi có văn bản cho phép) / allow public ranges.")
@click.option("--force", is_flag=True, help="Cho phép dải lớn hơn /16 / allow ranges larger than /16.")
@click.option("--playbook", default="network", show_default=True, help="Playbook id or path.")
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Ngôn ngữ / language: vi (mặc định) hoặc en.")
@click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)), default="text")
@click.option("-o", "--output", default=None, help="Write the report here.")
@click.option("-v", "--verbose", is_flag=True, help="Also list passing checks.")
@click.option("--sign/--no-sign", default=None, help="Sign the report (default: when a key exists).")
@click.option("--key-dir", default=None, type=click.Path(file_okay=False), help="Agent key directory.")
@click.option("--agent-report", "agent_reports", multiple=True, type=click.Path(),
              help="Báo cáo JSON của máy được quét (secaudit audit --format json) hoặc thư mục báo cáo, "
                   "để so cổng (lặp lại được).")
@click.option("--host-timeout", type=click.IntRange(5, 3600), default=None,
              help="Giây tối đa quét cổng một máy (mặc định 120, 300 với --service-detect).")
@click.option("--no-names", is_flag=True, help="Không tra tên (DNS ngược, NetBIOS) / skip name lookups.")
@click.option("--dry-run", is_flag=True, help="Chỉ in những gì sẽ quét rồi dừng / print the plan and stop.")
def scan(subnets: tuple[str, ...], ports_text: str, known_path: str | None, service_detect: bool,
         config_path: str | None, allow_public: bool, force: bool, playbook: str, lang: str | None, fmt: str,
         output: str | None, verbose: bool, sign: bool | None, key_dir: str | None,
         agent_reports: tuple[str, ...], host_timeout: int | None, no_names: bool, dry_run: bool) -> None:
    """Quét mạng nội bộ: thiết bị, cổng mở, thiết bị lạ / scan the LAN: devices, open ports, unknown devices."""
    from secaudit.config import load_config
    from secaudit.network import targets as tg
    from secaudit.network.inventory import preflight, proxy_arp_suspects, state_path
    from secaudit.safetext import for_terminal

    lg = lang or default_lang()
    config = load_config(config_path)
    chosen = tg.select_targets(list(subnets), config.subnets, allow_public, force, config.source)
    chosen = tg.leave_out(chosen, own_networks())  # never this machine itself
    plan = make_plan(chosen, ports_text, service_detect, host_timeout)
    known_rows = _load_known(known_path or config.known_devices or None)
    agent_rows = _load_agent_reports(agent_reports)
    book = _playbook(playbook)
    if not dry_run:
        preflight(state_path(config))
    print_plan(plan, lg)
    if dry_run:
        if fmt == "json":
            click.echo(json.dumps(plan_json(plan), ensure_ascii=False, indent=2))
        return
    started = time.monotonic()
    snap = run_scan(plan, config, known_rows, agent_rows, not no_names, lg)
    devices = snap.tables["devices"]
    click.echo(t("scan.done", lg, s=f"{time.monotonic() - started:.1f}", n=len(devices),
                 p=sum(len(d["open_ports"]) for d in devices)), err=True)
    for mac, count in proxy_arp_suspects(devices).items():
        click.echo(t("scan.proxy_arp", lg, mac=for_terminal(mac), n=count), err=True)
    timed_out = [d["ip"] for d in devices if d["port_scan"] == "timeout"]
    if timed_out:
        click.echo(t("scan.timeouts", lg, ips=", ".join(timed_out)), err=True)

    from secaudit.cli import emit, report_for, sign_and_announce

    report = report_for(snap, book, config, key_dir)
    sign_and_announce(report, sign, key_dir, output, lg)
    if fmt == "text" and not output:
        print_devices(devices, lg)
    sys.exit(emit(report, fmt, output, lg, verbose))


def _playbook(ref: str) -> Any:
    import secaudit.checks.network  # noqa: F401  (registers the network checks the playbook names)
    from secaudit import playbook as pb

    return pb.load(ref)


def _load_known(path: str | None) -> list[dict[str, Any]] | None:
    if not path:
        return None
    from secaudit.network import known

    return known.load(path)


def _load_agent_reports(paths: tuple[str, ...]) -> list[dict[str, Any]]:
    from secaudit.network import agents

    return agents.load_all(paths)


# -- plan -----------------------------------------------------------------------------------------


def make_plan(chosen: list[Any], ports_text: str, service_detect: bool, host_timeout: int | None) -> dict[str, Any]:
    """Which parts of each target are swept by ARP and which by nmap, and the port scan to run."""
    from secaudit.network import arp, nmapscan
    from secaudit.network.targets import within

    as_root = nmapscan.root()
    attached = arp.attached_networks()
    parts: list[dict[str, Any]] = []
    for target in chosen:
        for net, att in arp.split(target.network, attached):
            ranges = within(target.scan_ranges, net)  # what is left once this machine is cut out
            if not ranges:
                continue
            method = "arp" if att is not None and as_root else "nmap"
            parts.append({"network": net, "ranges": ranges, "target": target, "method": method,
                          "iface": att.iface if att is not None else None})
    ports = nmapscan.port_spec(ports_text)
    return {"targets": chosen, "parts": parts, "ports": ports, "root": as_root, "service_detect": service_detect,
            "host_timeout": host_timeout or (300 if service_detect else nmapscan.DEFAULT_HOST_TIMEOUT),
            "own": sorted({_shown(n) for target in chosen for n in target.own}, key=_sort_key)}


def own_networks() -> list[Any]:
    """This machine's addresses (secaudit.network.own) and those of the interfaces the plan sweeps."""
    import ipaddress

    from secaudit.network import arp, own

    nets: list[Any] = list(own.own_addresses().networks)
    nets += [ipaddress.ip_network(a.address) for a in arp.attached_networks()]
    return nets


def _shown(net: Any) -> str:
    """A /32 as its address, a range as CIDR."""
    return str(net.network_address) if net.num_addresses == 1 else str(net)


def _sort_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("/")[0].split("."))


def plan_json(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan for --dry-run --format json: what would be swept, how, and what is left out."""
    return {
        "targets": [{"network": str(t.network), "origin": t.origin, "outside_config": t.outside_config,
                     "ranges": [str(r) for r in t.scan_ranges], "own": [_shown(n) for n in t.own]}
                    for t in plan["targets"]],
        "parts": [{"network": str(p["network"]), "ranges": [str(r) for r in p["ranges"]], "method": p["method"],
                   "iface": p["iface"]} for p in plan["parts"]],
        "own": plan["own"], "ports": plan["ports"].label, "port_count": plan["ports"].count, "root": plan["root"],
    }


def print_plan(plan: dict[str, Any], lang: str) -> None:
    from secaudit.network.targets import host_count

    click.echo(t("scan.plan", lang), err=True)
    for target in plan["targets"]:
        note = f" ({t('scan.outside', lang)})" if target.outside_config else ""
        if not target.scan_ranges:
            note += f" — {t('scan.only_self', lang)}"
        click.echo(f"  {target.network} — {target.host_count} {t('scan.addresses', lang)}{note}", err=True)
        for part in (p for p in plan["parts"] if p["target"] is target):
            if part["method"] == "arp":
                how = t("scan.arp", lang, iface=part["iface"])
            else:
                how = t("scan.nmap_root" if plan["root"] else "scan.nmap_user", lang)
            prefix = f"{part['network']} ({host_count(part['network'])}): " if part["network"] != target.network else ""
            click.echo(f"      {prefix}{how}", err=True)
    ports = plan["ports"]
    click.echo(t("scan.ports", lang, label=ports.label, n=ports.count,
                 method=t("scan.syn" if plan["root"] else "scan.connect", lang),
                 sv=t("scan.yes" if plan["service_detect"] else "scan.no", lang)), err=True)
    if plan["own"]:
        click.echo(t("scan.self", lang, ips=", ".join(plan["own"])), err=True)


# -- scan -----------------------------------------------------------------------------------------


def run_scan(plan: dict[str, Any], config: Any, known_rows: list[dict[str, Any]] | None,
             agent_rows: list[dict[str, Any]], lookup_names: bool, lang: str = "en") -> Any:
    """Discovery, port scan and names; returns the snapshot (mode local) with the `devices` table."""
    import threading

    from secaudit.facts.model import Snapshot
    from secaudit.network import arp, inventory, names, nmapscan, oui
    from secaudit.network.own import Own
    from secaudit.network.targets import hosts_of

    progress = Progress()
    started = time.monotonic()
    collected_at = _now()
    own = set(plan["own"])  # shown in the report; the plan's ranges already leave them out
    mine = Own(tuple(own_networks()))  # and whatever answers, this machine is never a device
    found: dict[str, inventory.Discovered] = {}
    commands: list[str] = []
    for part in plan["parts"]:
        net = part["network"]
        if part["method"] == "arp":
            with progress.phase(t("scan.phase_arp", lang, net=net)):
                addresses = [str(ip) for ip in hosts_of(net) if any(ip in r for r in part["ranges"])]
                try:
                    swept = arp.arp_sweep(part["iface"], addresses)
                except OSError as exc:  # interface gone or raw sockets refused: nmap can still look
                    click.echo(t("scan.arp_failed", lang, iface=part["iface"], why=exc.strerror or exc), err=True)
                    part["method"] = "nmap"
                else:
                    for ip, mac in swept.items():
                        found.setdefault(ip, inventory.Discovered(ip, mac, "arp", f"arp {part['iface']}"))
        if part["method"] != "arp":
            with progress.phase(t("scan.phase_ping", lang, net=net)):
                run = nmapscan.discover([str(r) for r in part["ranges"]],
                                        sum(r.num_addresses for r in part["ranges"]), plan["root"])
                commands.append(run.command)
                for ip, host in run.hosts.items():
                    if not mine.contains(ip) and not host.timed_out:
                        found.setdefault(ip, inventory.Discovered(ip, host.mac, "nmap", "nmap -sn"))
    live = sorted(found, key=lambda a: tuple(int(x) for x in a.split(".")))
    discovery_ms = int((time.monotonic() - started) * 1000)

    found_names: dict[str, list[str]] = {}
    worker = threading.Thread(target=lambda: found_names.update(names.lookup(live)), daemon=True, name="names")
    if lookup_names and live:
        worker.start()  # names resolve while nmap scans
    scans: dict[str, nmapscan.HostScan] = {}
    port_run = None
    if live:
        with progress.phase(t("scan.phase_ports", lang, n=len(live))):
            port_run = nmapscan.port_scan(live, plan["ports"], plan["root"], plan["service_detect"],
                                          plan["host_timeout"])
        commands.append(port_run.command)
        scans = port_run.hosts
    if worker.is_alive():
        worker.join(5.0)

    oui_source, oui_table = oui.database()
    rows = inventory.build_rows(found, scans, found_names, oui_table, oui_source, collected_at)
    inventory.remember(rows, inventory.state_path(config), collected_at)

    tables: dict[str, Any] = {
        "host": _host_table(),
        "devices": rows,
        "network_scan": {
            "targets": [{"network": str(target.network), "origin": target.origin, "hosts": target.host_count,
                         "outside_config": target.outside_config} for target in plan["targets"]],
            "discovery": [{"network": str(p["network"]), "method": p["method"], "iface": p["iface"]}
                          for p in plan["parts"]],
            "ports": plan["ports"].label, "port_count": plan["ports"].count,
            "port_scan": "syn" if plan["root"] else "connect", "service_detect": plan["service_detect"],
            "host_timeout_s": plan["host_timeout"], "excluded_self": sorted(own),
            "nmap_commands": commands, "nmap_version": port_run.nmap_version if port_run else "",
            "oui_file": oui_source or None, "discovery_ms": discovery_ms,
            "port_scan_ms": port_run.elapsed_ms if port_run else 0,
            "duration_ms": int((time.monotonic() - started) * 1000),
        },
    }
    unknown: dict[str, Any] = {}
    if known_rows is None:
        unknown["known_devices"] = {"code": "not_found", "detail": "known_devices (--known FILE)"}
    else:
        tables["known_devices"] = known_rows
    if agent_rows:
        tables["agent_reports"] = agent_rows
    return Snapshot(collected_at=collected_at, mode="local", tables=tables, unknown=unknown,
                    duration_ms=int((time.monotonic() - started) * 1000))


def print_devices(devices: list[dict[str, Any]], lang: str) -> None:
    """The device table. Names (reverse DNS, NetBIOS) and service banners come from the devices
    themselves: plain Text cells with control and bidi characters escaped, never markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from secaudit.safetext import for_terminal

    def cell(value: Any) -> Text:
        return Text(for_terminal(value))

    table = Table(title=t("scan.devices", lang), title_justify="left", show_lines=False)
    for key in ("scan.col_ip", "scan.col_mac", "scan.col_vendor", "scan.col_names", "scan.col_ports",
                "scan.col_first"):
        table.add_column(t(key, lang))
    for d in devices:
        ports = ", ".join(f"{p['port']}/{p['proto']}" + (f" {p['service']}" if p.get("service") else "")
                          for p in d["open_ports"])
        table.add_row(cell(d["ip"]), cell(d.get("mac") or "—"), cell(d.get("vendor") or "—"),
                      cell(", ".join(d.get("names") or []) or "—"), cell(ports or "—"), cell(d.get("first_seen") or ""))
    Console(highlight=False, emoji=False, markup=False).print(table)


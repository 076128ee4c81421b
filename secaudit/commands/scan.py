"""`secaudit scan SUBNET...`: discover devices, scan their ports (secaudit.network.scan), report
through secaudit.pipeline. Heavy imports (scapy, nmap, rich) happen inside the command."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from secaudit import pipeline
from secaudit.commands.options import config_option, output_of, report_options
from secaudit.commands.progress import TerminalProgress
from secaudit.i18n import t
from secaudit.network.scan import make_plan, own_networks, plan_json, run_scan
from secaudit.report.formats import FORMATS
from secaudit.safetext import for_terminal


@click.command("scan")
@click.argument("subnets", nargs=-1)
@click.option("--ports", "ports_text", default="top100", show_default=True,
              help="top100 | top1000 (cổng phổ biến của nmap + cổng dịch vụ rủi ro) | danh sách 22,80,8000-8100.")
@click.option("--known", "known_path", type=click.Path(dir_okay=False), default=None,
              help="Tệp CSV thiết bị đã biết (mac,name,owner,location,role,...); mặc định known_devices của cấu hình.")
@click.option("--service-detect", is_flag=True, help="Nhận diện dịch vụ và phiên bản (nmap -sV, chậm hơn).")
@config_option
@click.option("--allow-public", is_flag=True,
              help="Cho phép quét dải địa chỉ công cộng (chỉ khi có văn bản cho phép) / allow public ranges.")
@click.option("--force", is_flag=True, help="Cho phép dải lớn hơn /16 / allow ranges larger than /16.")
@click.option("--playbook", default="network", show_default=True, help="Playbook id or path.")
@report_options()
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
    from secaudit.network import targets as tg
    from secaudit.network.inventory import preflight, proxy_arp_suspects, state_path

    out = output_of(lang, fmt, output, verbose, sign, key_dir)
    lg = out.lang
    config = pipeline.load_config(config_path)
    chosen = tg.select_targets(list(subnets), config.subnets, allow_public, force, config.source)
    chosen = tg.leave_out(chosen, own_networks())  # never this machine itself
    plan = make_plan(chosen, ports_text, service_detect, host_timeout)
    known_rows = _load_known(known_path or config.known_devices or None)
    agent_rows = _load_agent_reports(agent_reports)
    book = pipeline.load_playbook(playbook, config)
    if not dry_run:
        preflight(state_path(config))
    print_plan(plan, lg)
    if dry_run:
        if fmt == "json":
            click.echo(json.dumps(plan_json(plan), ensure_ascii=False, indent=2))
        return
    started = time.monotonic()
    with TerminalProgress() as progress:
        snap = run_scan(plan, config, known_rows, agent_rows, not no_names, lg, progress)
    devices = snap.tables["devices"]
    click.echo(t("scan.done", lg, s=f"{time.monotonic() - started:.1f}", n=len(devices),
                 p=sum(len(d["open_ports"]) for d in devices)), err=True)
    for mac, count in proxy_arp_suspects(devices).items():
        click.echo(t("scan.proxy_arp", lg, mac=for_terminal(mac), n=count), err=True)
    timed_out = [d["ip"] for d in devices if d["port_scan"] == "timeout"]
    if timed_out:
        click.echo(t("scan.timeouts", lg, ips=", ".join(timed_out)), err=True)

    report = pipeline.build_report(snap, book, config, key_dir)
    pipeline.sign_and_announce(report, out, config)
    if FORMATS[fmt].terminal and not output:
        print_devices(devices, lg)
    sys.exit(pipeline.emit(report, out))


def _load_known(path: str | None) -> list[dict[str, Any]] | None:
    if not path:
        return None
    from secaudit.network import known

    return known.load(path)


def _load_agent_reports(paths: tuple[str, ...]) -> list[dict[str, Any]]:
    from secaudit.network import agents

    return agents.load_all(paths)


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


def print_devices(devices: list[dict[str, Any]], lang: str) -> None:
    """The device table. Names (reverse DNS, NetBIOS) and service banners come from the devices
    themselves: plain Text cells with control and bidi characters escaped, never markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

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

"""Anti-malware products: installed, running, real-time, signature age, last scan, management.

Products come from the catalogue secaudit/data/antivirus.yaml. Installation is read from
files (binaries, dpkg status) so it works on a mounted root; running state from /proc only
when the transport is live. ClamAV gets a closer look: its CVD/CLD headers, clamd.conf
on-access settings, freshclam schedule and scan-summary logs.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from secaudit.facts.common.values import LAST_TIME, uint
from secaudit.facts.context import FactContext
from secaudit.facts.linux.procs import Proc, ProcTable, process_table
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.systemd import is_enabled
from secaudit.facts.linux.sources.timezone import timezone
from secaudit.facts.model import AntivirusRow
from secaudit.facts.registry import collector
from secaudit.resources import load_data
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable

CLAMD_CONFS = ("/etc/clamav/clamd.conf", "/etc/clamd.d/scan.conf", "/etc/clamd.conf", "/usr/local/etc/clamd.conf")
FRESHCLAM_CONFS = ("/etc/clamav/freshclam.conf", "/etc/freshclam.conf", "/usr/local/etc/freshclam.conf")
CLAMAV_DB_DEFAULTS = ("/var/lib/clamav", "/usr/local/share/clamav")
CLAMAV_LOG_DIRS = ("/var/log/clamav",)
CLAMAV_EXTRA_LOGS = ("/var/log/clamscan.log", "/var/log/clamav-scan.log", "/var/log/clamdscan.log")
CRON_PLACES = ("/etc/crontab", "/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
               "/var/spool/cron/crontabs", "/var/spool/cron")
MAX_LOG_BYTES = 32 * 1024 * 1024
MAX_DIR_ENTRIES = 500
CVD_HEADER = 512
_CVD_TIME = re.compile(r"\d{1,2} [A-Za-z]{3} \d{4} \d{1,2}[-:]\d{2} [+-]\d{4}")
_SCAN_DATE = re.compile(r"^(Start|End) Date:\s+(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})\s*$", re.M)


# --- the catalogue ------------------------------------------------------------------------------

@cache
def catalogue() -> dict[str, dict[str, Any]]:
    data = load_data("antivirus.yaml")
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, dict):
        raise ValueError("antivirus.yaml: 'products' must be a mapping")
    for pid, spec in products.items():
        if not isinstance(spec, dict) or not spec.get("product") or not spec.get("vendor"):
            raise ValueError(f"antivirus.yaml: {pid} needs 'product' and 'vendor'")
    return products


def _exists(ctx: FactContext, path: str) -> bool:
    try:
        return ctx.transport.exists(path.rstrip("/") or "/")
    except FactUnavailable:
        return False


def _mtime(ctx: FactContext, path: str) -> int | None:
    st = ctx.stat(path)
    return st.mtime if st is not None and st.is_file else None


# --- ClamAV -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CvdHeader:
    build_time: str  # as written, e.g. "18 Nov 2026 07-35 -0500"
    version: int | None
    signatures: int | None
    time: int | None  # unix time: the header's last field, else the parsed build time


def parse_cvd_header(data: bytes) -> CvdHeader | None:
    """The 512-byte text header of a ClamAV .cvd/.cld file:
    ClamAV-VDB:<build time>:<version>:<sigs>:<level>:<md5>:<dsig>:<builder>:<unix time>."""
    text = data[:CVD_HEADER].decode("ascii", "replace")
    if not text.startswith("ClamAV-VDB:"):
        return None
    rest = text[len("ClamAV-VDB:"):].split("\0", 1)[0].strip()
    m = _CVD_TIME.match(rest)
    if m:  # sigtool writes "%d %b %Y %H-%M %z"; accept a colon in the time too
        build_time, fields = m.group(0), rest[m.end() + 1:].split(":")
    else:
        build_time, *fields = rest.split(":")

    def num(i: int) -> int | None:
        return uint(fields[i]) if len(fields) > i else None

    when = num(6)
    if when is None or when > LAST_TIME:
        when = None
        for fmt in ("%d %b %Y %H-%M %z", "%d %b %Y %H:%M %z"):
            try:
                when = int(datetime.strptime(build_time.strip(), fmt).timestamp())
                break
            except ValueError:
                continue
    if when is not None and not 0 <= when <= LAST_TIME:
        when = None  # year 1 at +23:59 is year 0 in UTC: no time rfc3339() can write
    return CvdHeader(build_time.strip(), num(0), num(1), when)


@dataclass(frozen=True)
class ClamConf:
    path: str | None
    options: dict[str, list[tuple[str, str]]]  # lower-case option -> [(value, file:line)]

    def get(self, option: str) -> tuple[str, str] | None:
        values = self.options.get(option.lower())
        return values[0] if values else None


def parse_clam_conf(text: str, path: str) -> ClamConf:
    options: dict[str, list[tuple[str, str]]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if "\t" in key:
            key, _, value = line.partition("\t")
        options.setdefault(key.lower(), []).append((value.strip().strip('"'), f"{path}:{number}"))
    return ClamConf(path, options)


def _clam_conf(ctx: FactContext, paths: tuple[str, ...]) -> ClamConf:
    path, text = ctx.read_first(paths, "antivirus.clamav_config")
    return parse_clam_conf(text, path) if path is not None and text is not None else ClamConf(None, {})


def _newest_cvd(ctx: FactContext, dirs: list[str]) -> tuple[CvdHeader, str] | None:
    best: tuple[CvdHeader, str] | None = None
    for directory in dirs:
        for name in ("daily.cld", "daily.cvd"):
            path = f"{directory}/{name}"
            try:
                head = parse_cvd_header(ctx.transport.read_bytes(path, CVD_HEADER))
            except FactUnavailable as exc:
                if exc.code != "not_found":
                    ctx.unknown("antivirus.signature_time", exc.code, exc.detail)
                continue
            if head is None or head.time is None:
                continue
            if best is None or head.time > (best[0].time or 0):
                best = (head, path)
    return best


def _truthy(value: str) -> bool:
    return value.lower() in ("yes", "true", "1", "on")


def _cron_mentions(ctx: FactContext, word: str) -> str | None:
    """file:line of a cron entry that runs `word`, if any."""
    for place in CRON_PLACES:
        try:
            st = ctx.transport.stat(place)
        except FactUnavailable:
            continue
        files = [f"{place}/{n}" for n in ctx.list_dir(place)] if st.is_dir else [place]
        for path in files[:MAX_DIR_ENTRIES]:
            text = ctx.read_text(path) or ""
            for number, line in enumerate(text.splitlines(), 1):
                if word in line and not line.lstrip().startswith("#"):
                    return f"{path}:{number}"
    return None


def _scan_logs(ctx: FactContext) -> list[str]:
    paths = []
    for directory in CLAMAV_LOG_DIRS:
        for name in ctx.list_dir(directory):
            if fnmatch.fnmatch(name, "*.log") or fnmatch.fnmatch(name, "*.log.[0-9]"):
                paths.append(f"{directory}/{name}")
    paths += [p for p in CLAMAV_EXTRA_LOGS if _exists(ctx, p)]
    return paths


def last_clamav_scan(ctx: FactContext) -> tuple[int, str] | None:
    """Newest scan in clamscan/clamdscan summaries: End Date (else Start Date) in local time,
    or the log's mtime when the summary carries no dates (ClamAV before 0.102)."""
    local = timezone(ctx)
    tz, tz_source = local.zone, local.zone_source
    best: tuple[int, str] | None = None
    for path in _scan_logs(ctx):
        try:
            st = ctx.transport.stat(path)
            if not st.is_file or st.size > MAX_LOG_BYTES:
                continue
            text = ctx.transport.read_bytes(path, cap=MAX_LOG_BYTES).decode("utf-8", "replace")
        except FactUnavailable as exc:
            if exc.code != "not_found":
                ctx.unknown("antivirus.last_scan_time", exc.code, exc.detail)
            continue
        if "SCAN SUMMARY" not in text:
            continue  # clamd and freshclam logs: not evidence of a scan
        found: tuple[int, str] | None = None
        line, counted = 1, 0  # lines counted as we go: counting from the start each time is quadratic
        for m in _SCAN_DATE.finditer(text):
            y, mo, d, h, mi, s = (int(g) for g in m.groups()[1:])
            try:
                ts = int(datetime(y, mo, d, h, mi, s, tzinfo=tz).timestamp())
            except (ValueError, OverflowError):
                continue
            line, counted = line + text.count("\n", counted, m.start()), m.start()
            if 0 <= ts <= LAST_TIME and (found is None or ts >= found[0]):
                found = (ts, f"{path}:{line} ({m.group(1)} Date, {tz_source})")
        if found is None and 0 <= st.mtime <= LAST_TIME:
            found = (st.mtime, f"{path} (mtime; summary without dates)")
        if found is None:
            continue
        if best is None or found[0] > best[0]:
            best = found
    return best


def clamav_details(ctx: FactContext, row: AntivirusRow, table: ProcTable, spec: dict[str, Any]) -> None:
    clamd = _clam_conf(ctx, CLAMD_CONFS)
    fresh = _clam_conf(ctx, FRESHCLAM_CONFS)
    # signatures: freshclam writes where its DatabaseDirectory says; clamd reads its own
    dirs: list[str] = []
    for conf in (fresh, clamd):
        entry = conf.get("DatabaseDirectory")
        if entry and entry[0] not in dirs:
            dirs.append(entry[0].rstrip("/"))
    dirs += [d for d in CLAMAV_DB_DEFAULTS if d not in dirs]
    newest = _newest_cvd(ctx, dirs)
    if newest:
        head, path = newest
        row["signature_time"] = rfc3339(head.time or 0)
        row["signature_source"] = f"{path} (header, built {head.build_time})"
        row["signature_version"] = head.version
        row["signatures_found"] = True
    elif "antivirus.signature_time" not in ctx.snapshot.unknown:
        row["signatures_found"] = False  # freshclam has never run (or the files were removed)
        row["signature_source"] = f"no daily.cvd or daily.cld in {', '.join(dirs)}"
    # real-time: clamonacc needs OnAccessIncludePath or OnAccessMountPath in clamd.conf
    onaccess = clamd.get("OnAccessIncludePath") or clamd.get("OnAccessMountPath")
    legacy = clamd.get("ScanOnAccess")
    legacy_on = legacy is not None and _truthy(legacy[0])
    rt = spec.get("realtime") or {}
    onacc_procs = [p for p in table.procs if any(p.matches(s) for s in rt.get("processes", []))]
    clamd_procs = [p for p in table.procs if p.matches("clamd")]
    rt_units = [u for u in rt.get("services", []) if is_enabled(ctx, u)]
    if table.complete:
        if onacc_procs:
            row["realtime"], row["realtime_source"] = True, f"clamonacc running (pid {onacc_procs[0].pid})"
        elif legacy_on and legacy and clamd_procs:
            row["realtime"], row["realtime_source"] = True, f"ScanOnAccess yes ({legacy[1]}), clamd running"
        else:
            row["realtime"], row["realtime_source"] = False, "clamonacc is not running"
    elif onaccess is None and not legacy_on:
        where = clamd.path or "clamd.conf"
        row["realtime"], row["realtime_source"] = False, f"{where}: no OnAccessIncludePath/OnAccessMountPath"
    elif rt_units and onaccess:
        row["realtime"] = True
        row["realtime_source"] = f"{rt_units[0]} enabled, {onaccess[1]} (running state not observable)"
    else:
        row["realtime"], row["realtime_source"] = None, "on-access configured but its service is not enabled"
    # updates: freshclam daemon, timer, or cron job
    up = spec.get("updater") or {}
    cron = _cron_mentions(ctx, "freshclam")
    timers = [u for u in up.get("timers", []) if is_enabled(ctx, u)]
    services = [u for u in up.get("services", []) if is_enabled(ctx, u)]
    row["updater_scheduled"] = bool(cron or timers)
    row["updater_enabled"] = bool(services)
    sources = [f"cron {cron}"] if cron else []
    sources += [f"{u} enabled" for u in timers + services]
    row["updater_source"] = "; ".join(sources) or None
    # scans
    last = last_clamav_scan(ctx)
    if last:
        row["last_scan_time"], row["last_scan_source"] = rfc3339(last[0]), last[1]
    row["managed"], row["managed_source"] = False, "ClamAV has no central management"


# --- every product ------------------------------------------------------------------------------

def _json_value(ctx: FactContext, path: str, key: str) -> Any:
    text = ctx.memo(f"file:{path}", lambda: ctx.read_text(path))
    if not text:
        return None
    try:
        node: Any = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the interpreter's limit
        return None
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _newest_file(ctx: FactContext, dirs: list[str], pattern: str) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for directory in dirs:
        for name in ctx.list_dir(directory)[:MAX_DIR_ENTRIES]:
            path = f"{directory}/{name}"
            candidates = [path]
            try:
                if ctx.transport.stat(path).is_dir:
                    candidates = [f"{path}/{n}" for n in ctx.list_dir(path)[:MAX_DIR_ENTRIES]]
            except FactUnavailable:
                continue
            for candidate in candidates:
                if not fnmatch.fnmatch(candidate.rsplit("/", 1)[-1], pattern):
                    continue
                mtime = _mtime(ctx, candidate)
                if mtime is not None and (best is None or mtime > best[0]):
                    best = (mtime, candidate)
    return best


def _matching(procs: tuple[Proc, ...], specs: list[str]) -> list[Proc]:
    return [p for p in procs if any(p.matches(s) for s in specs)]


def _generic(ctx: FactContext, row: AntivirusRow, table: ProcTable, spec: dict[str, Any],
             procs: list[Proc]) -> None:
    rt = spec.get("realtime") or {}
    for rule in rt.get("json", []):
        value = _json_value(ctx, rule["file"], rule["key"])
        if value is None:
            continue
        if value in rule.get("on", []):
            row["realtime"], row["realtime_source"] = True, f"{rule['file']}: {rule['key']} = {value}"
            break
        if value in rule.get("off", []):
            row["realtime"], row["realtime_source"] = False, f"{rule['file']}: {rule['key']} = {value}"
            break
    if row.get("realtime") is None and rt.get("processes"):
        seen = _matching(table.procs, rt["processes"])
        if table.complete and seen:
            row["realtime"], row["realtime_source"] = True, f"{seen[0].comm} running (pid {seen[0].pid})"
        elif table.complete and rt.get("verified", True):
            row["realtime"], row["realtime_source"] = False, f"{', '.join(rt['processes'])} not running"
    up = spec.get("updater")
    if up is None:  # the product updates itself while it runs
        row["updater_running"] = row.get("running")
        enabled = [u for u in spec.get("services", []) if is_enabled(ctx, u)]
        row["updater_enabled"] = bool(enabled) if spec.get("services") else None
        row["updater_source"] = "built into the product"
    sig = spec.get("signatures") or {}
    if sig.get("dirs"):
        newest = _newest_file(ctx, sig["dirs"], sig.get("pattern", "*"))
        if newest:
            row["signature_time"] = rfc3339(newest[0])
            row["signature_source"] = f"{newest[1]} (mtime)"
            row["signatures_found"] = True
    management = spec.get("management") or {}
    if management.get("always"):
        row["managed"], row["managed_source"] = True, "always centrally managed"
    elif management.get("never"):
        row["managed"], row["managed_source"] = False, "no central management"
    elif management:
        path = next((p for p in management.get("paths", []) if _exists(ctx, p)), None)
        agents = _matching(table.procs, management.get("processes", []))
        if path:
            row["managed"], row["managed_source"] = True, path
        elif agents:
            row["managed"], row["managed_source"] = True, f"{agents[0].comm} (pid {agents[0].pid})"
        else:
            row["managed"], row["managed_source"] = False, "no management agent found"


def detect(ctx: FactContext, pid: str, spec: dict[str, Any], table: ProcTable,
           packages: dict[str, str] | None) -> AntivirusRow | None:
    markers = [p for p in spec.get("paths", []) if _exists(ctx, p)]
    for pkg in spec.get("packages", []):
        if packages is not None and pkg in packages:
            markers.append(f"dpkg:{pkg} {packages[pkg]}".strip())
        elif packages is None and pkg in dpkg.info_lists(ctx):
            markers.append(f"/var/lib/dpkg/info/{pkg}.list")
    if not markers:
        return None
    procs = _matching(table.procs, spec.get("processes", []))
    updater = spec.get("updater") or {}
    wanted = [*spec.get("services", []), *updater.get("services", []), *updater.get("timers", []),
              *(spec.get("realtime") or {}).get("services", [])]
    row: AntivirusRow = {
        "id": pid,
        "product": spec["product"],
        "vendor": spec["vendor"],
        "installed": True,
        "running": bool(procs) if table.complete else None,
        "running_processes": [f"{p.comm} (pid {p.pid})" for p in procs[:5]],
        "realtime": None,
        "realtime_source": None,
        "signature_time": None,
        "signature_source": None,
        "signature_version": None,
        "signatures_found": None,
        "updater_running": bool(_matching(table.procs, updater.get("processes", [])))
        if table.complete and updater else None,
        "updater_scheduled": None,
        "updater_enabled": None,
        "updater_source": None,
        "last_scan_time": None,
        "last_scan_source": None,
        "managed": None,
        "managed_source": None,
        "enabled_units": [u for u in wanted if is_enabled(ctx, u)],
        "markers": markers,
        "source": markers[0],
    }
    if spec.get("kind") == "clamav":
        clamav_details(ctx, row, table, spec)
    else:
        _generic(ctx, row, table, spec, procs)
    if row["running"] is False and row["realtime"] is not False:
        # a scanner that does not run protects nothing, whatever its settings say
        why = f"; {row['realtime_source']}" if row["realtime_source"] else ""
        row["realtime"], row["realtime_source"] = False, f"product not running{why}"
    return row


@collector("antivirus", ("antivirus",))
def collect_antivirus(ctx: FactContext) -> None:
    table = process_table(ctx)
    if ctx.transport.live and not table.complete:
        ctx.unknown("antivirus.running", "permission_denied", table.reason)
    status = dpkg.dpkg_status(ctx)
    if status.problem is not None:
        ctx.unknown_from("antivirus.packages", status.problem)
    packages = dpkg.installed(ctx)
    rows = []
    for pid, spec in catalogue().items():
        row = detect(ctx, pid, spec, table, packages)
        if row is not None:
            rows.append(row)
    ctx.put("antivirus", rows)

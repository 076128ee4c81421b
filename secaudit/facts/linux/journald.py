"""systemd-journald's settings as journald reads them: the main journald.conf (the first of /etc, /run,
/usr/local/lib, /usr/lib), then the drop-ins `journald.conf.d/*.conf` of every one of those directories,
ordered by file name (a name in /etc hides the same name in /run and /usr/lib), each later value winning;
whether the journal is kept on disk (Storage=, /var/log/journal), how long and how much; and whether
systemd-journal-upload ships it elsewhere."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources.systemd import enabled_unit
from secaudit.units import parse_size

CONF_DIRS = ("/etc/systemd", "/run/systemd", "/usr/local/lib/systemd", "/usr/lib/systemd", "/lib/systemd")
KEYS = ("storage", "maxretentionsec", "systemmaxuse", "systemkeepfree", "systemmaxfilesize", "maxfilesec",
        "forwardtosyslog")

# systemd's time-span units (parse_sec): a month is 30.44 days, a year 365.25 days.
_SPAN_UNITS = {
    "us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3,
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
    "M": 2629800, "month": 2629800, "months": 2629800,
    "y": 31557600, "year": 31557600, "years": 31557600,
}
_SPAN = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)")


def parse_timespan(text: str) -> int:
    """Seconds in a systemd time span ("3month", "90d", "1y 2M", "3600" = seconds). ValueError if invalid."""
    value = text.strip()
    if not value:
        raise ValueError("empty time span")
    pos, total = 0, 0.0
    while pos < len(value):
        m = _SPAN.match(value, pos)
        if not m or m.end() == pos:
            raise ValueError(f"invalid time span {text!r}")
        unit = m.group(2) or "s"
        factor = _SPAN_UNITS.get(unit)
        if factor is None and len(unit) > 1:
            factor = _SPAN_UNITS.get(unit.lower())  # "Min", "Days"; "M" alone is a month, "m" a minute
        if factor is None:
            raise ValueError(f"invalid time span {text!r}")
        total += float(m.group(1)) * factor
        pos = m.end()
        while pos < len(value) and value[pos].isspace():
            pos += 1
    if total != total or total > 10 ** 15:  # inf, nan, or beyond any real retention (systemd: "infinity")
        raise ValueError(f"time span out of range {text!r}")
    return int(total)


def parse_journald_conf(text: str, path: str, into: dict[str, tuple[str, str]]) -> None:
    """Apply one file: only the [Journal] section counts; `#` and `;` start comment lines; later values win;
    an empty value resets the setting to its default."""
    section = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != "Journal" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().lower()
        if key not in KEYS:
            continue
        if value.strip():
            into[key] = (value.strip(), f"{path}:{lineno}")
        else:
            into.pop(key, None)


def journald_files(ctx: FactContext) -> list[str]:
    main = next((f"{d}/journald.conf" for d in CONF_DIRS if ctx.transport.exists(f"{d}/journald.conf")), None)
    dropins: dict[str, str] = {}
    for d in CONF_DIRS:  # /etc first: the first directory holding a name wins
        for name in ctx.list_dir(f"{d}/journald.conf.d"):
            if name.endswith(".conf"):
                dropins.setdefault(name, f"{d}/journald.conf.d/{name}")
    return ([main] if main else []) + [dropins[n] for n in sorted(dropins)]


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in ("1", "yes", "true", "on", "y", "t") else False if v in ("0", "no", "false", "off", "n", "f") \
        else None


def collect_journald(ctx: FactContext) -> dict[str, Any]:
    files = journald_files(ctx)
    conf: dict[str, tuple[str, str]] = {}
    read: list[str] = []
    for path in files:
        text = ctx.read_text(path, unknown_key="logging.journald_conf")
        if text is not None:
            read.append(path)
            parse_journald_conf(text, path, conf)
    sources = {k: v[1] for k, v in conf.items()}
    invalid: list[str] = []
    storage = conf.get("storage", ("auto", ""))[0].lower()
    if storage not in ("persistent", "volatile", "auto", "none"):
        invalid.append(conf["storage"][1])
        storage = "auto"  # journald ignores an invalid value and keeps the default
    journal_dir = ctx.transport.exists("/var/log/journal")
    persistent = storage == "persistent" or (storage == "auto" and journal_dir)

    def size(key: str) -> int | None:
        if key not in conf:
            return None
        try:
            return parse_size(conf[key][0])
        except ValueError:
            invalid.append(conf[key][1])
            return None

    def span(key: str) -> int | None:
        if key not in conf:
            return None
        try:
            return parse_timespan(conf[key][0])
        except ValueError:
            invalid.append(conf[key][1])
            return None

    upload_link = enabled_unit(ctx, "systemd-journal-upload.service")
    upload_url = None
    if upload_link:
        for d in CONF_DIRS:
            text = ctx.read_text(f"{d}/journal-upload.conf") or ""
            m = re.search(r"^\s*URL\s*=\s*(\S+)", text, re.M)
            if m:
                upload_url = m.group(1)
                break
    return {
        "installed": bool(files) or ctx.transport.exists("/usr/lib/systemd/systemd-journald")
        or ctx.transport.exists("/lib/systemd/systemd-journald"),
        "files": read,
        "storage": storage,
        "persistent": persistent,
        "journal_dir": journal_dir,
        "max_retention_sec": span("maxretentionsec"),
        "max_file_sec": span("maxfilesec"),
        "system_max_use": size("systemmaxuse"),
        "system_keep_free": size("systemkeepfree"),
        "forward_to_syslog": _bool(conf["forwardtosyslog"][0]) if "forwardtosyslog" in conf else None,
        "invalid": invalid,
        "sources": sources,
        "upload_enabled": upload_link is not None,
        "upload_source": upload_link,
        "upload_url": upload_url,
    }

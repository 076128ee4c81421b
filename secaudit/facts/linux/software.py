"""Installed software: dpkg packages (the shared reader in sources/dpkg.py), rpm packages (`rpm -qa` on a
running system), snaps and flatpaks."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.common.values import version_key
from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.dpkg import DPKG_PRESENT, DPKG_STATUS, MAX_PACKAGES, TooManyPackages
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

RPM_DBS = ("/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
           "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db")
RPM_QF = "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{ARCH}\\n"


def parse_rpm_qa(text: str) -> list[dict[str, Any]]:
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0] or parts[0] == "gpg-pubkey":
            continue
        vendor = parts[2].strip() if len(parts) > 2 else ""
        rows.append({"name": parts[0], "version": parts[1], "arch": parts[3] if len(parts) > 3 else None,
                     "publisher": None if vendor in ("", "(none)") else vendor,
                     "manager": "rpm", "source": "rpm -qa"})
        if len(rows) > MAX_PACKAGES:
            raise TooManyPackages(f"rpm -qa: more than {MAX_PACKAGES} packages")
    return rows


def _rpm(ctx: FactContext) -> list[dict[str, Any]] | None:
    db = next((p for p in RPM_DBS if ctx.transport.exists(p)), None)
    if db is None:
        return None
    if not ctx.transport.live:
        ctx.unknown("software.rpm", "not_applicable", f"{db}: the rpm database is only queried on a live system")
        return None
    try:
        res = ctx.transport.run(["rpm", "-qa", "--qf", RPM_QF], timeout=10)
    except FactUnavailable as exc:
        ctx.unknown_from("software.rpm", exc)
        return None
    if res.rc != 0:
        ctx.unknown("software.rpm", "command_failed", f"rpm -qa: {res.stderr.strip()[:200]}")
        return None
    try:
        return parse_rpm_qa(res.stdout)
    except TooManyPackages as exc:
        ctx.unknown("software.rpm", "too_large", str(exc))
        return None


# The value: non-blank, non-quote characters with single runs of blanks between them, so that no two
# parts of the pattern can take the same characters (a lazy group before \s*$ backtracks quadratically).
_SNAP_VERSION = re.compile(r"^version:\s*['\"]?((?:[^'\"\s]|[^\S\n]+[^'\"\s])+)['\"]?[^\S\n]*$", re.M)


def _snaps(ctx: FactContext) -> list[dict[str, Any]]:
    revisions: dict[str, str] = {}
    for n in ctx.list_dir("/var/lib/snapd/snaps"):
        m = re.fullmatch(r"(.+)_(x?\d+)\.snap", n)
        if m and version_key(m.group(2)) >= version_key(revisions.get(m.group(1), "")):
            revisions[m.group(1)] = m.group(2)
    names = set(revisions) | {n for n in ctx.list_dir("/snap") if n not in ("bin", "README")}
    rows = []
    for name in sorted(names):
        path = f"/snap/{name}/current/meta/snap.yaml"
        m = _SNAP_VERSION.search(ctx.read_text(path) or "")
        if not m and name not in revisions:
            continue  # a stray directory, not a snap
        rows.append({"name": name, "version": m.group(1) if m else None, "arch": None, "publisher": None,
                     "revision": revisions.get(name), "manager": "snap",
                     "source": path if m else f"/var/lib/snapd/snaps/{name}_{revisions[name]}.snap"})
    return rows


def _flatpaks(ctx: FactContext) -> list[dict[str, Any]]:
    base = "/var/lib/flatpak/app"
    rows = []
    for app in ctx.list_dir(base):
        files = f"{base}/{app}/current/active/files/share"
        text = ""
        for meta in (f"{files}/metainfo/{app}.metainfo.xml", f"{files}/appdata/{app}.appdata.xml"):
            text = ctx.read_text(meta) or ""
            if text:
                break
        # [^<>]: a tag ends before the next '<', so thousands of unclosed tags are not rescanned each
        version = re.search(r"<release\b[^<>]*\bversion=\"([^\"<>]+)\"", text)
        dev = re.search(r"<developer_name[^<>]*>([^<]+)<|<developer\b[^<>]*>\s*<name[^<>]*>([^<]+)<", text)
        rows.append({"name": app, "version": version.group(1) if version else None, "arch": None,
                     "publisher": (dev.group(1) or dev.group(2)).strip() if dev else None,
                     "manager": "flatpak", "source": f"{base}/{app}"})
    return rows


@collector("software", ("software",))
def collect_software(ctx: FactContext) -> None:
    rows: list[dict[str, Any]] = [
        {"name": p.name, "version": p.version, "arch": p.arch or None, "publisher": p.maintainer or None,
         "manager": "dpkg", "source": f"{DPKG_STATUS}:{p.line}",
         **({} if p.state == "installed" else {"state": p.state})}
        for p in dpkg.packages(ctx, "software.dpkg") if p.state in DPKG_PRESENT
    ]
    have_dpkg = ctx.transport.exists(DPKG_STATUS)
    unread = ctx.snapshot.why_unknown("software.dpkg")
    if have_dpkg and unread:  # the package list would be empty, not "nothing installed"
        ctx.unknown("software", unread["code"], unread["detail"])
    rpm = _rpm(ctx)
    rows += rpm or []
    if not have_dpkg and rpm is None:
        why = ctx.snapshot.why_unknown("software.rpm")
        if why:
            ctx.unknown("software", why["code"], why["detail"])
        else:
            ctx.unknown("software", "not_found", f"no package database ({DPKG_STATUS}, /var/lib/rpm)")
    rows += _snaps(ctx) + _flatpaks(ctx)
    ctx.put("software", rows)

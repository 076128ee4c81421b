"""Backups (VN-BAK-01…05): freshness, retention, size, integrity, restore drill, off-site copy,
protection and scope, judged from the `backups` table (filled cheaply by the audit, and with the
results of `secaudit backup verify`). Each check speaks about every declared set at once."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.i18n import LANGS, REASON, render
from secaudit.resources import load_yaml
from secaudit.status import RANK, Status, worst
from secaudit.timefmt import parse_rfc3339_or_none

_DB_PROCESSES = {"mysqld", "mariadbd", "postgres", "postmaster", "mongod", "sqlservr", "sqlservr.exe",
                 "mysqld.exe", "oracle", "db2sysc", "redis-server"}
_DB_PACKAGES = re.compile(r"^(mariadb-server|mysql-server|percona-server-server|postgresql(-\d+)?|mongodb(-org)?"
                          r"(-server)?|microsoft sql server.*|mysql server.*|postgresql \d+.*)$", re.IGNORECASE)
_DB_SET = re.compile(r"(sql|\bdb\b|db[-_.]|[-_.]db|csdl|mysql|maria|postgres|pg_?dump|database|cơ sở dữ liệu)",
                     re.IGNORECASE)


def _meta() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(Path(__file__).with_suffix(".yaml"))
    return data


def _say(check_id: str, key: str, **args: Any) -> dict[str, str]:
    template = _meta()[check_id]["messages"][key]
    out = {}
    for lang in LANGS:
        local = {k: (v[lang] if isinstance(v, dict) and lang in v else v) for k, v in args.items()}
        out[lang] = render(template[lang], local)
    return out


def _phrase(group: str, key: str) -> dict[str, str]:
    table = _meta()["phrases"][group]
    value = table.get(key) or table["other"]
    return {"vi": str(value["vi"]), "en": str(value["en"])}


def _parse(ts: str | None) -> datetime | None:
    return parse_rfc3339_or_none(ts)


def _age_seconds(ts: str | None, env: Env) -> int | None:
    when = _parse(ts)
    return None if when is None else int((env.now - when).total_seconds())


def _span(seconds: int) -> dict[str, str]:
    """A human duration in both languages: '3 ngày 4 giờ' / '3 d 4 h'."""
    s = abs(seconds)
    days, hours, minutes = s // 86400, (s % 86400) // 3600, (s % 3600) // 60
    if days:
        return {"vi": f"{days} ngày" + (f" {hours} giờ" if hours and days < 10 else ""),
                "en": f"{days} d" + (f" {hours} h" if hours and days < 10 else "")}
    if hours:
        return {"vi": f"{hours} giờ" + (f" {minutes} phút" if minutes else ""),
                "en": f"{hours} h" + (f" {minutes} min" if minutes else "")}
    return {"vi": f"{minutes} phút", "en": f"{minutes} min"}


def _size(n: int | None) -> str:
    from secaudit.units import format_size

    return "?" if n is None else format_size(n)


class _Items:
    """Per-set verdicts gathered into one outcome: the worst status speaks first."""

    def __init__(self, check_id: str) -> None:
        self.check_id = check_id
        self.items: list[tuple[Status, dict[str, str], dict[str, Any]]] = []

    def add(self, status: Status, key: str, evidence: dict[str, Any], **args: Any) -> None:
        self.items.append((status, _say(self.check_id, key, **args), evidence))

    def outcome(self) -> Outcome:
        status: Status = worst([s for s, _, _ in self.items])  # type: ignore[assignment]
        ordered = sorted(self.items, key=lambda i: -RANK[i[0]])
        shown = [i for i in ordered if RANK[i[0]] >= RANK[status]] if status != "pass" else ordered
        others = [i for i in ordered if i not in shown]
        args = {f"items_{lang}": [i[1][lang] for i in shown] for lang in LANGS}
        if others:
            extra = _say(self.check_id, "others", n=len(others)) if "others" in _meta()[self.check_id]["messages"] \
                else None
            if extra:
                for lang in LANGS:
                    args[f"items_{lang}"].append(extra[lang])
        return Outcome(status, status, args, {"sets": [dict(i[2], status=i[0]) for i in ordered]})


def _no_sets(env: Env) -> Outcome:
    """No [[backup]] declared: a warning on a server (the plans demand backups), not applicable elsewhere. Every
    backup check says it under the same keys, so the engine folds them into backup.freshness (depends_on)."""
    if env.role == "server":
        return Outcome("warn", "no_sets", {}, {"role": env.role, "configured_sets": 0})
    return Outcome("not_applicable", "no_sets_na", {}, {"role": env.role, "configured_sets": 0})


def _set_error(items: _Items, row: dict[str, Any], err: dict[str, Any] | None) -> bool:
    """A configuration or access problem: `error` for a wrong config, `unknown` for access."""
    if not err:
        return False
    code = str(err.get("code") or "error")
    status: Status = "error" if code in ("config", "not_found") else "unknown"
    raw = str(err.get("detail") or code)
    detail: dict[str, str] | str = raw
    if code in REASON and code != "error":
        detail = {lang: render(REASON[code][lang], {"detail": raw}) for lang in LANGS}
    items.add(status, "set_error", {"set": row["set"], "path": row.get("path"), "error": err},
              set=row["set"], detail=detail)
    return True


def _partial(row: dict[str, Any]) -> bool:
    """The listing of this set's directory copies stopped short (cap, unreadable directory)."""
    listing = row.get("listing")
    return isinstance(listing, dict) and listing.get("complete") is False


def _rows(snap: Snapshot) -> list[dict[str, Any]]:
    return [r for r in snap.table("backups") if isinstance(r, dict)]


def _newest(row: dict[str, Any]) -> dict[str, Any] | None:
    copies = row.get("copies") or []
    return copies[0] if copies else None


Judge = Callable[[_Items, dict[str, Any], dict[str, Any], Env], None]


def per_set(check_id: str, set_errors: bool = True) -> Callable[[Judge], Judge]:
    """Register `judge(items, row, params, env)` as the check `check_id`, which speaks about every declared set at
    once: no set at all is `_no_sets`; with `set_errors`, a set whose listing failed is reported as such and not
    judged; `judge` adds one item per set; the worst item speaks first."""

    def register(judge: Judge) -> Judge:
        def run(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
            rows = _rows(snap)
            if not rows:
                return _no_sets(env)
            items = _Items(check_id)
            for row in rows:
                if set_errors and _set_error(items, row, row.get("error")):
                    continue
                judge(items, row, p, env)
            return items.outcome()

        run.__name__ = run.__qualname__ = judge.__name__
        check(check_id)(run)
        return judge

    return register


@per_set("backup.freshness")
def freshness(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    newest = _newest(row)
    limit = int(row.get("max_age_seconds") or 0)
    base = {"set": row["set"], "path": row["path"], "max_age_seconds": limit}
    if newest is None:
        items.add("fail", "none", base, set=row["set"], path=row["path"])
        return
    age = _age_seconds(newest.get("time"), env)
    ev = {**base, "newest": newest.get("path"), "newest_time": newest.get("time"), "age_seconds": age,
          "size_bytes": newest.get("size_bytes")}
    args = {"set": row["set"], "file": newest.get("path"), "limit": _span(limit)}
    if age is None:
        items.add("unknown", "no_time", ev, **args)
    elif age < -int(p["future_tolerance_seconds"]):
        items.add("warn", "future", ev, age=_span(-age), **args)
    elif age <= limit:
        items.add("pass", "fresh", ev, age=_span(max(age, 0)), **args)
    elif _partial(row):
        # A directory copy was only partly listed: its newest file may not have been seen.
        items.add("unknown", "partial", {**ev, "listing": row.get("listing")}, age=_span(age), **args)
    elif age <= limit * int(p["fail_factor"]):
        items.add("warn", "late", ev, age=_span(age), **args)
    else:
        items.add("fail", "stale", ev, age=_span(age), **args)


@per_set("backup.retention")
def retention(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    count, need = int(row.get("count") or 0), int(row.get("min_count") or 0)
    span = row.get("span_days")
    ev = {"set": row["set"], "path": row["path"], "count": count, "min_count": need, "span_days": span,
          "oldest_time": row.get("oldest_time"), "newest_time": row.get("newest_time")}
    args = {"set": row["set"], "count": count, "min": need, "days": span if span is not None else 0}
    ok = count >= need and count > 0  # no copy is never "enough", whatever min_count says
    items.add("pass" if ok else "fail", "enough" if ok else "too_few", ev, **args)


@per_set("backup.size_anomaly")
def size_anomaly(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    copies = [c for c in row.get("copies") or [] if isinstance(c.get("size_bytes"), int)]
    newest = _newest(row)
    if newest is None:
        items.add("not_applicable", "no_copies", {"set": row["set"]}, set=row["set"])
        return
    size = newest.get("size_bytes")
    ev: dict[str, Any] = {"set": row["set"], "newest": newest.get("path"), "size_bytes": size}
    if not isinstance(size, int) and newest.get("complete") is False:
        items.add("unknown", "partial", {**ev, "listing": row.get("listing")}, set=row["set"],
                  file=newest.get("path"))
        return
    if not isinstance(size, int):
        items.add("not_applicable", "no_sizes", ev, set=row["set"])
        return
    if size == 0:
        items.add("fail", "empty", ev, set=row["set"], file=newest.get("path"))
        return
    previous = [int(c["size_bytes"]) for c in copies[1:1 + int(p["history"])] if c is not newest]
    if len(previous) < int(p["min_history"]):
        items.add("not_applicable", "short_history", {**ev, "previous": len(previous)}, set=row["set"],
                  n=len(previous), need=int(p["min_history"]))
        return
    median = int(statistics.median(previous))
    ev.update({"median_bytes": median, "previous": len(previous), "ratio_percent": p["ratio_percent"]})
    args = {"set": row["set"], "file": newest.get("path"), "size": _size(size), "median": _size(median),
            "n": len(previous)}
    if size * 100 < median * int(p["ratio_percent"]):
        items.add("fail", "small", ev, **args)
    else:
        items.add("pass", "normal", ev, **args)


def _problem_list(errors: list[dict[str, Any]], limit: int = 5) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for e in errors[:limit]:
        phrase = _phrase("problems", str(e.get("problem")))
        for lang in LANGS:
            out[lang].append(f"{e.get('file')} ({phrase[lang]})")
    if len(errors) > limit:
        for lang in LANGS:
            out[lang].append(f"+{len(errors) - limit}")
    return out


def _share(part: Any, whole: Any) -> int:
    """Percent, rounded down (99.99% is not 100%); 100 of nothing."""
    if not isinstance(whole, int) or not isinstance(part, int):
        return 0
    return 100 if whole == 0 else min(100, 100 * part // whole)


def _files_share(covered: Any, total: Any) -> dict[str, str]:
    if not isinstance(total, int) or not isinstance(covered, int):
        return {"vi": "", "en": ""}
    return {"vi": f"{covered}/{total} tệp, ", "en": f"{covered} of {total} files, "}


def _joined(values: dict[str, list[str]]) -> dict[str, str]:
    return {lang: "; ".join(v) for lang, v in values.items()}


@per_set("backup.integrity", set_errors=False)
def integrity(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    ver = row.get("verification") or {}
    if _set_error(items, row, row.get("error") or ver.get("config_error")):
        return
    errors = [e for e in ver.get("errors") or [] if isinstance(e, dict)]
    total, covered = ver.get("bytes_total"), ver.get("bytes_covered")
    files_total, files_covered = ver.get("files_total"), ver.get("files_covered")
    pct = _share(covered, total)
    if isinstance(files_total, int) and isinstance(files_covered, int):
        pct = min(pct, _share(files_covered, files_total))  # 200,000 empty files are not "100%" of 0 bytes
    ev = {"set": row["set"], "verified_at": ver.get("verified_at"),
          "fully_verified_at": ver.get("fully_verified_at"),
          "bytes_verified": ver.get("bytes_verified"), "bytes_total": total, "bytes_covered": covered,
          "files_total": files_total, "files_covered": files_covered, "covered_percent": pct,
          "listing_complete": ver.get("listing_complete", True), "method": ver.get("method"),
          "errors": errors, "errors_count": ver.get("errors_count", len(errors))}
    if errors:
        items.add("fail", "errors", ev, set=row["set"], n=ver.get("errors_count", len(errors)),
                  files=_joined(_problem_list(errors)))
        return
    if not ver.get("verified_at"):
        items.add("warn", "never", ev, set=row["set"])
        return
    if not row.get("copies") and not row.get("count"):
        items.add("unknown", "no_copies", ev, set=row["set"])  # nothing verified is no evidence
        return
    full_age = _age_seconds(ver.get("fully_verified_at"), env)
    args = {"set": row["set"], "pct": pct, "total": _size(total if isinstance(total, int) else None),
            "method": ver.get("method") or "-", "days": p["max_unverified_days"],
            "share": _files_share(files_covered, files_total)}
    if ver.get("listing_complete") is False:
        items.add("warn", "unlisted", ev, **args)
    elif full_age is None:
        items.add("warn", "partial", ev, when={"vi": "chưa có", "en": "never"}, **args)
    elif full_age > int(p["max_unverified_days"]) * 86400:
        items.add("warn", "stale_full", ev, when=_span(full_age), **args)
    else:
        items.add("pass", "ok", ev, when=_span(max(full_age, 0)), **args)


@per_set("backup.restore_drill")
def restore_drill(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    drill = (row.get("verification") or {}).get("drill")
    if not drill:
        items.add("fail", "never", {"set": row["set"]}, set=row["set"])
        return
    ev = {"set": row["set"], "drill": drill, "data_source": row.get("data_source")}
    age = _age_seconds(drill.get("at"), env)
    err = drill.get("error")
    if err:
        status: Status = "warn" if err.get("code") == "nothing_to_restore" else "fail"
        items.add(status, "drill_error", ev, set=row["set"], detail=str(err.get("detail") or err.get("code")))
        return
    mismatches = [m for m in drill.get("mismatches") or [] if isinstance(m, dict)]
    unsafe = [m for m in mismatches if m.get("problem") == "unsafe_name"]
    if unsafe:
        items.add("fail", "unsafe", ev, set=row["set"], file=str(unsafe[0].get("file")),
                  detail=str(unsafe[0].get("detail") or ""))
        return
    if mismatches:
        names = {lang: [f"{m.get('file')} ({_phrase('drill', str(m.get('problem')))[lang]})"
                        for m in mismatches[:5]] for lang in LANGS}
        items.add("fail", "mismatch", ev, set=row["set"], n=len(mismatches), files=_joined(names))
        return
    args = {"set": row["set"], "n": drill.get("files_restored", 0), "compared": drill.get("files_compared", 0),
            "copy": drill.get("copy") or "-", "age": _span(max(age or 0, 0))}
    if age is None or age > int(p["warn_days"]) * 86400:
        items.add("fail", "too_old", ev, **args)
    elif age > int(p["pass_days"]) * 86400:
        items.add("warn", "old", ev, **args)
    elif not row.get("data_source"):
        items.add("warn", "not_compared", ev, **args)
    elif not drill.get("files_compared"):
        items.add("warn", "nothing_compared", ev, changed=drill.get("skipped_changed", 0), **args)
    else:
        items.add("pass", "ok", ev, **args)


@per_set("backup.offsite", set_errors=False)
def offsite(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    off = row.get("offsite")
    base = {"set": row["set"], "path": row["path"], "offsite": off,
            "same_device_as_source": row.get("same_device_as_source")}
    if not off:
        if row.get("same_device_as_source"):
            items.add("fail", "same_disk", base, set=row["set"], source=row.get("data_source"))
        else:
            items.add("warn", "none", base, set=row["set"])
        return
    loc = off.get("location")
    if off.get("error"):
        items.add("fail", "offsite_error", base, set=row["set"], location=loc,
                  detail=str(off["error"].get("detail") or off["error"].get("code")))
        return
    if off.get("checked_at") is None:
        items.add("unknown", "unchecked", base, set=row["set"], location=loc)
        return
    if off.get("same_device"):
        items.add("fail", "same_device", base, set=row["set"], location=loc)
        return
    if not off.get("newest_time"):
        items.add("fail", "empty", base, set=row["set"], location=loc)
        return
    age = _age_seconds(off.get("newest_time"), env) or 0
    limit = int(off.get("max_age_seconds") or row.get("max_age_seconds") or 0)
    args = {"set": row["set"], "location": loc, "file": off.get("newest_path") or loc, "age": _span(max(age, 0)),
            "limit": _span(limit)}
    if age > limit and off.get("complete") is False:
        items.add("unknown", "partial", base, **args)  # the newest off-site file may not have been seen
    elif age > limit * int(p["fail_factor"]):
        items.add("fail", "stale", base, **args)
    elif age > limit:
        items.add("warn", "late", base, **args)
    elif off.get("missing"):
        items.add("warn", "missing", base, missing=off["missing"], **args)
    else:
        items.add("pass", "ok", base, **args)


def _mode(value: Any) -> int | None:
    try:
        return int(str(value), 8) if value else None
    except ValueError:
        return None


def password_exposure(pw: dict[str, Any] | None) -> str | None:
    """Why a restic/borg password file lets others decrypt every copy, or None. World-readable, or
    readable by a group other than root's: everyone in that group (often "backup", "staff", a
    teacher's own group) could read it. Writable by others: it could be swapped."""
    if not isinstance(pw, dict) or "mode" not in pw:
        return None
    mode = _mode(pw.get("mode"))
    if mode is None:
        return None
    gid = pw.get("gid")
    root_group = gid == 0 or (gid is None and pw.get("group") == "root")
    if mode & 0o004:
        return "world_readable"
    if mode & 0o040 and not root_group:
        return "group_readable"
    if mode & 0o002 or (mode & 0o020 and not root_group):
        return "writable"
    return None


@per_set("backup.protection", set_errors=False)
def protection(items: _Items, row: dict[str, Any], p: dict[str, Any], env: Env) -> None:
    pw = row.get("password_file") if isinstance(row.get("password_file"), dict) else None
    why = password_exposure(pw)
    if pw is not None and why is not None:
        # Judged even when the repository itself could not be listed (--root, a wrong password).
        ev_pw = {"set": row["set"], "password_file": {k: pw.get(k) for k in ("path", "mode", "owner", "group")},
                 "exposure": why}
        items.add("fail", "password_exposed", ev_pw, set=row["set"], path=str(pw.get("path")),
                  mode=str(pw.get("mode")), owner=str(pw.get("owner") or "?"), group=str(pw.get("group") or "?"),
                  why=_phrase("exposure", why))
        return
    if _set_error(items, row, row.get("error")):
        return
    personal = bool(row.get("personal_data", True))
    copies = row.get("copies") or []
    others = [g for g in row.get("other_copies") or [] if isinstance(g, dict)]
    directory = row.get("directory") or {}
    readable = [c for c in copies if (_mode(c.get("mode")) or 0) & 0o004 and personal]
    writable = [c for c in copies if (_mode(c.get("mode")) or 0) & 0o002]
    readable += [{"path": g.get("example"), "mode": g.get("mode"), "owner": g.get("owner"),
                  "count": g.get("count")} for g in others if (_mode(g.get("mode")) or 0) & 0o004 and personal]
    writable += [{"path": g.get("example"), "mode": g.get("mode"), "owner": g.get("owner"),
                  "count": g.get("count")} for g in others if (_mode(g.get("mode")) or 0) & 0o002]
    dir_mode = _mode(directory.get("mode")) or 0
    dir_writable = bool(dir_mode & 0o002 and not dir_mode & 0o1000)
    ev = {"set": row["set"], "personal_data": personal, "directory": directory,
          "world_readable": [{"path": c["path"], "mode": c["mode"], "owner": c.get("owner")} for c in readable],
          "world_writable": [{"path": c["path"], "mode": c["mode"], "owner": c.get("owner")} for c in writable]}
    if pw is not None:
        ev["password_file"] = {k: pw.get(k) for k in ("path", "mode", "owner", "group")}
    if readable or writable or dir_writable:
        files = [f"{c['path']} ({c['mode']} {c.get('owner') or '?'})"
                 + (f" +{int(c['count']) - 1}" if isinstance(c.get("count"), int) and c["count"] > 1 else "")
                 for c in (readable + writable)[:5]]
        if dir_writable:
            files.append(f"{directory.get('path')}/ ({directory.get('mode')})")
        items.add("fail", "exposed", ev, set=row["set"], files=files)
        return
    if not copies and not row.get("count"):
        items.add("unknown", "no_copies", ev, set=row["set"])  # nothing seen is no evidence of protection
        return
    unencrypted = [c for c in copies if c.get("encrypted") is False]
    if personal and row.get("kind") == "borg" and row.get("encryption") == "none":
        items.add("warn", "repo_unencrypted", ev, set=row["set"], path=row["path"])
    elif personal and row.get("kind") == "files" and unencrypted:
        ev["unencrypted"] = [c["path"] for c in unencrypted]
        items.add("warn", "unencrypted", {**ev}, set=row["set"], n=len(unencrypted),
                  file=unencrypted[0]["path"])
    else:
        items.add("pass", "ok", ev, set=row["set"])


def _db_engines(snap: Snapshot) -> list[str]:
    found: set[str] = set()
    for port in snap.table("listening_ports"):
        proc = str(port.get("process") or "")
        if proc in _DB_PROCESSES:
            found.add(f"{proc} ({port.get('proto')}/{port.get('port')})")
    for sw in snap.table("software"):
        name = str(sw.get("name") or "")
        if _DB_PACKAGES.match(name):
            found.add(name)
    return sorted(found)


def _covers_db(row: dict[str, Any]) -> bool:
    formats = (row.get("verification") or {}).get("formats") or []
    if any("sql" in f or "pg_dump" in f for f in formats):
        return True
    names = [row.get("set") or "", row.get("path") or ""] + [c.get("path") or "" for c in (row.get("copies") or [])[:3]]
    return any(_DB_SET.search(n) for n in names)


def _known(snap: Snapshot, table: str) -> bool:
    return table in snap.tables and table not in snap.unknown


@check("backup.scope")
def scope(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rows = _rows(snap)
    engines = _db_engines(snap)
    if not rows:
        if engines:
            return Outcome("fail", "db_no_sets", {"engines": engines}, {"engines": engines})
        return _no_sets(env)
    if not engines and not (_known(snap, "listening_ports") or _known(snap, "software")):
        # Neither the listening sockets nor the installed software could be read: "no database" is unknown.
        return Outcome("unknown", "no_evidence", {}, {"sets": [r["set"] for r in rows],
                                                      "unknown": {t: snap.unknown.get(t) for t in
                                                                  ("listening_ports", "software")}})
    covering = [r["set"] for r in rows if _covers_db(r)]
    ev = {"engines": engines, "db_sets": covering, "sets": [r["set"] for r in rows]}
    if engines and not covering:
        return Outcome("fail", "db_uncovered", {"engines": engines, "sets": [r["set"] for r in rows]}, ev)
    if engines:
        return Outcome("pass", "db_covered", {"engines": engines, "sets": covering}, ev)
    return Outcome("pass", "no_db", {"n": len(rows)}, ev)

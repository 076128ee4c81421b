"""The Linux desktop (VN-ACC-11 "chống tự động đăng nhập", "tự khóa phiên"): no display manager or console getty
logs a user in without a password, and every desktop installed locks an idle screen soon enough for the role."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check, status_by_role
from secaudit.facts.model import Snapshot

MANAGER_NAMES = {"gdm": "GDM", "lightdm": "LightDM", "sddm": "SDDM", "lxdm": "LXDM", "nodm": "nodm",
                 "greetd": "greetd"}
DESKTOP_NAMES = {"gnome": "GNOME", "cinnamon": "Cinnamon", "mate": "MATE", "kde": "KDE Plasma", "xfce": "Xfce",
                 "lxqt": "LXQt", "lxde": "LXDE", "labwc": "labwc", "wayfire": "Wayfire", "budgie": "Budgie"}


def _desktop(snap: Snapshot) -> dict[str, Any]:
    table = snap.table("desktop")
    return table if isinstance(table, dict) else {}


@check("desktop.auto_login")
def auto_login(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    desktop = _desktop(snap)
    managers = [m for m in desktop.get("display_managers") or [] if m.get("installed", True)]
    consoles = desktop.get("console_autologin") or []
    outcomes: list[Outcome] = []
    for m in managers:
        name = MANAGER_NAMES.get(str(m.get("name")), str(m.get("name")))
        evidence = {k: m.get(k) for k in ("name", "active", "auto_login", "user", "timed", "delay_seconds", "guest",
                                          "source", "files", "invalid")}
        args = {"manager": name, "user": m.get("user") or "?", "source": m.get("source") or "-",
                "delay": m.get("delay_seconds")}
        if m.get("auto_login") is True:
            key = "guest" if m.get("guest") else "timed" if m.get("timed") else "enabled"
            outcomes.append(Outcome(status_by_role(p, "on_status", env.role), key, args, evidence))
        elif m.get("auto_login") is None:
            files = "; ".join(m.get("invalid") or m.get("files") or []) or "-"
            outcomes.append(Outcome("unknown", "unreadable", {**args, "files": files}, evidence))
    for c in consoles:
        args = {"unit": c.get("unit"), "user": c.get("user") or "?", "source": c.get("source") or "-"}
        outcomes.append(Outcome(status_by_role(p, "console_status", env.role), "console", args, dict(c)))
    why = snap.unknown.get("desktop.console")
    if not consoles and why is not None:  # a getty drop-in that could not be read may log a user in
        outcomes.append(Outcome("unknown", "console_unreadable", {"detail": why.get("detail", "")}, dict(why)))
    if outcomes:
        return outcomes
    if managers:
        names = ", ".join(MANAGER_NAMES.get(str(m.get("name")), str(m.get("name"))) for m in managers)
        return Outcome("pass", "pass", {"managers": names},
                       {"display_managers": [m.get("name") for m in managers], "console_autologin": []})
    if desktop.get("sessions"):
        return Outcome("pass", "no_manager", {}, {"display_managers": [], "console_autologin": []})
    return Outcome("not_applicable", "no_desktop", {}, {"sessions": [], "display_managers": []})


def _sources(entry: dict[str, Any]) -> str:
    parts = [f"{k}: {v}" for k, v in (entry.get("source") or {}).items()]
    parts += [str(n) for n in entry.get("pending") or []]
    return "; ".join(parts) or "-"


EVIDENCE = ("desktop", "user", "file", "idle_seconds", "lock_enabled", "lock_delay_seconds", "lock_after_seconds",
            "determined", "locked_down", "source", "pending", "invalid")


def _judged(locks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each desktop's people get: the system's settings when someone has no file of their own, and
    each person's own (their file read after the system's)."""
    out: list[dict[str, Any]] = []
    for entry in locks:
        if entry.get("default_applies", True):
            out.append(entry)
        out.extend({**entry, **own, "desktop": entry.get("desktop"), "pending": []} for own in entry.get("users") or [])
    return out


@check("desktop.idle_lock")
def idle_lock(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    desktop = _desktop(snap)
    if not desktop.get("sessions"):
        return Outcome("not_applicable", "no_desktop", {}, {"sessions": []})
    limit = int((p.get("max_seconds") or {}).get(env.role, 900))
    outcomes: list[Outcome] = []
    for entry in _judged(desktop.get("screen_lock") or []):
        evidence: dict[str, Any] = {k: entry.get(k) for k in EVIDENCE if k in entry}
        evidence["limit"] = limit
        seconds = entry.get("lock_after_seconds")
        name = DESKTOP_NAMES.get(str(entry.get("desktop")), entry.get("desktop"))
        if entry.get("user"):
            name = f"{name} ({entry['user']})"
        args = {"desktop": name, "seconds": seconds, "limit": limit, "source": _sources(entry),
                "idle": entry.get("idle_seconds")}
        if not entry.get("determined"):
            outcomes.append(Outcome("unknown", "undetermined", args, evidence))
        elif seconds is None:
            key = "never_idle" if entry.get("idle_seconds") == 0 and entry.get("lock_enabled") is not False \
                else "never"
            outcomes.append(Outcome("fail", key, args, evidence))
        else:
            changeable = entry.get("locked_down") is not True
            if seconds > limit:
                outcomes.append(Outcome("warn", "long_changeable" if changeable else "long", args, evidence))
            else:
                outcomes.append(Outcome("pass", "pass_changeable" if changeable else "pass", args, evidence))
    if not outcomes:  # sessions whose desktop was not recognised at all
        return Outcome("unknown", "no_entry", {}, {"sessions": desktop.get("sessions")})
    return outcomes


__all__ = ["auto_login", "idle_lock"]

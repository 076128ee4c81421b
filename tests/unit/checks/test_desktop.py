"""desktop.auto_login and desktop.idle_lock: every outcome, by role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run_check, snapshot

SESSION = {"file": "/usr/share/xsessions/ubuntu.desktop", "name": "Ubuntu", "desktop_names": ["ubuntu", "GNOME"],
           "desktop": "gnome", "wayland": False}


def _dm(**kw: Any) -> dict[str, Any]:
    return {"name": "lightdm", "installed": True, "active": True, "auto_login": False, "user": None, "timed": False,
            "delay_seconds": None, "guest": False, "source": None, "files": ["/etc/lightdm/lightdm.conf"],
            "invalid": [], **kw}


def _snap(managers: list[dict[str, Any]] | None = None, console: list[dict[str, Any]] | None = None,
          sessions: list[dict[str, Any]] | None = None, locks: list[dict[str, Any]] | None = None) -> Any:
    return snapshot({"desktop": {"sessions": [SESSION] if sessions is None else sessions,
                                 "display_managers": managers or [], "console_autologin": console or [],
                                 "screen_lock": locks or [], "files": [], "invalid": []}})


@pytest.mark.parametrize("role, status", [("server", "fail"), ("workstation", "fail"), ("lab", "warn")])
def test_auto_login_by_role(role: str, status: str) -> None:
    dm = _dm(auto_login=True, user="pi", source="/etc/lightdm/lightdm.conf:6")
    result = run_check("desktop.auto_login", _snap([dm]), role=role)
    assert (result.status, result.key) == (status, "enabled")
    assert "pi" in result.message["en"] and "LightDM" in result.message["en"] and "lightdm.conf:6" in \
        result.message["vi"]


@pytest.mark.parametrize("dm, key", [
    (_dm(name="gdm", auto_login=True, user="gv", timed=True, delay_seconds=10, source="/etc/gdm3/custom.conf:3"),
     "timed"),
    (_dm(auto_login=True, user="guest", guest=True, source="/etc/lightdm/lightdm.conf:2"), "guest"),
])
def test_timed_and_guest_login(dm: dict[str, Any], key: str) -> None:
    result = run_check("desktop.auto_login", _snap([dm]), role="workstation")
    assert (result.status, result.key) == ("fail", key)
    assert "{" not in result.message["en"] and "{" not in result.message["vi"]


@pytest.mark.parametrize("role, status", [("server", "fail"), ("workstation", "fail"), ("lab", "warn")])
def test_console_autologin_fails_even_without_a_desktop(role: str, status: str) -> None:
    console = [{"unit": "getty@tty1.service", "user": "root", "source": "/etc/systemd/system/getty@tty1.service.d/"
                "autologin.conf:3"}]
    result = run_check("desktop.auto_login", _snap(console=console, sessions=[]), role=role)
    assert (result.status, result.key) == (status, "console")
    assert "getty@tty1.service" in result.message["en"] and "root" in result.message["vi"]


def test_no_auto_login_passes() -> None:
    result = run_check("desktop.auto_login", _snap([_dm(), _dm(name="gdm", active=False)]), role="server")
    assert (result.status, result.key) == ("pass", "pass") and "LightDM, GDM" in result.message["en"]
    result = run_check("desktop.auto_login", _snap([]), role="workstation")
    assert (result.status, result.key) == ("pass", "no_manager")


def test_no_desktop_is_not_applicable() -> None:
    result = run_check("desktop.auto_login", _snap(sessions=[]), role="server")
    assert (result.status, result.key) == ("not_applicable", "no_desktop")


def test_unreadable_configuration_is_unknown() -> None:
    result = run_check("desktop.auto_login", _snap([_dm(auto_login=None)]), role="workstation")
    assert (result.status, result.key) == ("unknown", "unreadable")
    worst = run_check("desktop.auto_login", _snap([_dm(auto_login=None), _dm(name="sddm", auto_login=True,
                                                                                user="a", source="x:1")]))
    assert worst.status == "fail" and len(worst.evidence["items"]) == 2


def test_table_not_read_is_unknown() -> None:
    snap = snapshot({}, unknown={"desktop": {"code": "permission_denied", "detail": "/etc/lightdm"}})
    assert run_check("desktop.auto_login", snap).status == "unknown"
    assert run_check("desktop.idle_lock", snap).status == "unknown"


def _lock(**kw: Any) -> dict[str, Any]:
    return {"desktop": "gnome", "idle_seconds": 300, "lock_enabled": True, "lock_delay_seconds": 0,
            "lock_after_seconds": 300, "determined": True, "locked_down": True,
            "source": {"org.gnome.desktop.session idle-delay": "/etc/dconf/db/local.d/00:3"}, "files": [],
            "invalid": [], "pending": [], **kw}


@pytest.mark.parametrize("lock, role, status, key", [
    (_lock(), "server", "pass", "pass"),
    (_lock(locked_down=False), "workstation", "pass", "pass_changeable"),
    (_lock(idle_seconds=600, lock_after_seconds=600), "server", "warn", "long"),
    (_lock(idle_seconds=600, lock_after_seconds=600), "workstation", "pass", "pass"),
    (_lock(idle_seconds=600, lock_after_seconds=600), "lab", "pass", "pass"),
    (_lock(idle_seconds=1200, lock_after_seconds=1200, locked_down=False), "lab", "warn", "long_changeable"),
    (_lock(idle_seconds=900, lock_after_seconds=900), "workstation", "pass", "pass"),
    (_lock(lock_enabled=False, lock_after_seconds=None), "workstation", "fail", "never"),
    (_lock(idle_seconds=0, lock_after_seconds=None), "lab", "fail", "never_idle"),
    (_lock(lock_after_seconds=None, determined=False, pending=["local.d: dconf update not run"]), "server",
     "unknown", "undetermined"),
])
def test_idle_lock(lock: dict[str, Any], role: str, status: str, key: str) -> None:
    result = run_check("desktop.idle_lock", _snap(locks=[lock]), role=role)
    assert (result.status, result.key) == (status, key)
    assert "{" not in result.message["en"] and "{" not in result.message["vi"]


def test_idle_lock_message_names_the_source_and_pending_notes() -> None:
    lock = _lock(determined=False, lock_after_seconds=None, pending=["/etc/dconf/db/local.d: dconf update not run"])
    result = run_check("desktop.idle_lock", _snap(locks=[lock]))
    assert "dconf update not run" in result.message["vi"] and "gnome" in result.message["en"]


def test_lubuntu_as_installed_never_locks() -> None:
    lock = _lock(desktop="lxqt", idle_seconds=600, lock_enabled=False, lock_after_seconds=None, locked_down=False,
                 source={"xscreensaver lock": "/etc/X11/app-defaults/XScreenSaver:8"})
    result = run_check("desktop.idle_lock", _snap(locks=[lock]), role="lab")
    assert (result.status, result.key) == ("fail", "never") and "LXQt" in result.message["en"]


def test_idle_lock_judges_each_persons_own_settings() -> None:
    never = {"lock_enabled": False, "lock_after_seconds": None, "locked_down": False}
    mine = {"user": "hocsinh", "file": "/home/hocsinh/.xscreensaver", "idle_seconds": 300, "lock_enabled": True,
            "lock_delay_seconds": 0, "lock_after_seconds": 300, "determined": True, "locked_down": False,
            "source": {"xscreensaver lock": "/home/hocsinh/.xscreensaver:3"}, "invalid": []}
    everyone_own = _lock(desktop="lxqt", **never, users=[mine], default_applies=False)
    result = run_check("desktop.idle_lock", _snap(locks=[everyone_own]), role="lab")
    assert (result.status, result.key) == ("pass", "pass_changeable") and "LXQt (hocsinh)" in result.message["en"]
    assert result.evidence["user"] == "hocsinh"
    someone_not = _lock(desktop="lxqt", **never, users=[mine, {**mine, "user": "gv", **never}], default_applies=True)
    result = run_check("desktop.idle_lock", _snap(locks=[someone_not]), role="lab")
    assert (result.status, result.key) == ("fail", "never") and len(result.evidence["items"]) == 3


def test_idle_lock_worst_desktop_wins() -> None:
    locks = [_lock(), _lock(desktop="kde", lock_enabled=False, lock_after_seconds=None)]
    result = run_check("desktop.idle_lock", _snap(locks=locks), role="workstation")
    assert (result.status, result.key) == ("fail", "never") and len(result.evidence["items"]) == 2


def test_idle_lock_not_applicable_without_a_desktop() -> None:
    result = run_check("desktop.idle_lock", _snap(sessions=[]), role="workstation")
    assert (result.status, result.key) == ("not_applicable", "no_desktop")
    result = run_check("desktop.idle_lock", _snap(locks=[]), role="workstation")
    assert (result.status, result.key) == ("unknown", "no_entry")


def test_idle_lock_limit_can_be_overridden() -> None:
    lock = _lock(idle_seconds=600, lock_after_seconds=600)
    result = run_check("desktop.idle_lock", _snap(locks=[lock]), params={"max_seconds": {"workstation": 300}},
                       role="workstation")
    assert result.status == "warn"


def test_unreadable_console_drop_in_is_unknown() -> None:
    snap = _snap([_dm()])
    snap.unknown["desktop.console"] = {"code": "permission_denied", "detail": "/etc/systemd/system/getty@tty1."
                                       "service.d/autologin.conf"}
    result = run_check("desktop.auto_login", snap, role="workstation")
    assert (result.status, result.key) == ("unknown", "console_unreadable") and "autologin.conf" in \
        result.message["vi"]


def test_budgie_is_named_and_judged_like_gnome() -> None:
    lock = _lock(desktop="budgie", idle_seconds=300, lock_enabled=False, lock_after_seconds=None, locked_down=False,
                 source={"org.gnome.desktop.screensaver idle-activation-enabled": "/etc/dconf/db/local.d/00:2"})
    result = run_check("desktop.idle_lock", _snap(locks=[lock]), role="lab")
    assert (result.status, result.key) == ("fail", "never") and "Budgie" in result.message["vi"]
    result = run_check("desktop.idle_lock", _snap(locks=[_lock(desktop="budgie")]), role="lab")
    assert (result.status, result.key) == ("pass", "pass") and "Budgie" in result.message["en"]


def test_wayfire_without_swayidle_fails_and_with_it_passes() -> None:
    never = _lock(desktop="wayfire", idle_seconds=None, lock_enabled=False, lock_after_seconds=None, locked_down=False,
                  source={"swayidle": "/etc/wayfire/defaults.ini: no swayidle started: nothing locks an idle screen"})
    result = run_check("desktop.idle_lock", _snap(locks=[never]), role="lab")
    assert (result.status, result.key) == ("fail", "never") and "Wayfire" in result.message["vi"]
    assert "no swayidle" in result.message["en"]
    locks = _lock(desktop="wayfire", locked_down=False, source={"swayidle": "/etc/wayfire/defaults.ini:11"})
    result = run_check("desktop.idle_lock", _snap(locks=[locks]), role="lab")
    assert (result.status, result.key) == ("pass", "pass_changeable")


def test_light_locker_answers() -> None:
    unknown = _lock(desktop="xfce", idle_seconds=None, lock_delay_seconds=5, lock_after_seconds=None,
                    determined=False, locked_down=False,
                    source={"X screen saver": "xfce4-power-manager: blank-on-ac not set"})
    result = run_check("desktop.idle_lock", _snap(locks=[unknown]), role="lab")
    assert (result.status, result.key) == ("unknown", "undetermined") and "blank-on-ac" in result.message["vi"]
    off = _lock(desktop="lxde", idle_seconds=600, lock_enabled=False, lock_delay_seconds=0, lock_after_seconds=None,
                locked_down=False, source={"apps.light-locker lock-after-screensaver": "x (0: never locks)"})
    result = run_check("desktop.idle_lock", _snap(locks=[off]), role="lab")
    assert (result.status, result.key) == ("fail", "never") and "LXDE" in result.message["en"]
    ok = _lock(desktop="xfce", idle_seconds=600, lock_delay_seconds=5, lock_after_seconds=605, locked_down=False)
    result = run_check("desktop.idle_lock", _snap(locks=[ok]), role="lab")
    assert (result.status, result.key) == ("pass", "pass_changeable")

"""The idle screen lock of Budgie (GNOME's GSettings keys through gnome-screensaver / budgie-screensaver),
light-locker (the X screen saver plus apps.light-locker) and Wayfire (swayidle in wayfire.ini's [autostart]),
from fixture roots written in each program's real syntax; dconf databases written by the real `dconf compile`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.facts.linux.test_desktop import PEOPLE, PROFILE, _compile, _desktop

Root = Callable[[dict[str, Any]], Path]

# /usr/share/xsessions/budgie-desktop.desktop as budgie-desktop installs it
BUDGIE_SESSION = {"usr/share/xsessions/budgie-desktop.desktop": "[Desktop Entry]\nName=Budgie Desktop\n"
                  "Comment=This session logs you into the Budgie Desktop\nExec=budgie-desktop\n"
                  "TryExec=budgie-desktop\nType=Application\nDesktopNames=Budgie:GNOME\n"}
SCREENSAVER = "org/gnome/desktop/screensaver"


def _budgie(make_root: Root, files: dict[str, Any], compiled: tuple[str, ...] = ("local",)) -> dict[str, Any]:
    root = make_root({**BUDGIE_SESSION, **files})
    _compile(root, *compiled)
    (lock,) = _desktop(root)["screen_lock"]
    assert lock["desktop"] == "budgie"
    return lock


def test_budgie_uses_gnomes_keys_and_dconf_locks(make_root: Root) -> None:
    lock = _budgie(make_root, {})  # no profile: gsettings-desktop-schemas' defaults
    assert (lock["idle_seconds"], lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == (
        300, True, 300, True)
    keyfile = (f"[org/gnome/desktop/session]\nidle-delay=uint32 600\n\n[{SCREENSAVER}]\nlock-enabled=true\n"
               "lock-delay=uint32 30\n")
    locks = "/org/gnome/desktop/session/idle-delay\n/org/gnome/desktop/screensaver/lock-enabled\n" \
            "/org/gnome/desktop/screensaver/lock-delay\n"
    lock = _budgie(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-lock": keyfile,
                               "etc/dconf/db/local.d/locks/lock": locks})
    assert (lock["idle_seconds"], lock["lock_delay_seconds"], lock["lock_after_seconds"], lock["locked_down"]) == (
        600, 30, 630, True)
    assert lock["source"]["org.gnome.desktop.screensaver lock-delay"].startswith("/etc/dconf/db/local.d/00-lock:6")


def test_budgie_that_never_locks(make_root: Root) -> None:
    for keyfile in (f"[{SCREENSAVER}]\nlock-enabled=false\n", f"[{SCREENSAVER}]\nidle-activation-enabled=false\n",
                    "[org/gnome/desktop/lockdown]\ndisable-lock-screen=true\n"):
        lock = _budgie(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00": keyfile})
        assert (lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == (False, None, True)
    lock = _budgie(make_root, {"etc/dconf/profile/user": PROFILE,
                               "etc/dconf/db/local.d/00": "[org/gnome/desktop/session]\nidle-delay=uint32 0\n"})
    assert (lock["idle_seconds"], lock["lock_after_seconds"], lock["determined"]) == (0, None, True)


def test_budgie_vendor_override_for_its_own_desktop_name(make_root: Root) -> None:
    override = "[org.gnome.desktop.session:Budgie]\nidle-delay=900\n[org.gnome.desktop.session:KDE]\nidle-delay=5\n"
    lock = _budgie(make_root, {"usr/share/glib-2.0/schemas/25_budgie.gschema.override": override})
    assert lock["idle_seconds"] == 900 and "25_budgie" in lock["source"]["org.gnome.desktop.session idle-delay"]


def test_budgie_unknown_while_dconf_update_has_not_run(make_root: Root) -> None:
    files = {"etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00": "[org/gnome/desktop/session]\nidle-delay=uint32 600\n"}
    root = make_root({**BUDGIE_SESSION, **files})
    _compile(root, "local", offset=-3600)
    (lock,) = _desktop(root)["screen_lock"]
    assert (lock["desktop"], lock["determined"], lock["lock_after_seconds"]) == ("budgie", False, None)
    assert "dconf update" in lock["pending"][0]


def test_budgie_persons_own_database_and_a_damaged_one(make_root: Root, tmp_path: Path) -> None:
    from tests.unit.facts.linux.test_gvdb import compiled

    never = compiled(tmp_path / "a", f"[{SCREENSAVER}]\nidle-activation-enabled=false\n")
    files = {"etc/dconf/profile/user": PROFILE, "etc/passwd": PEOPLE, "home/hocsinh/.config/dconf/user": never,
             "home/giaovien/.config/dconf/user": b"GVariant\x00\x00\x00\x00broken"}
    lock = _budgie(make_root, files)
    assert (lock["lock_after_seconds"], lock["default_applies"]) == (300, False)
    mine, broken = lock["users"]
    assert (mine["user"], mine["lock_enabled"], mine["lock_after_seconds"], mine["determined"]) == (
        "hocsinh", False, None, True)
    assert (broken["user"], broken["determined"]) == ("giaovien", False)
    assert "not a dconf database" in broken["source"]["own"]

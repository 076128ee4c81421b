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


# --- Wayfire ----------------------------------------------------------------------------------------------------

WAYFIRE_SESSION = {"usr/share/wayland-sessions/LXDE-pi-wayfire.desktop": "[Desktop Entry]\nName=Wayfire\n"
                   "Comment=Use this session to run Wayfire as your desktop environment\nExec=/usr/bin/wayfire-pi\n"
                   "Type=Application\n", "usr/bin/swaylock": ""}
DEFAULTS_INI = "etc/wayfire/defaults.ini"
# the shape of Raspberry Pi OS's /etc/wayfire/defaults.ini: no screen locker started
RPI_DEFAULTS = ("[core]\nplugins = alpha animate autostart autostart-static command cube decoration expo fade "
                "fast-switcher fisheye grid idle invert move oswitch place resize switcher vswitch window-rules "
                "wm-actions wobbly wrot zoom winshadows\n\n[autostart]\nautostart_wf_shell = false\n"
                "panel = wfrespawn wf-panel-pi\nbackground = wfrespawn pcmanfm --desktop --profile LXDE-pi\n"
                "xdg-autostart = lxsession-xdg-autostart\n# idle = swayidle -w timeout 600 'swaylock -f'\n\n"
                "[idle]\nscreensaver_timeout = -1\ndpms_timeout = 600\n")
SWAYIDLE = "idle = swayidle -w timeout {} 'swaylock -f -c 000000' before-sleep 'swaylock -f'\n"


def _wayfire(make_root: Root, files: dict[str, Any]) -> dict[str, Any]:
    (lock,) = _desktop(make_root({**WAYFIRE_SESSION, **files}))["screen_lock"]
    assert lock["desktop"] == "wayfire"
    return lock


def test_wayfire_as_raspberry_pi_os_installs_it_never_locks(make_root: Root) -> None:
    lock = _wayfire(make_root, {DEFAULTS_INI: RPI_DEFAULTS})
    assert (lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == (False, None, True)
    assert lock["source"]["idle dpms_timeout"].startswith("/etc/wayfire/defaults.ini:13: 600 s")
    assert "no swayidle" in lock["source"]["swayidle"]


def test_wayfire_locks_through_swayidle_in_its_autostart(make_root: Root) -> None:
    text = RPI_DEFAULTS.replace("[idle]", SWAYIDLE.format(300) + "\n[idle]")
    lock = _wayfire(make_root, {DEFAULTS_INI: text})
    assert (lock["idle_seconds"], lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == (
        300, True, 300, True)
    assert lock["source"]["swayidle"] == "/etc/wayfire/defaults.ini:11"
    # a continued line and an escaped # are read as wf-config reads them; a locker only at sleep does not count
    text = "[autostart]\nlock = swayidle -w timeout 120 'wlopm --off \\*' \\\n  timeout 240 'swaylock -c \\#000'\n" \
           "sleep = swayidle before-sleep swaylock\n"
    lock = _wayfire(make_root, {DEFAULTS_INI: text})
    assert (lock["lock_after_seconds"], lock["source"]["swayidle"]) == (240, "/etc/wayfire/defaults.ini:2")


def test_wayfire_persons_own_ini_is_read_over_the_defaults(make_root: Root) -> None:
    files = {DEFAULTS_INI: RPI_DEFAULTS.replace("[idle]", SWAYIDLE.format(600) + "[idle]"), "etc/passwd": PEOPLE,
             "home/hocsinh/.config/wayfire.ini": "[autostart]\nidle = swayidle before-sleep swaylock\n",
             "home/giaovien/.config/wayfire.ini": "[output]\nmode = auto\n[idle]\ndpms_timeout = 300\n"}
    lock = _wayfire(make_root, files)
    assert (lock["lock_after_seconds"], lock["default_applies"]) == (600, False)
    mine, theirs = lock["users"]
    assert (mine["user"], mine["lock_enabled"], mine["determined"]) == ("hocsinh", False, True)
    assert "swayidle starts no screen locker" in mine["source"]["swayidle"]
    assert (theirs["user"], theirs["lock_after_seconds"]) == ("giaovien", 600)  # the defaults' [autostart] stays
    assert theirs["source"]["idle dpms_timeout"].startswith("/home/giaovien/.config/wayfire.ini:4: 300 s")
    files["home/giaovien/.config/wayfire.ini"] = "[core]\nplugins = alpha animate command idle\n"
    theirs = _wayfire(make_root, files)["users"][1]
    assert (theirs["lock_enabled"], theirs["determined"]) == (False, True)
    assert "load no autostart plugin" in theirs["source"]["swayidle"]


def test_wayfire_unreadable_defaults_are_unknown() -> None:
    from tests.unit.facts.linux.test_desktop import _replay

    files = {"/usr/share/wayland-sessions/wayfire.desktop": "[Desktop Entry]\nName=Wayfire\nDesktopNames=Wayfire\n",
             "/usr/bin/swaylock": "", "/etc/wayfire/defaults.ini": RPI_DEFAULTS}
    snap = _replay(files, ["/etc/wayfire/defaults.ini"])
    (lock,) = snap.table("desktop")["screen_lock"]
    assert (lock["desktop"], lock["determined"], lock["lock_after_seconds"]) == ("wayfire", False, None)
    assert "unreadable" in lock["source"]["wayfire.ini"]


def test_wayfire_damaged_ini_never_raises(make_root: Root) -> None:
    from secaudit.facts.linux.desktop_lock import wayfire_ini

    damaged = b"\xff\xfe[autostart\nidle swayidle\n= timeout 5 swaylock\n\\\n\\\\\n[]\nx=\x00\n" + bytes(range(256))
    lock = _wayfire(make_root, {DEFAULTS_INI: damaged, "etc/passwd": PEOPLE,
                                "home/hocsinh/.config/wayfire.ini": b"\x00\x01[\\"})
    assert (lock["lock_enabled"], lock["determined"]) == (False, True) and lock["invalid"]
    invalid: list[str] = []
    assert wayfire_ini("a = 1\n[s]\nb\\\n = 2 # c\nc = \\# d\n", "/w", invalid) == {
        "s": {"b": ("2", "/w:3"), "c": ("# d", "/w:5")}}
    assert invalid == ["/w:1: option before a section"]

"""The idle screen lock of Budgie (GNOME's GSettings keys through gnome-screensaver / budgie-screensaver),
Wayfire (swayidle in wayfire.ini's [autostart]) and light-locker (the X screen saver, apps.light-locker, its
command line, XDG and lxsession autostart, xfce4-power-manager, xorg.conf and LightDM's X command line),
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


SWAYIDLE_ENTRY = ("etc/xdg/autostart/swayidle.desktop", "[Desktop Entry]\nType=Application\nName=Idle lock\n"
                  "Exec=swayidle -w timeout 420 'swaylock -f'\n")


def test_wayland_sessions_read_xdg_autostart_when_they_run_lxsession_xdg_autostart(make_root: Root) -> None:
    lock = _wayfire(make_root, {DEFAULTS_INI: RPI_DEFAULTS, **dict([SWAYIDLE_ENTRY])})
    assert (lock["lock_after_seconds"], lock["source"]["swayidle"]) == (
        420, "/etc/xdg/autostart/swayidle.desktop:4")
    hidden = {DEFAULTS_INI: RPI_DEFAULTS, SWAYIDLE_ENTRY[0]: SWAYIDLE_ENTRY[1] + "Hidden=true\n"}
    assert _wayfire(make_root, hidden)["lock_enabled"] is False
    no_runner = {DEFAULTS_INI: RPI_DEFAULTS.replace("xdg-autostart = lxsession-xdg-autostart\n", ""),
                 **dict([SWAYIDLE_ENTRY])}
    assert _wayfire(make_root, no_runner)["lock_enabled"] is False  # nothing runs the XDG entries
    labwc = {"usr/share/wayland-sessions/LXDE-pi-labwc.desktop": "[Desktop Entry]\nName=Labwc\n",
             "usr/bin/swaylock": "", **dict([SWAYIDLE_ENTRY]),
             "etc/xdg/labwc/autostart": "/usr/bin/lwrespawn /usr/bin/wf-panel-pi &\n/usr/bin/lxsession-xdg-autostart\n"}
    (lock,) = _desktop(make_root(labwc))["screen_lock"]
    assert (lock["desktop"], lock["lock_after_seconds"]) == ("labwc", 420)


def test_an_unreadable_xdg_autostart_entry_leaves_wayfire_unknown() -> None:
    from tests.unit.facts.linux.test_desktop import _replay

    files = {"/usr/share/wayland-sessions/LXDE-pi-wayfire.desktop": "[Desktop Entry]\nName=Wayfire\n",
             "/usr/bin/swaylock": "", "/" + DEFAULTS_INI: RPI_DEFAULTS, "/" + SWAYIDLE_ENTRY[0]: SWAYIDLE_ENTRY[1]}
    (lock,) = _replay(files, ["/" + SWAYIDLE_ENTRY[0]]).table("desktop")["screen_lock"]
    assert (lock["determined"], lock["lock_after_seconds"]) == (False, None)
    assert "unreadable" in lock["source"]["autostart"]


def test_wayland_sessions_read_each_persons_own_xdg_autostart_entries(make_root: Root) -> None:
    files = {DEFAULTS_INI: RPI_DEFAULTS, **dict([SWAYIDLE_ENTRY]), "etc/passwd": PEOPLE,
             # the person's entry of the same name hides the system's (Hidden=true: nothing of it runs)
             "home/hocsinh/.config/autostart/swayidle.desktop": "[Desktop Entry]\nType=Application\nHidden=true\n",
             "home/giaovien/.config/autostart/lock-soon.desktop": "[Desktop Entry]\nType=Application\n"
             "Name=Lock soon\nExec=swayidle -w timeout 120 'swaylock -f' %U\n",
             "home/kiosk/.config/autostart/swayidle.desktop": "[Desktop Entry]\nHidden=true\n"}  # nologin: not a person
    lock = _wayfire(make_root, files)
    assert (lock["lock_after_seconds"], lock["default_applies"]) == (420, False)
    mine, theirs = lock["users"]
    assert (mine["user"], mine["lock_enabled"], mine["determined"]) == ("hocsinh", False, True)
    assert mine["file"] == "/home/hocsinh/.config/autostart/swayidle.desktop"
    assert (theirs["user"], theirs["lock_after_seconds"]) == ("giaovien", 120)
    assert theirs["source"]["swayidle"] == "/home/giaovien/.config/autostart/lock-soon.desktop:4"
    # OnlyShowIn naming other desktops, NotShowIn naming none of this session's: as the specification says
    files["home/giaovien/.config/autostart/lock-soon.desktop"] += "OnlyShowIn=GNOME;\n"
    assert _wayfire(make_root, files)["users"][1]["lock_after_seconds"] == 420
    files["home/giaovien/.config/autostart/lock-soon.desktop"] = files[
        "home/giaovien/.config/autostart/lock-soon.desktop"].replace("OnlyShowIn", "NotShowIn")
    assert _wayfire(make_root, files)["users"][1]["lock_after_seconds"] == 120
    # without lxsession-xdg-autostart nobody's entries run
    files[DEFAULTS_INI] = RPI_DEFAULTS.replace("xdg-autostart = lxsession-xdg-autostart\n", "")
    lock = _wayfire(make_root, files)
    assert [u["lock_enabled"] for u in lock["users"]] == [False, False] and lock["lock_enabled"] is False


def test_labwc_persons_own_autostart_file_and_entries(make_root: Root) -> None:
    labwc = {"usr/share/wayland-sessions/LXDE-pi-labwc.desktop": "[Desktop Entry]\nName=Labwc\n",
             "usr/bin/swaylock": "", "etc/passwd": PEOPLE,
             "etc/xdg/labwc/autostart": "/usr/bin/lwrespawn /usr/bin/wf-panel-pi &\n/usr/bin/lxsession-xdg-autostart\n",
             "home/hocsinh/.config/autostart/idle.desktop": "[Desktop Entry]\nType=Application\n"
             "Exec=swayidle -w timeout 600 'swaylock -f'\n",
             # their own labwc autostart replaces the system's, and runs no lxsession-xdg-autostart
             "home/giaovien/.config/labwc/autostart": "wf-panel-pi &\n",
             "home/giaovien/.config/autostart/idle.desktop": "[Desktop Entry]\nExec=swayidle timeout 60 swaylock\n"}
    (lock,) = _desktop(make_root(labwc))["screen_lock"]
    assert (lock["desktop"], lock["lock_enabled"], lock["default_applies"]) == ("labwc", False, False)
    mine, theirs = lock["users"]
    assert (mine["user"], mine["lock_after_seconds"]) == ("hocsinh", 600)
    assert (theirs["user"], theirs["lock_enabled"], theirs["determined"]) == ("giaovien", False, True)
    assert theirs["file"] == ("/home/giaovien/.config/labwc/autostart, "
                              "/home/giaovien/.config/autostart/idle.desktop")


def test_an_unreadable_own_xdg_autostart_entry_leaves_that_person_unknown() -> None:
    from tests.unit.facts.linux.test_desktop import _replay

    entry = "/home/hocsinh/.config/autostart/idle.desktop"
    files = {"/usr/share/wayland-sessions/LXDE-pi-wayfire.desktop": "[Desktop Entry]\nName=Wayfire\n",
             "/usr/bin/swaylock": "", "/" + DEFAULTS_INI: RPI_DEFAULTS, "/etc/passwd": PEOPLE,
             entry: "[Desktop Entry]\nExec=swayidle timeout 60 swaylock\n",
             "/home/giaovien/.config/autostart/broken.desktop": "Exec=swayidle timeout 1 swaylock\n[Desktop Entry\n"}
    snap = _replay(files, [entry])
    (lock,) = snap.table("desktop")["screen_lock"]
    mine, theirs = lock["users"]
    assert (mine["user"], mine["determined"], mine["lock_after_seconds"]) == ("hocsinh", False, None)
    assert "unreadable" in mine["source"]["autostart"]
    assert snap.unknown["desktop.screen_lock"]["code"] == "permission_denied"
    assert (theirs["lock_enabled"], theirs["determined"]) == (False, True) and theirs["invalid"]  # never raises


# --- light-locker ----------------------------------------------------------------------------------------------

XFCE = {"usr/share/xsessions/xfce.desktop": "[Desktop Entry]\nName=Xfce Session\nExec=startxfce4\n"
        "DesktopNames=XFCE\n", "usr/bin/light-locker": "", "usr/sbin/lightdm": ""}
LXDE = {"usr/share/xsessions/LXDE.desktop": "[Desktop Entry]\nName=LXDE\nExec=/usr/bin/startlxde\n",
        "usr/bin/light-locker": "", "usr/sbin/lightdm": ""}
# light-locker's own autostart entry (src/light-locker.desktop.in) and schema (Debian's build: lock-on-suspend on)
LL_AUTOSTART = ("etc/xdg/autostart/light-locker.desktop",
                "[Desktop Entry]\nType=Application\nName=Screen Locker\nName[vi]=Khóa màn hình\n"
                "Comment=Launch screen locker program\nIcon=preferences-desktop-screensaver\nExec=light-locker\n"
                "NoDisplay=true\nNotShowIn=GNOME;Unity\n")
LL_SCHEMA = ("usr/share/glib-2.0/schemas/apps.light-locker.gschema.xml",
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<schemalist gettext-domain=\"light-locker\">\n"
             "  <schema id=\"apps.light-locker\" path=\"/apps/light-locker/\">\n"
             "    <key name=\"lock-on-suspend\" type=\"b\"><default>true</default></key>\n"
             "    <key name=\"late-locking\" type=\"b\"><default>false</default></key>\n"
             "    <key name=\"lock-after-screensaver\" type=\"u\"><range min=\"0\" max=\"3600\" />"
             "<default>5</default></key>\n"
             "    <key name=\"idle-hint\" type=\"b\"><default>false</default></key>\n  </schema>\n</schemalist>\n")
XFPM_AUTOSTART = ("etc/xdg/autostart/xfce4-power-manager.desktop",
                  "[Desktop Entry]\nName=Power Manager\nExec=xfce4-power-manager\nTerminal=false\nType=Application\n"
                  "OnlyShowIn=XFCE;\nX-XFCE-Autostart-Override=true\n")
XFPM_CHANNEL = "etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-power-manager.xml"


def _xfpm(props: str) -> str:
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<channel name=\"xfce4-power-manager\" version=\"1.0\">\n"
            f"  <property name=\"xfce4-power-manager\" type=\"empty\">\n{props}  </property>\n</channel>\n")


def _ll(make_root: Root, files: dict[str, Any], session: dict[str, str] = XFCE,
        compiled: tuple[str, ...] = ()) -> dict[str, Any]:
    root = make_root({**session, **dict([LL_AUTOSTART, LL_SCHEMA]), **files})
    _compile(root, *compiled)
    (lock,) = _desktop(root)["screen_lock"]
    return lock


def test_xubuntu_light_locker_with_the_power_managers_blank_time(make_root: Root) -> None:
    files = {**dict([XFPM_AUTOSTART]), "usr/bin/xfce4-power-manager": "",
             XFPM_CHANNEL: _xfpm("    <property name=\"blank-on-ac\" type=\"int\" value=\"10\"/>\n")}
    lock = _ll(make_root, files)
    assert (lock["idle_seconds"], lock["lock_enabled"], lock["lock_delay_seconds"], lock["lock_after_seconds"],
            lock["determined"], lock["locked_down"]) == (600, True, 5, 605, True, False)
    assert lock["source"]["light-locker"] == "/etc/xdg/autostart/light-locker.desktop:7"
    assert "blank-on-ac 10 min" in lock["source"]["X screen saver"]
    assert lock["source"]["apps.light-locker lock-after-screensaver"].startswith("default (/usr/share/glib-2.0")
    del files[XFPM_CHANNEL]  # the power manager's own default differs between versions: not known
    lock = _ll(make_root, files)
    assert (lock["idle_seconds"], lock["lock_delay_seconds"], lock["determined"]) == (None, 5, False)


def test_light_locker_lock_after_screensaver_zero_never_locks(make_root: Root) -> None:
    files = {"etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00-light-locker": "[apps/light-locker]\nlock-after-screensaver=uint32 0\n"}
    lock = _ll(make_root, files, LXDE, compiled=("local", "site"))
    assert (lock["idle_seconds"], lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == (
        600, False, None, True)
    assert "0: never locks" in lock["source"]["apps.light-locker lock-after-screensaver"]
    # the command line wins over GSettings (light-locker.c parses its options over the settings)
    files["etc/xdg/autostart/light-locker.desktop"] = LL_AUTOSTART[1].replace(
        "Exec=light-locker", "Exec=light-locker --lock-after-screensaver=30 --late-locking")
    lock = _ll(make_root, files, LXDE, compiled=("local", "site"))
    assert (lock["lock_delay_seconds"], lock["lock_after_seconds"]) == (30, 630)
    assert lock["source"]["apps.light-locker late-locking"].endswith("(command line)")
    root = make_root({**LXDE, **dict([LL_AUTOSTART, LL_SCHEMA]), **files})
    _compile(root, "local", offset=-3600)  # keyfiles newer than the database: not in effect yet
    (lock,) = _desktop(root)["screen_lock"]
    assert (lock["lock_delay_seconds"], lock["determined"]) == (30, True)  # the command line decides anyway


def test_lxde_x_screen_saver_time_from_xset_xorg_conf_and_lightdm(make_root: Root) -> None:
    assert _ll(make_root, {}, LXDE)["lock_after_seconds"] == 605  # Xorg's own 10 minutes
    autostart = "etc/xdg/lxsession/LXDE/autostart"
    lock = _ll(make_root, {autostart: "@lxpanel --profile LXDE\n@pcmanfm --desktop --profile LXDE\n@xset s off\n"},
               LXDE)
    assert (lock["idle_seconds"], lock["lock_after_seconds"], lock["determined"]) == (0, None, True)
    assert lock["source"]["X screen saver"] == "/etc/xdg/lxsession/LXDE/autostart:3 (xset s)"
    lock = _ll(make_root, {autostart: "@xset s 300 300\n# @xset s off\n"}, LXDE)
    assert lock["lock_after_seconds"] == 305
    blanking = ("Section \"ServerLayout\"\n    Identifier \"ServerLayout0\"\n    Option \"BlankTime\" \"0\"\n"
                "EndSection\n")  # what raspi-config writes to turn screen blanking off
    lock = _ll(make_root, {"etc/X11/xorg.conf.d/10-blanking.conf": blanking}, LXDE)
    assert (lock["idle_seconds"], lock["lock_after_seconds"]) == (0, None)
    lock = _ll(make_root, {"etc/lightdm/lightdm.conf": "[Seat:*]\nxserver-command=X -s 5 -dpms\n",
                           "etc/X11/xorg.conf.d/10-blanking.conf": blanking}, LXDE)
    assert (lock["idle_seconds"], lock["lock_after_seconds"]) == (300, 305)  # the command line over xorg.conf
    flags = "Section \"ServerFlags\"\n\tOption \"blank_time\" \"15\" # Xorg ignores case, _ and blanks\nEndSection\n"
    assert _ll(make_root, {"etc/X11/xorg.conf": flags}, LXDE)["lock_after_seconds"] == 905


def test_light_locker_not_started_or_without_lightdm_never_locks(make_root: Root) -> None:
    hidden = LL_AUTOSTART[1] + "Hidden=true\n"
    lock = _ll(make_root, {LL_AUTOSTART[0]: hidden})
    assert (lock["lock_enabled"], lock["determined"]) == (False, True)
    lock = _ll(make_root, {LL_AUTOSTART[0]: LL_AUTOSTART[1].replace("NotShowIn=GNOME;Unity", "OnlyShowIn=GNOME;")})
    assert "not started" in lock["source"]["light-locker"]
    lock = _ll(make_root, {}, {k: v for k, v in LXDE.items() if k != "usr/sbin/lightdm"})
    assert (lock["lock_enabled"], lock["determined"]) == (False, True) and "LightDM" in lock["source"]


def test_light_locker_two_blank_times_started_together_are_unknown(make_root: Root) -> None:
    files = {**dict([XFPM_AUTOSTART]), "usr/bin/xfce4-power-manager": "",
             XFPM_CHANNEL: _xfpm("    <property name=\"blank-on-ac\" type=\"int\" value=\"10\"/>\n"),
             "etc/xdg/autostart/noblank.desktop": "[Desktop Entry]\nType=Application\nName=No blank\n"
                                                  "Exec=sh -c \"xset s 300\"\n"}
    lock = _ll(make_root, files)
    assert (lock["idle_seconds"], lock["determined"]) == (None, False)
    assert "set differently" in lock["source"]["X screen saver"]


def test_light_locker_persons_own_files(make_root: Root, tmp_path: Path) -> None:
    from tests.unit.facts.linux.test_gvdb import compiled

    files = {"etc/passwd": PEOPLE, "etc/dconf/profile/user": PROFILE,
             "home/hocsinh/.config/autostart/light-locker.desktop": LL_AUTOSTART[1] + "Hidden=true\n",
             "home/giaovien/.config/dconf/user": compiled(tmp_path / "gv",
                                                          "[apps/light-locker]\nlock-after-screensaver=uint32 60\n")}
    lock = _ll(make_root, files, LXDE, compiled=("local", "site"))
    assert (lock["lock_after_seconds"], lock["default_applies"]) == (605, False)
    mine, theirs = lock["users"]
    assert (mine["user"], mine["lock_enabled"], mine["determined"]) == ("hocsinh", False, True)
    assert mine["file"] == "/home/hocsinh/.config/autostart/light-locker.desktop"
    assert (theirs["user"], theirs["lock_after_seconds"]) == ("giaovien", 660)
    files["home/giaovien/.config/dconf/user"] = b"GVariant" + bytes(16)
    theirs = _ll(make_root, files, LXDE, compiled=("local", "site"))["users"][1]
    assert theirs["determined"] is False and "not a dconf database" in theirs["source"]["light-locker"]


def test_light_locker_damaged_and_unreadable_files() -> None:
    from tests.unit.facts.linux.test_desktop import _replay

    files = {"/usr/share/xsessions/xfce.desktop": "[Desktop Entry]\nDesktopNames=XFCE\n", "/usr/bin/light-locker": "",
             "/usr/sbin/lightdm": "", "/usr/bin/xfce4-power-manager": "",
             "/etc/xdg/autostart/light-locker.desktop": LL_AUTOSTART[1],
             "/etc/xdg/autostart/broken.desktop": "Exec=light-locker --lock-after-screensaver=0\n[Desktop Entry\n",
             "/etc/xdg/autostart/xfce4-power-manager.desktop": XFPM_AUTOSTART[1],
             "/" + XFPM_CHANNEL: "<channel><property name='xfce4-power-manager'",
             "/etc/lightdm/lightdm.conf": "[Seat:*]\nxserver-command=X -s 'unclosed\n",
             "/etc/X11/xorg.conf": "Section \"ServerFlags\"\n Option \"BlankTime\" \"x\"\n"}
    (lock,) = _replay(files).table("desktop")["screen_lock"]
    assert (lock["lock_delay_seconds"], lock["determined"]) == (5, False)  # the power manager's channel unreadable
    assert any("broken.desktop" in line for line in lock["invalid"])
    assert any("xfce4-power-manager.xml" in line for line in lock["invalid"])
    assert "/etc/X11/xorg.conf:2: BlankTime 'x' is not a number of minutes" in lock["invalid"]
    snap = _replay(files, ["/etc/xdg/autostart/light-locker.desktop"])
    (lock,) = snap.table("desktop")["screen_lock"]
    assert lock["determined"] is False and "unreadable" in lock["source"]["light-locker"]
    assert snap.unknown["desktop.screen_lock"]["code"] == "permission_denied"

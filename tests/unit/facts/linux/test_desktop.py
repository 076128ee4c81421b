"""Desktop facts from fixture roots: sessions, display-manager auto-login as each program reads its files (GDM,
LightDM drop-ins and seat sections, SDDM, LXDM, nodm, greetd), console getty drop-ins, and the idle screen lock
of GNOME/Cinnamon/MATE (dconf profile, keyfiles, locks, compiled databases, GVariant types, schema defaults and
vendor overrides), KDE (kscreenlockerrc, [$i]) and Xfce (xfconf)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.dconf import gvariant
from secaudit.facts.linux.desktop_dm import agetty_autologin, seat_settings
from secaudit.facts.linux.desktop_ini import Entry, parse_kconfig, parse_keyfile
from secaudit.facts.model import Snapshot
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of

Root = Callable[[dict[str, Any]], Path]
GNOME_SESSION = {"usr/share/xsessions/ubuntu.desktop": "[Desktop Entry]\nName=Ubuntu\nDesktopNames=ubuntu:GNOME\n"}
PROFILE = "user-db:user\nsystem-db:local\nsystem-db:site\n"
IDLE_600 = "# school policy\n[org/gnome/desktop/session]\nidle-delay=uint32 600\n"
LOCK_IDLE = "/org/gnome/desktop/session/idle-delay\n"


def _desktop(root: Path) -> dict[str, Any]:
    snap = facts_of(root, only={"desktop"})
    assert "desktop" not in snap.unknown, snap.unknown
    return dict(snap.table("desktop"))


def _manager(make_root: Root, files: dict[str, Any], name: str) -> dict[str, Any]:
    found = {m["name"]: m for m in _desktop(make_root(files))["display_managers"]}
    return found[name]


def _compile(root: Path, *names: str, offset: float = 60) -> None:
    """`dconf update` ran `offset` seconds after the keyfiles were written (negative: before)."""
    when = time.time() + offset
    for name in names:
        db = root / "etc/dconf/db" / name
        db.parent.mkdir(parents=True, exist_ok=True)
        db.write_bytes(b"GVariant")
        os.utime(db, (when, when))


def _lock(make_root: Root, files: dict[str, Any], desktop: str = "gnome", compiled: tuple[str, ...] = ("local",
                                                                                                         "site")
          ) -> dict[str, Any]:
    root = make_root({**GNOME_SESSION, **files})
    _compile(root, *compiled)
    locks = {e["desktop"]: e for e in _desktop(root)["screen_lock"]}
    return locks[desktop]


# --- parsers --------------------------------------------------------------------------------------------------

def test_keyfile_comments_spaces_and_duplicates() -> None:
    text = "  # comment\n[daemon]\nAutomaticLogin = an\nAutomaticLogin=binh # not a comment\n[other]\n[daemon]\nX=1\n"
    parsed = parse_keyfile(text, "/f")
    assert parsed.get("daemon", "AutomaticLogin") == Entry("binh # not a comment", "/f:4")
    assert parsed.get("daemon", "X") == Entry("1", "/f:7") and not parsed.rejected


@pytest.mark.parametrize("text", ["AutomaticLogin=an\n[daemon]\n", "[daemon]\njust words\n", "[daemon\nA=b\n"])
def test_keyfile_glib_rejects_the_whole_file(text: str) -> None:
    parsed = parse_keyfile(text, "/f")
    assert parsed.rejected and parsed.groups == {} and parsed.invalid[0].startswith("/f:")


def test_kconfig_immutability_markers() -> None:
    conf = parse_kconfig("[Daemon]\nTimeout[$i]=10\nTimeout=30\nAutolock=false\nAutolock=true\n", "/k")
    assert conf.get("Daemon", "Timeout") == Entry("10", "/k:2", True)
    assert conf.get("Daemon", "Autolock") == Entry("true", "/k:5", False)
    whole = parse_kconfig("[$i]\n[Daemon]\nTimeout=3\n", "/k")
    assert whole.get("Daemon", "Timeout") == Entry("3", "/k:3", True) and "Daemon" in whole.immutable_groups


@pytest.mark.parametrize("text, expected", [
    ("uint32 300", ("u", 300)), ("300", ("i", 300)), ("int32 5", ("i", 5)), ("@u 60", ("u", 60)),
    ("true", ("b", True)), ("false", ("b", False)), ("uint32 -1", None), ("'blank'", None), ("True", None),
])
def test_gvariant_text(text: str, expected: Any) -> None:
    assert gvariant(text) == expected


@pytest.mark.parametrize("command, user", [
    ("-/sbin/agetty --autologin pi --noclear %I $TERM", "pi"), ("-/sbin/agetty -a gv --noclear %I linux", "gv"),
    ("-/sbin/agetty --autologin=hs %I", "hs"), ("-/sbin/agetty -aroot %I", "root"),
    ("-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM", None), ("/usr/bin/login -f pi", None),
])
def test_agetty_autologin_forms(command: str, user: str | None) -> None:
    assert agetty_autologin(command) == user


def test_seat_sections_apply_in_order_and_by_pattern() -> None:
    a, b, c = Entry("a", "f:1"), Entry("b", "f:2"), Entry("c", "f:3")
    merged = {"Seat:*": {"autologin-user": a}, "Seat:seat0": {"autologin-user": b}, "Seat:seat1": {"x": c}}
    assert seat_settings(merged)["autologin-user"] == b and "x" not in seat_settings(merged)


# --- display managers -------------------------------------------------------------------------------------------

def test_gdm_automatic_and_timed_login(make_root: Root) -> None:
    conf = "# GDM configuration storage\n[daemon]\n#AutomaticLoginEnable=true\nAutomaticLoginEnable=true\n" \
           "AutomaticLogin=giaovien\n[security]\n"
    gdm = _manager(make_root, {"usr/sbin/gdm3": "", "etc/gdm3/custom.conf": conf}, "gdm")
    assert (gdm["auto_login"], gdm["user"], gdm["source"], gdm["timed"]) == (True, "giaovien",
                                                                             "/etc/gdm3/custom.conf:4", False)
    timed = "[daemon]\nTimedLoginEnable=true\nTimedLogin=phongmay\nTimedLoginDelay=10\n"
    gdm = _manager(make_root, {"usr/sbin/gdm3": "", "etc/gdm3/custom.conf": timed}, "gdm")
    assert (gdm["auto_login"], gdm["user"], gdm["timed"], gdm["delay_seconds"]) == (True, "phongmay", True, 10)
    no_delay = timed.replace("TimedLoginDelay=10\n", "")
    gdm = _manager(make_root, {"usr/sbin/gdm": "", "etc/gdm/custom.conf": no_delay}, "gdm")
    assert gdm["delay_seconds"] == 30  # GDM's default


@pytest.mark.parametrize("conf", [
    "[daemon]\nAutomaticLoginEnable=True\nAutomaticLogin=gv\n",  # GDM's booleans: exactly true or 1
    "[daemon]\nAutomaticLoginEnable=true\nAutomaticLogin=\n",
    "[Daemon]\nAutomaticLoginEnable=true\nAutomaticLogin=gv\n",  # group names are case-sensitive
    "[daemon]\nAutomaticLoginEnable=true\nAutomaticLogin=gv\nAutomaticLoginEnable=false\n",
    "AutomaticLoginEnable=true\n[daemon]\nAutomaticLogin=gv\n",  # GKeyFile refuses the file: defaults
])
def test_gdm_settings_that_do_not_log_in(make_root: Root, conf: str) -> None:
    gdm = _manager(make_root, {"usr/sbin/gdm3": "", "etc/gdm3/custom.conf": conf}, "gdm")
    assert gdm["auto_login"] is False


def test_gdm_reads_daemon_conf_on_debian(make_root: Root) -> None:
    files = {"usr/sbin/gdm3": "", "etc/os-release": "ID=debian\n",
             "etc/gdm3/daemon.conf": "[daemon]\nAutomaticLoginEnable=1\nAutomaticLogin=hs\n",
             "etc/gdm3/custom.conf": "[daemon]\n"}
    assert _manager(make_root, files, "gdm")["user"] == "hs"
    files["etc/os-release"] = "ID=ubuntu\nID_LIKE=debian\n"
    assert _manager(make_root, files, "gdm")["auto_login"] is False


def test_lightdm_raspberry_pi_os(make_root: Root) -> None:
    conf = "[LightDM]\n\n[Seat:*]\ngreeter-session=pi-greeter\n#autologin-user=\nautologin-user=pi\n" \
           "autologin-user-timeout=0\n"
    dm = _manager(make_root, {"usr/sbin/lightdm": "", "etc/lightdm/lightdm.conf": conf}, "lightdm")
    assert (dm["auto_login"], dm["user"], dm["source"], dm["timed"]) == (True, "pi", "/etc/lightdm/lightdm.conf:6",
                                                                         False)


def test_lightdm_later_files_win_and_empty_user_is_off(make_root: Root) -> None:
    files = {"usr/sbin/lightdm": "",
             "usr/share/lightdm/lightdm.conf.d/60-kiosk.conf": "[SeatDefaults]\nautologin-user=kiosk\n",
             "etc/lightdm/lightdm.conf.d/10-school.conf": "[Seat:*]\nautologin-user=\n"}
    dm = _manager(make_root, files, "lightdm")
    assert dm["auto_login"] is False
    assert dm["files"] == ["/usr/share/lightdm/lightdm.conf.d/60-kiosk.conf",
                           "/etc/lightdm/lightdm.conf.d/10-school.conf"]
    del files["etc/lightdm/lightdm.conf.d/10-school.conf"]
    files["etc/lightdm/lightdm.conf"] = "[Seat:seat0]\nautologin-user=lab\nautologin-user-timeout=20\n"
    dm = _manager(make_root, files, "lightdm")
    assert (dm["user"], dm["timed"], dm["delay_seconds"]) == ("lab", True, 20)  # [Seat:seat0] over [SeatDefaults]


def test_lightdm_guest_and_rejected_drop_in(make_root: Root) -> None:
    files = {"usr/sbin/lightdm": "", "etc/lightdm/lightdm.conf": "[Seat:*]\nautologin-guest=true  \n",
             "etc/lightdm/lightdm.conf.d/50-broken.conf": "autologin-user=x\n",
             "etc/lightdm/lightdm.conf.d/README": "[Seat:*]\nautologin-user=ignored\n"}
    dm = _manager(make_root, files, "lightdm")
    assert (dm["auto_login"], dm["guest"], dm["user"]) == (True, True, "guest")
    assert dm["invalid"] == ["/etc/lightdm/lightdm.conf.d/50-broken.conf:1: key before the first [group]"]
    files["etc/lightdm/lightdm.conf"] = "[Seat:*]\nautologin-guest=1\n"  # LightDM: only "true" is true
    assert _manager(make_root, files, "lightdm")["auto_login"] is False


def test_sddm_order_and_empty_user(make_root: Root) -> None:
    files = {"usr/bin/sddm": "", "usr/lib/sddm/sddm.conf.d/kde_settings.conf": "[Autologin]\nUser=hocsinh\n"
             "Session=plasma\n", "etc/sddm.conf.d/99-school.conf": "[Autologin]\n# off\nUser=\n"}
    assert _manager(make_root, files, "sddm")["auto_login"] is False
    files["etc/sddm.conf"] = "[Autologin]\nRelogin=false\nUser = gv \nnot a setting\n"
    dm = _manager(make_root, files, "sddm")
    assert (dm["auto_login"], dm["user"], dm["source"]) == (True, "gv", "/etc/sddm.conf:3")
    assert dm["invalid"] == ["/etc/sddm.conf:4: ignored line"]


def test_lxdm_nodm_greetd(make_root: Root) -> None:
    files = {"usr/sbin/lxdm": "", "etc/lxdm/lxdm.conf": "[base]\n# autologin=dgod\nautologin=phong\ntimeout=10\n",
             "usr/sbin/nodm": "", "etc/default/nodm": "NODM_ENABLED=true\nNODM_USER='kiosk'\n",
             "usr/sbin/greetd": "", "etc/greetd/config.toml": "[terminal]\nvt = 1\n\n[default_session]\n"
             "command = \"agreety --cmd sway\"\nuser = \"greeter\"\n\n[initial_session]\ncommand = \"sway\"\n"
             "user = \"lab\"\n"}
    managers = {m["name"]: m for m in _desktop(make_root(files))["display_managers"]}
    assert (managers["lxdm"]["user"], managers["lxdm"]["source"]) == ("phong", "/etc/lxdm/lxdm.conf:3")
    assert (managers["nodm"]["auto_login"], managers["nodm"]["user"]) == (True, "kiosk")
    assert (managers["greetd"]["user"], managers["greetd"]["source"]) == ("lab", "/etc/greetd/config.toml:8")
    files["etc/default/nodm"] = "NODM_ENABLED=false\n"
    files["etc/greetd/config.toml"] = "[default_session\n"
    managers = {m["name"]: m for m in _desktop(make_root(files))["display_managers"]}
    assert managers["nodm"]["auto_login"] is False
    assert managers["greetd"]["auto_login"] is None and managers["greetd"]["invalid"]


@pytest.mark.parametrize("default_session, user", [
    ('command = "tuigreet --cmd sway"\nuser = "_greetd"', None),  # Debian's package: a greeter, its own user
    ('command = "cage -s -- gtkgreet"', None),  # greetd's default user "greeter"
    ('command = "sway --config /etc/greetd/sway-config"\nuser = "dgod"', None),  # a greeter inside sway
    ('command = "labwc"\nuser = "pi"', "pi"),  # a desktop as a person: nobody is asked for a password
    ('command = "startplasma-wayland"\nuser = "hocsinh"', "hocsinh"),
])
def test_greetd_default_session_running_a_desktop_as_a_person(make_root: Root, default_session: str,
                                                               user: str | None) -> None:
    files = {"usr/sbin/greetd": "", "etc/greetd/config.toml": f"[terminal]\nvt = 7\n\n[default_session]\n"
             f"{default_session}\n"}
    [greetd] = [m for m in _desktop(make_root(files))["display_managers"] if m["name"] == "greetd"]
    assert greetd["user"] == user and bool(greetd["auto_login"]) == (user is not None)
    if user:
        assert greetd["source"] == "/etc/greetd/config.toml:4"


def test_active_manager_and_only_installed_ones(make_root: Root) -> None:
    files = {"usr/sbin/gdm3": "", "var/lib/dpkg/status": "Package: lightdm\nStatus: install ok installed\n"
             "Version: 1.30\n\n", "etc/sddm.conf": "[Autologin]\nUser=left-over\n",
             "etc/systemd/system/display-manager.service": "[Service]\nExecStart=/usr/sbin/lightdm\n"}
    managers = {m["name"]: m for m in _desktop(make_root(files))["display_managers"]}
    assert set(managers) == {"gdm", "lightdm"}  # SDDM's file is there but SDDM is not
    assert managers["lightdm"]["active"] is True and managers["gdm"]["active"] is False
    files = {"usr/sbin/gdm3": "", "etc/X11/default-display-manager": "/usr/sbin/gdm3\n"}
    assert _desktop(make_root(files))["display_managers"][0]["active"] is True


def test_console_getty_drop_ins(make_root: Root) -> None:
    files = {"etc/systemd/system/getty@tty1.service.d/autologin.conf":
             "[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin pi --noclear %I \\\n  $TERM\n",
             "etc/systemd/system/serial-getty@ttyS0.service.d/override.conf":
             "[Service]\n# ExecStart=-/sbin/agetty -a root -L %I\nExecStart=\nExecStart=-/sbin/agetty -a root -L %I\n",
             "etc/systemd/system/getty@tty2.service.d/10-auto.conf": "[Service]\nExecStart=\n"
             "ExecStart=-/sbin/agetty -a gv %I\n",
             "etc/systemd/system/getty@tty2.service.d/20-undo.conf": "[Service]\nExecStart=\n"
             "ExecStart=-/sbin/agetty --noclear %I\n"}
    table = _desktop(make_root(files))
    console = {c["unit"]: c for c in table["console_autologin"]}
    assert set(console) == {"getty@tty1.service", "serial-getty@ttyS0.service"}
    assert console["getty@tty1.service"] == {"unit": "getty@tty1.service", "user": "pi", "source":
                                             "/etc/systemd/system/getty@tty1.service.d/autologin.conf:3"}
    assert console["serial-getty@ttyS0.service"]["user"] == "root"
    assert table["sessions"] == [] and table["screen_lock"] == []


def test_template_drop_in_applies_to_every_getty(make_root: Root) -> None:
    files = {"etc/systemd/system/getty@.service.d/auto.conf": "[Service]\nExecStart=\n"
             "ExecStart=-/sbin/agetty --autologin admin --noclear %I $TERM\n"}
    console = _desktop(make_root(files))["console_autologin"]
    assert [(c["unit"], c["user"]) for c in console] == [("getty@.service", "admin")]


# --- screen lock: GNOME and dconf --------------------------------------------------------------------------------

def test_gnome_defaults_without_a_profile(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/db/local.d/00-idle": IDLE_600}, compiled=("local",))
    assert (lock["idle_seconds"], lock["lock_enabled"], lock["lock_after_seconds"], lock["locked_down"]) == \
        (300, True, 300, False)
    assert any("no dconf profile" in p for p in lock["pending"])


def test_gnome_profile_keyfile_and_lock(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle": IDLE_600,
                             "etc/dconf/db/local.d/locks/idle": LOCK_IDLE})
    assert (lock["idle_seconds"], lock["lock_after_seconds"]) == (600, 600)
    assert lock["source"]["org.gnome.desktop.session idle-delay"] == \
        "/etc/dconf/db/local.d/00-idle:3, lock /etc/dconf/db/local.d/locks/idle:1"
    assert lock["locked_down"] is False  # lock-enabled and lock-delay are not locked
    assert lock["pending"] == []


def test_later_keyfile_wins_and_first_database_wins(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle": IDLE_600,
                             "etc/dconf/db/local.d/90-longer": IDLE_600.replace("600", "1200"),
                             "etc/dconf/db/site.d/00-idle": IDLE_600.replace("600", "60")})
    assert lock["idle_seconds"] == 1200 and "90-longer:3" in lock["source"]["org.gnome.desktop.session idle-delay"]


def test_a_lock_lower_in_the_profile_wins(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle": IDLE_600,
                             "etc/dconf/db/site.d/00-idle": IDLE_600.replace("600", "240"),
                             "etc/dconf/db/site.d/locks/idle": LOCK_IDLE})
    assert lock["idle_seconds"] == 240  # dconf searches from the lowest-priority database that locks the key


def test_untyped_number_is_dropped_by_gsettings(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/profile/user": PROFILE,
                             "etc/dconf/db/local.d/00-idle": IDLE_600.replace("uint32 600", "1800")})
    assert lock["idle_seconds"] == 300 and "ignored: not of type u" in \
        lock["source"]["org.gnome.desktop.session idle-delay"]


def test_lock_disabled_and_idle_never(make_root: Root) -> None:
    off = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-lock":
                            "[org/gnome/desktop/screensaver]\nlock-enabled=false\n"})
    assert (off["lock_enabled"], off["lock_after_seconds"], off["determined"]) == (False, None, True)
    never = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle":
                              IDLE_600.replace("600", "0")})
    assert (never["idle_seconds"], never["lock_after_seconds"], never["determined"]) == (0, None, True)


def test_keyfiles_not_compiled_yet(make_root: Root) -> None:
    files = {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle": IDLE_600}
    never = _lock(make_root, files, compiled=())
    assert never["idle_seconds"] == 300 and "never compiled" in never["pending"][0]
    root = make_root({**GNOME_SESSION, **files})
    _compile(root, "local", offset=-3600)
    stale = {e["desktop"]: e for e in _desktop(root)["screen_lock"]}["gnome"]
    assert stale["determined"] is False and stale["lock_after_seconds"] is None
    assert "dconf update" in stale["pending"][0]


def test_malformed_keyfile_keeps_the_old_database(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle": IDLE_600,
                             "etc/dconf/db/local.d/01-bad": "[org/gnome/desktop/session]\nidle-delay=uint32 x\n"})
    assert lock["determined"] is False and "cannot compile" in lock["pending"][0]
    assert lock["invalid"] == ["/etc/dconf/db/local.d/01-bad:2: not a GVariant value: uint32 x"]


def test_profile_without_user_db_is_read_only(make_root: Root) -> None:
    lock = _lock(make_root, {"etc/dconf/profile/user": "system-db:local\n", "etc/dconf/db/local.d/00": IDLE_600})
    assert lock["locked_down"] is True and lock["idle_seconds"] == 600


def test_schema_defaults_and_vendor_overrides(make_root: Root) -> None:
    schema = "<schemalist><schema id='org.gnome.desktop.session' path='/org/gnome/desktop/session/'>" \
             "<key name='idle-delay' type='u'><default>420</default></key></schema></schemalist>"
    files = {"usr/share/glib-2.0/schemas/org.gnome.desktop.session.gschema.xml": schema}
    assert _lock(make_root, files)["idle_seconds"] == 420
    files["usr/share/glib-2.0/schemas/10_vendor.gschema.override"] = "[org.gnome.desktop.session]\nidle-delay=600\n"
    files["usr/share/glib-2.0/schemas/20_wrong.gschema.override"] = "[org.gnome.desktop.session]\nidle-delay=true\n"
    lock = _lock(make_root, files)
    assert lock["idle_seconds"] == 600 and "10_vendor" in lock["source"]["org.gnome.desktop.session idle-delay"]
    files["usr/share/glib-2.0/schemas/30_ubuntu.gschema.override"] = \
        "[org.gnome.desktop.session:ubuntu]\nidle-delay=900\n[org.gnome.desktop.session:KDE]\nidle-delay=5\n"
    assert _lock(make_root, files)["idle_seconds"] == 900  # the session says ubuntu:GNOME


def test_cinnamon_and_mate_from_installed_schemas(make_root: Root) -> None:
    def schema(sid: str, keys: str) -> str:
        return f"<schemalist><schema id='{sid}'>{keys}</schema></schemalist>"

    files = {
        "usr/share/xsessions/cinnamon.desktop": "[Desktop Entry]\nName=Cinnamon\nDesktopNames=X-Cinnamon\n",
        "usr/share/xsessions/mate.desktop": "[Desktop Entry]\nName=MATE\nDesktopNames=MATE\n",
        "usr/share/glib-2.0/schemas/org.cinnamon.desktop.session.gschema.xml": schema(
            "org.cinnamon.desktop.session", "<key name='idle-delay' type='u'><default>0</default></key>"),
        "usr/share/glib-2.0/schemas/org.cinnamon.desktop.screensaver.gschema.xml": schema(
            "org.cinnamon.desktop.screensaver", "<key name='lock-enabled' type='b'><default>true</default></key>"
            "<key name='lock-delay' type='u'><default>0</default></key>"),
        "usr/share/glib-2.0/schemas/org.mate.session.gschema.xml": schema(
            "org.mate.session", "<key name='idle-delay' type='i'><default>5</default></key>"),
        "usr/share/glib-2.0/schemas/org.mate.screensaver.gschema.xml": schema(
            "org.mate.screensaver", "<key name='lock-enabled' type='b'><default>true</default></key>"
            "<key name='lock-delay' type='i'><default>0</default></key>"
            "<key name='idle-activation-enabled' type='b'><default>true</default></key>"),
        "etc/dconf/profile/user": PROFILE,
        "etc/dconf/db/local.d/00-mate": "[org/mate/desktop/session]\nidle-delay=10\n",  # the schema's path
    }
    root = make_root(files)
    _compile(root, "local")
    locks = {e["desktop"]: e for e in _desktop(root)["screen_lock"]}
    assert (locks["cinnamon"]["idle_seconds"], locks["cinnamon"]["lock_after_seconds"]) == (0, None)
    assert (locks["mate"]["idle_seconds"], locks["mate"]["lock_after_seconds"]) == (600, 600)  # minutes


def test_cinnamon_without_its_schema_is_undetermined(make_root: Root) -> None:
    root = make_root({"usr/share/xsessions/cinnamon.desktop": "[Desktop Entry]\nDesktopNames=X-Cinnamon\n"})
    lock = _desktop(root)["screen_lock"][0]
    assert lock["desktop"] == "cinnamon" and lock["determined"] is False


# --- screen lock: KDE, Xfce, others ---------------------------------------------------------------------------

KDE_SESSION = {"usr/share/xsessions/plasma.desktop": "[Desktop Entry]\nName=Plasma (X11)\nDesktopNames=KDE\n"}


def test_kde_defaults_and_immutable_settings(make_root: Root) -> None:
    lock = _desktop(make_root(KDE_SESSION))["screen_lock"][0]
    assert (lock["desktop"], lock["idle_seconds"], lock["lock_delay_seconds"], lock["lock_after_seconds"],
            lock["locked_down"]) == ("kde", 300, 5, 305, False)
    rc = "[Daemon][$i]\nAutolock=true\nTimeout=10\nLockGrace=0\n"
    lock = _desktop(make_root({**KDE_SESSION, "etc/xdg/kscreenlockerrc": rc}))["screen_lock"][0]
    assert (lock["lock_after_seconds"], lock["locked_down"]) == (600, True)
    rc = "[Daemon]\nAutolock=false\n"
    lock = _desktop(make_root({**KDE_SESSION, "etc/xdg/kscreenlockerrc": rc}))["screen_lock"][0]
    assert (lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == (False, None, True)


XFCE_SESSION = {"usr/share/xsessions/xfce.desktop": "[Desktop Entry]\nName=Xfce Session\nDesktopNames=XFCE\n"}
XFCONF = "etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml"


def test_xfce_screensaver_lockers(make_root: Root) -> None:
    xml = ("<?xml version='1.0'?><channel name='xfce4-screensaver' version='1.0'>"
           "<property name='saver' type='empty'><property name='idle-activation' type='empty'>"
           "<property name='delay' type='int' value='20' locked='*'/></property></property>"
           "<property name='lock' type='empty'><property name='enabled' type='bool' value='true' locked='*'/>"
           "</property></channel>")
    lock = _desktop(make_root({**XFCE_SESSION, "usr/bin/xfce4-screensaver": "", XFCONF: xml}))["screen_lock"][0]
    assert (lock["idle_seconds"], lock["lock_after_seconds"], lock["locked_down"]) == (1200, 1200, True)
    lock = _desktop(make_root({**XFCE_SESSION, "usr/bin/light-locker": ""}))["screen_lock"][0]
    assert (lock["lock_enabled"], lock["determined"]) == (False, True)  # installed, but nothing starts it
    assert "not started" in lock["source"]["light-locker"]
    lock = _desktop(make_root(XFCE_SESSION))["screen_lock"][0]
    assert (lock["lock_enabled"], lock["determined"], lock["lock_after_seconds"]) == (False, True, None)


LXQT_SESSION = {"usr/share/xsessions/lxqt.desktop": "[Desktop Entry]\nName=LXQt Desktop\nDesktopNames=LXQt\n"}
XSS = "etc/X11/app-defaults/XScreenSaver"
# the head of xscreensaver's own app-defaults file, as Debian installs it
XSS_STOCK = ("! XScreenSaver app-defaults\n#error Do not run app-defaults files through xrdb!\n"
             "*mode:\t\t\trandom\n*timeout:\t\t0:10:00\n*cycle:\t\t\t0:10:00\n*lockTimeout:\t\t0:00:00\n"
             "*passwdTimeout:\t\t0:00:30\n*lock:\t\t\tFalse\n*programs:\t\t\\\n  maze -root \\n\\\n"
             "  xmatrix -root \\n\n")


@pytest.mark.parametrize("files, expected", [
    ({"usr/bin/xscreensaver": "", XSS: XSS_STOCK}, (600, False, None, True)),  # Lubuntu as installed: never locks
    ({"usr/bin/xscreensaver": "", XSS: XSS_STOCK.replace("False", "True").replace("0:10:00", "5")},
     (300, True, 300, True)),
    ({"usr/bin/xscreensaver": "", XSS: XSS_STOCK.replace("False", "on").replace("*lockTimeout:\t\t0:00:00",
                                                                              "XScreenSaver.lockTimeout: 1:30")},
     (600, True, 690, True)),
    ({"usr/bin/xscreensaver": "", XSS: XSS_STOCK.replace("False", "True").replace("random", "off")},
     (0, True, None, True)),  # "Disable Screen Saver": never blanks, never locks
    ({"usr/bin/xscreensaver": ""}, (600, False, None, True)),  # no resource file: xscreensaver's own defaults
    ({"usr/bin/light-locker": ""}, (None, False, None, True)),  # installed, no autostart entry: never runs
    ({}, (None, False, None, True)),  # no locker at all
])
def test_lxqt_and_lxde_lock_through_xscreensaver(make_root: Root, files: dict[str, str],
                                                 expected: tuple[Any, ...]) -> None:
    for session in (LXQT_SESSION, {"usr/share/xsessions/LXDE.desktop": "[Desktop Entry]\nName=LXDE\n"}):
        (lock,) = _desktop(make_root({**session, **files}))["screen_lock"]
        assert (lock["idle_seconds"], lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == expected
        assert lock["desktop"] in ("lxqt", "lxde") and lock["locked_down"] in (False, None)


def test_xscreensaver_times_and_a_bad_value() -> None:
    from secaudit.facts.linux.desktop_lock import x_time, xresources

    assert [x_time(v) for v in ("10", "1:30", "0:15:00", "1:00:00", "x", "1:2:3:4", "")] == [
        600, 90, 900, 3600, None, None, None]
    found = xresources("! c\n*lock: True\nXScreenSaver*timeout:  0:05:00 \n*programs: a \\\n b\n*mode: off\n")
    assert found == {"lock": ("True", 2), "timeout": ("0:05:00", 3), "programs": ("a  b", 4), "mode": ("off", 6)}


def test_xfce_with_xscreensaver_and_an_unreadable_value(make_root: Root) -> None:
    files = {**XFCE_SESSION, "usr/bin/xscreensaver": "", XSS: "*lock: maybe\n*timeout: 0:05:00\n"}
    table = _desktop(make_root(files))
    (lock,) = table["screen_lock"]
    assert (lock["idle_seconds"], lock["lock_enabled"], lock["determined"]) == (300, None, False)
    assert lock["invalid"] == ["/etc/X11/app-defaults/XScreenSaver:1: lock 'maybe' not understood"]


PEOPLE = ("root:x:0:0:root:/root:/bin/bash\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n"
          "hocsinh:x:1001:1001:Học sinh:/home/hocsinh:/bin/bash\ngiaovien:x:1002:1002::/home/giaovien/:/bin/bash\n"
          "kiosk:x:1003:1003::/home/kiosk:/usr/sbin/nologin\n")


def test_each_persons_own_xscreensaver_file_is_read_after_the_system(make_root: Root) -> None:
    files = {**LXQT_SESSION, "usr/bin/xscreensaver": "", XSS: XSS_STOCK, "etc/passwd": PEOPLE,
             "home/hocsinh/.xscreensaver": "# XScreenSaver Preferences File\ntimeout:\t0:05:00\nlock:\t\tTrue\n",
             "home/kiosk/.xscreensaver": "lock: False\n"}  # kiosk cannot log in: not counted
    (lock,) = _desktop(make_root(files))["screen_lock"]
    assert (lock["lock_enabled"], lock["default_applies"]) == (False, True)  # giaovien has no file of their own
    (mine,) = lock["users"]
    assert (mine["user"], mine["file"], mine["lock_after_seconds"], mine["determined"]) == (
        "hocsinh", "/home/hocsinh/.xscreensaver", 300, True)
    assert mine["source"]["xscreensaver lock"] == "/home/hocsinh/.xscreensaver:3"
    assert mine["source"]["xscreensaver locktimeout"].startswith("/etc/X11/app-defaults/XScreenSaver:")
    files["home/giaovien/.xscreensaver"] = "mode: off\nlock: True\n"
    (lock,) = _desktop(make_root(files))["screen_lock"]
    assert lock["default_applies"] is False
    assert [(u["user"], u["idle_seconds"], u["lock_after_seconds"]) for u in lock["users"]] == [
        ("hocsinh", 300, 300), ("giaovien", 0, None)]


def test_kde_and_xfce_own_files_yield_to_what_the_system_locked(make_root: Root) -> None:
    kde = {**KDE_SESSION, "etc/passwd": PEOPLE, "home/hocsinh/.config/kscreenlockerrc": "[Daemon]\nTimeout=60\n"}
    (lock,) = _desktop(make_root(kde))["screen_lock"]
    assert [(u["user"], u["lock_after_seconds"]) for u in lock["users"]] == [("hocsinh", 3605)]
    kde["etc/xdg/kscreenlockerrc"] = "[Daemon][$i]\nTimeout=5\n"
    (lock,) = _desktop(make_root(kde))["screen_lock"]
    assert [(u["user"], u["lock_after_seconds"]) for u in lock["users"]] == [("hocsinh", 305)]
    system = ("<?xml version='1.0'?><channel name='xfce4-screensaver' version='1.0'><property name='lock' type='empty'>"
              "<property name='enabled' type='bool' value='true' locked='*'/></property></channel>")
    own = ("<?xml version='1.0'?><channel name='xfce4-screensaver' version='1.0'><property name='lock' type='empty'>"
           "<property name='enabled' type='bool' value='false'/></property><property name='saver' type='empty'>"
           "<property name='idle-activation' type='empty'><property name='delay' type='int' value='30'/></property>"
           "</property></channel>")
    xfce = {**XFCE_SESSION, "usr/bin/xfce4-screensaver": "", XFCONF: system, "etc/passwd": PEOPLE,
            "home/giaovien/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml": own}
    (lock,) = _desktop(make_root(xfce))["screen_lock"]
    (mine,) = lock["users"]
    assert (mine["user"], mine["lock_enabled"], mine["lock_after_seconds"]) == ("giaovien", True, 1800)


def test_each_persons_own_dconf_database_unless_the_system_locks_the_key(make_root: Root, tmp_path: Path) -> None:
    from tests.unit.facts.linux.test_gvdb import compiled

    off = compiled(tmp_path / "a", "[org/gnome/desktop/session]\nidle-delay=uint32 0\n")  # "Blank screen: never"
    short = compiled(tmp_path / "b", "[org/gnome/desktop/session]\nidle-delay=uint32 120\n"
                                     "[org/gnome/desktop/screensaver]\nlock-enabled=true\n")
    wrong_type = compiled(tmp_path / "c", "[org/gnome/desktop/session]\nidle-delay=int32 60\n")  # GSettings: ignored
    files = {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-idle": IDLE_600, "etc/passwd": PEOPLE,
             "home/hocsinh/.config/dconf/user": off, "home/giaovien/.config/dconf/user": short}
    lock = _lock(make_root, files)
    assert (lock["lock_after_seconds"], lock["default_applies"]) == (600, False)
    assert [(u["user"], u["idle_seconds"], u["lock_after_seconds"], u["determined"]) for u in lock["users"]] == [
        ("hocsinh", 0, None, True), ("giaovien", 120, 120, True)]
    assert lock["users"][0]["source"]["org.gnome.desktop.session idle-delay"] == \
        "/home/hocsinh/.config/dconf/user /org/gnome/desktop/session/idle-delay"
    files["etc/dconf/db/local.d/locks/idle"] = LOCK_IDLE  # the school locked it: the users' own values do nothing
    files["home/giaovien/.config/dconf/user"] = wrong_type
    lock = _lock(make_root, files)
    assert [(u["user"], u["idle_seconds"]) for u in lock["users"]] == [("hocsinh", 600), ("giaovien", 600)]
    files["home/hocsinh/.config/dconf/user"] = b"GVariant" + bytes(4)  # damaged: that person is undetermined
    (mine, _) = _lock(make_root, files)["users"]
    assert mine["determined"] is False and "not a dconf database" in mine["source"]["own"]


@pytest.mark.parametrize("files, expected", [
    ({}, (False, None, True)),  # Raspberry Pi OS as installed: no screen locker at all
    ({"usr/bin/swaylock": ""}, (False, None, True)),  # a locker nothing starts on idle
    ({"usr/bin/swaylock": "", "etc/xdg/labwc/autostart": "# idle\nswayidle -w timeout 600 'swaylock -f' "
      "timeout 900 'wlopm --off \\*' resume 'wlopm --on \\*' before-sleep 'swaylock -f' &\n"}, (True, 600, True)),
    ({"usr/bin/gtklock": "", "etc/xdg/labwc/autostart": "swayidle -w timeout 300 'wlopm --off *' &\n"},
     (False, None, True)),  # swayidle blanks the screen but starts no locker
])
def test_labwc_locks_through_swayidle(make_root: Root, files: dict[str, str], expected: tuple[Any, ...]) -> None:
    session = {"usr/share/wayland-sessions/LXDE-pi-labwc.desktop": "[Desktop Entry]\nName=Labwc\n"}
    (lock,) = _desktop(make_root({**session, **files}))["screen_lock"]
    assert lock["desktop"] == "labwc"
    assert (lock["lock_enabled"], lock["lock_after_seconds"], lock["determined"]) == expected


def test_wayfire_without_a_locker_or_a_config_never_locks(make_root: Root) -> None:
    session = {"usr/share/wayland-sessions/LXDE-pi-wayfire.desktop": "[Desktop Entry]\nName=Wayfire\n"}
    (lock,) = _desktop(make_root(session))["screen_lock"]
    assert (lock["desktop"], lock["lock_enabled"], lock["determined"]) == ("wayfire", False, True)
    (lock,) = _desktop(make_root({**session, "usr/bin/swaylock": ""}))["screen_lock"]  # nothing starts it
    assert (lock["lock_enabled"], lock["determined"]) == (False, True)
    assert lock["source"]["swayidle"].startswith("/etc/wayfire/defaults.ini absent")


def test_a_persons_own_labwc_autostart_replaces_the_systems(make_root: Root) -> None:
    files = {"usr/share/wayland-sessions/labwc.desktop": "[Desktop Entry]\nName=labwc\nDesktopNames=labwc\n",
             "usr/bin/swaylock": "", "etc/passwd": PEOPLE,
             "etc/xdg/labwc/autostart": "swayidle -w timeout 300 'swaylock -f' &\n",
             "home/hocsinh/.config/labwc/autostart": "pcmanfm --desktop &\n"}
    (lock,) = _desktop(make_root(files))["screen_lock"]
    assert lock["lock_after_seconds"] == 300 and lock["default_applies"] is True
    (mine,) = lock["users"]
    assert (mine["user"], mine["lock_enabled"], mine["determined"]) == ("hocsinh", False, True)


def test_an_unreadable_own_file_leaves_that_person_undetermined() -> None:
    files = {"/usr/share/xsessions/lxqt.desktop": "[Desktop Entry]\nDesktopNames=LXQt\n", "/usr/bin/xscreensaver": "",
             "/etc/passwd": PEOPLE, "/home/hocsinh/.xscreensaver": "lock: True\n"}
    (lock,) = _replay(files, ["/home/hocsinh/.xscreensaver"]).table("desktop")["screen_lock"]
    (mine,) = lock["users"]
    assert mine["determined"] is False and "unreadable" in mine["source"]["own"]


def test_unrecognised_desktop_and_broken_files_never_raise(make_root: Root) -> None:
    files = {"usr/share/xsessions/openbox.desktop": "[Desktop Entry]\nName=Openbox\n",
             "usr/share/wayland-sessions/broken.desktop": "no group here\n",
             "usr/bin/xfce4-screensaver": "", XFCONF: "<channel><property",
             "etc/xdg/kscreenlockerrc": "[Daemon\nTimeout=abc\n", "usr/sbin/lightdm": "",
             "etc/lightdm/lightdm.conf": b"\xff\xfe[Seat:*]\n",
             "usr/share/xsessions/plasma.desktop": "[Desktop Entry]\n"}
    table = _desktop(make_root(files))
    assert table["invalid"] == ["/usr/share/wayland-sessions/broken.desktop:1: not a key=value pair, group or comment"]
    locks = {e["desktop"]: e for e in table["screen_lock"]}
    assert locks["openbox"]["determined"] is False and locks["kde"]["lock_after_seconds"] == 305


# --- files there but unreadable (replayed: root reads files whatever their mode) ---------------------------------

def _replay(files: dict[str, str], denied: list[str] | None = None,
            stats: dict[str, dict[str, int]] | None = None) -> Snapshot:
    recording = {"files": files, "denied": denied or [], "stats": stats or {}}
    return collect(ReplayTransport(recording), AgentConfig(), only={"desktop"})


def test_unreadable_files_leave_things_undetermined() -> None:
    files = {"/usr/sbin/lightdm": "", "/etc/lightdm/lightdm.conf": "[Seat:*]\n",
             "/etc/systemd/system/getty@tty1.service.d/autologin.conf": "[Service]\n",
             "/usr/share/xsessions/plasma.desktop": "[Desktop Entry]\nDesktopNames=KDE\n",
             "/etc/xdg/kscreenlockerrc": "[Daemon]\nTimeout=1\n", "/etc/passwd": "root:x:0:0::/root:/bin/bash\n"}
    snap = _replay(files, ["/etc/lightdm/lightdm.conf", "/etc/systemd/system/getty@tty1.service.d/autologin.conf",
                           "/etc/xdg/kscreenlockerrc"])
    table = snap.table("desktop")
    (dm,) = table["display_managers"]
    assert dm["auto_login"] is None and dm["invalid"] == ["/etc/lightdm/lightdm.conf: unreadable (permission_denied)"]
    assert table["console_autologin"] == [] and snap.unknown["desktop.console"]["code"] == "permission_denied"
    (lock,) = table["screen_lock"]
    assert lock["determined"] is False and "unreadable" in lock["source"]["kscreenlockerrc"]
    assert set(snap.unknown) == {"desktop.console", "desktop.display_managers", "desktop.screen_lock"}


def test_replayed_compiled_database_times() -> None:
    files = {"/usr/share/xsessions/gnome.desktop": "[Desktop Entry]\nDesktopNames=GNOME\n",
             "/etc/dconf/profile/user": PROFILE, "/etc/dconf/db/local.d/00-idle": IDLE_600, "/etc/dconf/db/local": ""}
    stats = {"/etc/dconf/db/local.d/00-idle": {"mtime": 100}, "/etc/dconf/db/local": {"mtime": 200}}
    assert _replay(files, stats=stats).table("desktop")["screen_lock"][0]["idle_seconds"] == 600
    stats["/etc/dconf/db/local"] = {"mtime": 50}
    snap = _replay(files, stats=stats)
    assert snap.table("desktop")["screen_lock"][0]["determined"] is False


def test_lock_delay_adds_to_the_idle_delay(make_root: Root) -> None:
    keyfile = IDLE_600 + "\n[org/gnome/desktop/screensaver]\nlock-delay=uint32 30\nlock-enabled=true\n"
    lock = _lock(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-screen": keyfile})
    assert (lock["idle_seconds"], lock["lock_delay_seconds"], lock["lock_after_seconds"]) == (600, 30, 630)


def test_xml_with_a_dtd_is_refused_not_expanded(make_root: Root) -> None:
    bomb = ("<?xml version='1.0'?><!DOCTYPE c [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
            "<channel name='xfce4-screensaver' version='1.0'><property name='x' type='string' value='&b;'/></channel>")
    desktop = _desktop(make_root({**XFCE_SESSION, "usr/bin/xfce4-screensaver": "", XFCONF: bomb}))
    assert any("DTD" in line for line in desktop["screen_lock"][0]["invalid"])

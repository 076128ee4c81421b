"""light-locker's X screen saver time set by `xset s` in the X session's start-up scripts (Debian's
/etc/X11/Xsession.d with ~/.xsessionrc, LightDM's lightdm-session with /etc/xprofile and ~/.xprofile), from fixture
roots in the scripts' real syntax: execution order, run-parts names, conditional lines, a person's own files,
autostart entries run after the scripts, and damaged or unreadable scripts that never raise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from secaudit.facts.linux.desktop_xsession import Setter, Source, script_events
from tests.unit.facts.linux.test_desktop import PEOPLE
from tests.unit.facts.linux.test_desktop_lockers import LL_AUTOSTART, LL_SCHEMA, LXDE, _ll

Root = Callable[[dict[str, Any]], Path]
# Debian's and Ubuntu's LightDM (/usr/share/lightdm/lightdm.conf.d/01_debian.conf): sessions run through Xsession
DEBIAN_LIGHTDM = {"usr/share/lightdm/lightdm.conf.d/01_debian.conf":
                  "# Debian specific defaults\n[Seat:*]\ngreeter-session=lightdm-greeter\ngreeter-hide-users=true\n"
                  "session-wrapper=/etc/X11/Xsession\n"}
SESSIOND = "etc/X11/Xsession.d"
# x11-common's scripts as Debian ships them (shortened where they do nothing here)
XSESSIONRC = ("# This file is sourced by Xsession(5), not executed.\n\n"
              "# Source user defined xsessionrc (locales and other environment variables)\n"
              "if [ -r \"$USERXSESSIONRC\" ]; then\n  . \"$USERXSESSIONRC\"\nfi\n")
PROCESS_ARGS = ("# This file is sourced by Xsession(5), not executed.\n\ncase $# in\n  0)\n    ;;\n  1)\n"
                "    case \"$1\" in\n      failsafe)\n        BASESTARTUP=x-terminal-emulator\n        ;;\n"
                "      *)\n        BASESTARTUP=$1\n        ;;\n    esac\n    ;;\n  *)\n"
                "    message \"unsupported number of arguments ($#); falling back to default session.\"\n"
                "    ;;\nesac\n")
DEBIAN = {**LXDE, **DEBIAN_LIGHTDM, f"{SESSIOND}/20x11-common_process-args": PROCESS_ARGS,
          f"{SESSIOND}/40x11-common_xsessionrc": XSESSIONRC, "etc/passwd": PEOPLE}


def test_xsession_d_in_name_order_with_each_persons_xsessionrc(make_root: Root) -> None:
    files = {**DEBIAN, f"{SESSIOND}/30school-blanking": "# school policy\nxset s 300 300\n",
             f"{SESSIOND}/90noblank.sh": "xset s off\n",  # not a run-parts name: Xsession does not source it
             "home/hocsinh/.xsessionrc": "export LANG=vi_VN.UTF-8\nxset s off -dpms\n",
             "home/giaovien/.xprofile": "xset s off\n"}  # lightdm-session's file: Debian's Xsession does not read it
    lock = _ll(make_root, files, {})
    assert (lock["idle_seconds"], lock["lock_after_seconds"], lock["determined"]) == (300, 305, True)
    assert lock["source"]["X screen saver"] == "/etc/X11/Xsession.d/30school-blanking:2 (xset s)"
    assert lock["default_applies"] is False
    mine, theirs = lock["users"]
    assert (mine["user"], mine["idle_seconds"], mine["lock_after_seconds"], mine["determined"]) == (
        "hocsinh", 0, None, True)
    assert mine["source"]["X screen saver"] == "/home/hocsinh/.xsessionrc:2 (xset s)"
    assert mine["file"] == "/home/hocsinh/.xsessionrc"
    assert (theirs["user"], theirs["lock_after_seconds"]) == ("giaovien", 305)
    # a script after 40x11-common_xsessionrc runs later: it wins over the person's own
    files[f"{SESSIOND}/60school-blanking"] = files.pop(f"{SESSIOND}/30school-blanking")
    lock = _ll(make_root, files, {})
    assert [u["lock_after_seconds"] for u in lock["users"]] == [305, 305]


def test_lightdm_session_reads_xprofile_not_xsession_d(make_root: Root) -> None:
    files = {**LXDE, "etc/passwd": PEOPLE, "etc/xprofile": "#!/bin/sh\nxset s 120\n",
             f"{SESSIOND}/30school-blanking": "xset s off\n",
             "home/giaovien/.xprofile": "xset s default\n"}  # the X server's own: Xorg's 10 minutes
    lock = _ll(make_root, files, {})
    assert (lock["lock_after_seconds"], lock["source"]["X screen saver"]) == (125, "/etc/xprofile:2 (xset s)")
    (theirs,) = lock["users"]
    assert (theirs["user"], theirs["lock_after_seconds"]) == ("giaovien", 605)
    files["etc/lightdm/lightdm.conf"] = "[Seat:*]\nsession-wrapper=/usr/local/bin/my-wrapper\n"
    assert _ll(make_root, files, {})["lock_after_seconds"] == 605  # another wrapper's scripts are not read


def test_conditional_xset_is_unknown_only_when_it_is_the_last(make_root: Root) -> None:
    for script in ("if [ -n \"$DISPLAY\" ]; then\n  xset s off\nfi\n", "[ -x /usr/bin/xset ] && xset s 60\n",
                   "noblank() {\n\txset s off\n}\n", "for d in :0 :1; do DISPLAY=$d xset s off; done\n",
                   "case \"$(hostname)\" in\n  lab-*) xset s 1800 ;;\nesac\n"):
        files = {**DEBIAN, f"{SESSIOND}/30school-blanking": "xset s 300\n", f"{SESSIOND}/80local": script}
        lock = _ll(make_root, files, {})
        assert (lock["idle_seconds"], lock["determined"]) == (None, False), script
        assert "/etc/X11/Xsession.d/80local:" in lock["source"]["X screen saver"]
        assert "not evaluated" in lock["source"]["X screen saver"]
        files[f"{SESSIOND}/90last"] = "xset s 240 || true\n"  # a later plain line decides
        assert _ll(make_root, files, {})["lock_after_seconds"] == 245, script


def test_autostart_entries_run_after_the_scripts(make_root: Root) -> None:
    files = {**DEBIAN, f"{SESSIOND}/30school-blanking": "xset s off\n",
             "etc/xdg/lxsession/LXDE/autostart": "@lxpanel --profile LXDE\n@xset s 600\n"}
    lock = _ll(make_root, files, {})
    assert (lock["lock_after_seconds"], lock["source"]["X screen saver"]) == (
        605, "/etc/xdg/lxsession/LXDE/autostart:2 (xset s)")


def test_script_syntax_read_as_the_shell_reads_it() -> None:
    text = ("# xset s off\nxset s \\\n  240 # four minutes\n( xset s 60 )\nxset -dpms\nxset s noblank\n"
            "function f {\n  xset s 1\n}\nxset q >/dev/null 2>&1; /usr/bin/xset s off &\n"
            "echo 'xset s 5'\nwhile read -r line; do :; done < /etc/hosts\n. /etc/X11/Xsession.d/extra\n")
    assert script_events(text, "/s", []) == [
        Setter(240, "/s:2", False), Setter(60, "/s:4", False), Setter(1, "/s:8", True),
        Setter(0, "/s:10", False), Source("/etc/X11/Xsession.d/extra", "/s:13")]


def test_damaged_and_unreadable_scripts_never_raise(make_root: Root) -> None:
    from tests.unit.facts.linux.test_desktop import _replay

    damaged = "fi\ndone\n}\nesac\n" * 3 + "xset s\nxset s 999999999999999999999\n"
    files = {**DEBIAN, f"{SESSIOND}/30broken": damaged, f"{SESSIOND}/31broken": "xset s 'unclosed\nxset s 5\n",
             "home/hocsinh/.xsessionrc": b"\xff\xfe\x00xset s \x00\n"}
    lock = _ll(make_root, files, {})
    assert any("quote is never closed" in line for line in lock["invalid"])
    assert (lock["idle_seconds"], lock["determined"]) == (None, False)  # more than X's 16-bit timeout
    assert "cannot take" in lock["source"]["X screen saver"]
    assert lock["users"][0]["user"] == "hocsinh"
    replayed = {"/" + k: v for k, v in {**DEBIAN, **dict([LL_AUTOSTART, LL_SCHEMA]),
                                        f"{SESSIOND}/30school-blanking": "xset s 300\n"}.items()}
    snap = _replay(replayed, [f"/{SESSIOND}/30school-blanking"])
    (lock,) = snap.table("desktop")["screen_lock"]
    assert (lock["determined"], lock["lock_after_seconds"]) == (False, None)
    assert "unreadable" in lock["source"]["light-locker"]


def test_idle_lock_check_judges_the_scripts_per_person(make_root: Root) -> None:
    from tests.conftest import facts_of, run_check

    files = {**DEBIAN, **dict([LL_AUTOSTART, LL_SCHEMA]), f"{SESSIOND}/30school-blanking": "xset s 300\n"}
    result = run_check("desktop.idle_lock", facts_of(make_root(files), only={"desktop"}), role="lab")
    assert (result.status, result.key) == ("pass", "pass_changeable") and "30school-blanking:1" in result.message["en"]
    files["home/hocsinh/.xsessionrc"] = "xset s off\n"
    result = run_check("desktop.idle_lock", facts_of(make_root(files), only={"desktop"}), role="lab")
    assert (result.status, result.key) == ("fail", "never_idle") and "LXDE (hocsinh)" in result.message["vi"]
    files["home/hocsinh/.xsessionrc"] = "[ -n \"$SSH_AUTH_SOCK\" ] || xset s off\n"
    result = run_check("desktop.idle_lock", facts_of(make_root(files), only={"desktop"}), role="lab")
    assert (result.status, result.key) == ("unknown", "undetermined") and "not evaluated" in result.message["en"]

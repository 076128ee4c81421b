"""system.security_updates_source on fixture roots: Debian and Ubuntu, one-line and deb822, disabled sources."""

from __future__ import annotations

from typing import Any

from tests.conftest import facts_of, run_check

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
UBUNTU = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n'
MAIN = "deb http://deb.debian.org/debian bookworm main\n"
SECURITY = "deb http://security.debian.org/debian-security bookworm-security main\n"


def result(make_root: Any, files: dict[str, Any], os_release: str = DEBIAN, **params: Any) -> Any:
    snap = facts_of(make_root({"etc/os-release": os_release, **files}), only={"update_sources", "host"})
    return run_check("system.security_updates_source", snap, params=params or None)


def test_debian_with_security_passes(make_root) -> None:
    res = result(make_root, {"etc/apt/sources.list": MAIN + SECURITY})
    assert res.status == "pass" and "bookworm-security (/etc/apt/sources.list:2)" in res.message["en"]


def test_debian_without_security_fails(make_root) -> None:
    # The case: only the release suite, in the one-line file.
    res = result(make_root, {"etc/apt/sources.list": MAIN})
    assert res.status == "fail" and res.key == "fail"
    assert "bookworm-security" in res.message["vi"] and "/etc/apt/sources.list:1" in res.message["en"]


def test_deb822_only_release_fails_and_with_security_passes(make_root) -> None:
    no_sec = ("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n"
              "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    files = {"etc/apt/sources.list.d/debian.sources": no_sec}
    assert result(make_root, files).status == "fail"
    with_sec = no_sec + ("\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n"
                         "Components: main\n")
    assert result(make_root, {"etc/apt/sources.list.d/debian.sources": with_sec}).status == "pass"


def test_disabled_security_fails_and_says_so(make_root) -> None:
    res = result(make_root, {"etc/apt/sources.list": MAIN + "#" + SECURITY})
    assert res.status == "fail" and res.key == "fail_disabled"
    deb822 = "Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\n" \
             "Components: main\nEnabled: no\n"
    res = result(make_root, {"etc/apt/sources.list": MAIN, "etc/apt/sources.list.d/security.sources": deb822})
    assert res.key == "fail_disabled"
    assert res.evidence["disabled_security"] == [
        "http://security.debian.org/debian-security bookworm-security (/etc/apt/sources.list.d/security.sources:1)"]


def test_deb_src_security_does_not_count(make_root) -> None:
    res = result(make_root, {"etc/apt/sources.list": MAIN + SECURITY.replace("deb ", "deb-src ", 1)})
    assert res.status == "fail"


def test_ubuntu_security_pocket(make_root) -> None:
    main = "deb http://vn.archive.ubuntu.com/ubuntu noble main restricted\n" \
           "deb http://vn.archive.ubuntu.com/ubuntu noble-updates main restricted\n"
    assert result(make_root, {"etc/apt/sources.list": main}, UBUNTU).status == "fail"
    sec = main + "deb http://security.ubuntu.com/ubuntu noble-security main restricted\n"
    assert result(make_root, {"etc/apt/sources.list": sec}, UBUNTU).status == "pass"


def test_security_for_another_release_fails_and_moving_suite_warns(make_root) -> None:
    old = SECURITY.replace("bookworm-security", "bullseye-security")
    res = result(make_root, {"etc/apt/sources.list": MAIN + old})
    assert res.status == "fail" and res.key == "fail_other_release"
    res = result(make_root, {"etc/apt/sources.list": MAIN + SECURITY.replace("bookworm-security", "stable-security")})
    assert res.status == "warn" and "bookworm-security" in res.message["en"]


def test_no_enabled_source_fails(make_root) -> None:
    res = result(make_root, {"etc/apt/sources.list": "# deb http://deb.debian.org/debian bookworm main\n"})
    assert res.status == "fail" and res.key == "fail_no_sources"


def test_unparsed_or_unreadable_is_unknown_never_pass(make_root) -> None:
    res = result(make_root, {"etc/apt/sources.list": MAIN + "deb http://security.debian.org/debian-security\n"})
    assert res.status == "unknown" and res.evidence["unparsed"] == ["/etc/apt/sources.list:2"]
    res = result(make_root, {"etc/apt/sources.list": MAIN,
                             "etc/apt/sources.list.d/x.sources": "Types: deb\nURIs: http://x\nEnabled: maybe\n"})
    assert res.status == "unknown"
    # A readable security source decides even when another file is broken.
    res = result(make_root, {"etc/apt/sources.list": MAIN + SECURITY,
                             "etc/apt/sources.list.d/x.sources": "garbage\n"})
    assert res.status == "pass"


def test_not_applicable_without_apt(make_root) -> None:
    snap = facts_of(make_root({"etc/os-release": 'ID=rocky\nVERSION_ID="9"\n', "etc/dnf/dnf.conf": "[main]\n"}),
                    only={"update_sources", "host"})
    assert run_check("system.security_updates_source", snap).status == "not_applicable"


def test_a_derivative_uses_its_base_codename(make_root) -> None:
    mint = 'ID=linuxmint\nVERSION_ID="22"\nVERSION_CODENAME=wilma\nUBUNTU_CODENAME=noble\n'
    sources = "deb http://packages.linuxmint.com wilma main upstream\n" \
              "deb http://archive.ubuntu.com/ubuntu noble main restricted\n" \
              "deb http://security.ubuntu.com/ubuntu/ noble-security main restricted\n"
    res = result(make_root, {"etc/apt/sources.list.d/official-package-repositories.list": sources}, mint)
    assert res.status == "pass" and "wilma / noble" in res.message["en"]


RASPBIAN = 'PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\nID=raspbian\nID_LIKE=debian\nVERSION_ID="12"\n' \
           'VERSION_CODENAME=bookworm\n'


def test_raspbian_security_fixes_come_in_its_release_suite(make_root) -> None:
    """32-bit Raspberry Pi OS: Raspbian has no -security suite, fixes go into bookworm itself."""
    raspbian = "deb http://raspbian.raspberrypi.com/raspbian/ bookworm main contrib non-free rpi\n"
    foundation = "deb http://archive.raspberrypi.com/debian/ bookworm main\n"
    res = result(make_root, {"etc/apt/sources.list": raspbian,
                             "etc/apt/sources.list.d/raspi.list": foundation}, RASPBIAN)
    assert res.status == "pass" and res.key == "pass_in_release" and "raspbian" in res.message["en"]
    # only the foundation's archive, or Raspbian commented out or for another release: not enough
    assert result(make_root, {"etc/apt/sources.list": "#" + raspbian,
                              "etc/apt/sources.list.d/raspi.list": foundation}, RASPBIAN).status == "fail"
    assert result(make_root, {"etc/apt/sources.list": raspbian.replace("bookworm", "bullseye")},
                  RASPBIAN).status == "fail"
    # a Debian host with a /raspbian-looking mirror path for another codename does not pass either
    assert result(make_root, {"etc/apt/sources.list": MAIN}).status == "fail"


def test_security_suite_under_debians_main_archive_fails(make_root) -> None:
    """Planted: bookworm-security added to the main archive's stanza: deb.debian.org/debian has no such suite."""
    bad = ("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates bookworm-security\n"
           "Components: main\n")
    res = result(make_root, {"etc/apt/sources.list.d/debian.sources": bad})
    assert (res.status, res.key) == ("fail", "fail_main_archive")
    assert "http://deb.debian.org/debian bookworm-security (/etc/apt/sources.list.d/debian.sources:1)" in \
        res.message["vi"]
    for good in ("deb http://security.debian.org/ bookworm-security main\n",
                 "deb http://mirror.example.vn/debian-security bookworm-security main\n"):
        assert result(make_root, {"etc/apt/sources.list": MAIN + good}).status == "pass", good
    ubuntu = ("deb http://vn.archive.ubuntu.com/ubuntu noble main\n"
              "deb http://vn.archive.ubuntu.com/ubuntu noble-security main\n")
    assert result(make_root, {"etc/apt/sources.list": ubuntu}, os_release=UBUNTU).status == "pass"

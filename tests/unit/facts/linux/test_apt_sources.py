"""apt's sources (update_sources): one-line and deb822 syntax, sources.list.d order and names, disabled entries."""

from __future__ import annotations

from secaudit.facts.linux.apt_sources import parse_list, parse_sources, pocket_of
from tests.conftest import facts_of

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'


def test_one_line_syntax() -> None:
    text = (
        "deb http://deb.debian.org/debian bookworm main non-free-firmware  # trailing comment\n"
        "# deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb [ arch=amd64,i386 signed-by=/usr/share/keyrings/x.gpg ] http://vn.archive.ubuntu.com/ubuntu"
        " jammy-security main\n"
        "deb cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_ - Official amd64 DVD Binary-1 20230610-10:23]/"
        " bookworm contrib main\n"
        "deb-src http://deb.debian.org/debian bookworm main\n"
        "deb file:/srv/mirror ./\n"
        "deb http://broken-line-without-suite\n"
        "# an ordinary comment\n\n"
        "deb [arch=amd64 http://unclosed bookworm main\n"
    )
    entries, bad = parse_list(text, "/etc/apt/sources.list")
    by_line = {e["source"].rsplit(":", 1)[1]: e for e in entries}
    assert by_line["1"]["components"] == ["main", "non-free-firmware"] and by_line["1"]["pocket"] == "release"
    assert by_line["2"]["enabled"] is False and by_line["2"]["disabled_by"] == "comment"
    assert by_line["2"]["pocket"] == "security" and by_line["2"]["codename"] == "bookworm"
    assert by_line["3"]["options"] == {"arch": "amd64,i386", "signed-by": "/usr/share/keyrings/x.gpg"}
    assert by_line["3"]["pocket"] == "security" and by_line["3"]["codename"] == "jammy"
    assert by_line["4"]["uri"].startswith("cdrom:[Debian GNU/Linux 12.0.0") and by_line["4"]["suite"] == "bookworm"
    assert by_line["5"]["type"] == "deb-src"
    assert by_line["6"]["suite"] == "./" and by_line["6"]["components"] == []
    assert bad == ["/etc/apt/sources.list:7", "/etc/apt/sources.list:10"]


def test_pockets() -> None:
    assert pocket_of("http://security.debian.org/debian-security", "bookworm-security") == "security"
    assert pocket_of("http://security.debian.org/", "buster/updates") == "security"  # Debian <= 10
    assert pocket_of("http://deb.debian.org/debian", "bookworm/updates") == "release"
    assert pocket_of("http://mirror.school.vn/debian-security", "bookworm-security") == "security"
    assert pocket_of("http://archive.ubuntu.com/ubuntu", "noble-security") == "security"
    assert pocket_of("http://archive.ubuntu.com/ubuntu", "noble-updates") == "updates"
    assert pocket_of("http://deb.debian.org/debian", "bookworm-backports") == "backports"
    assert pocket_of("http://notsecurity.debian.org.example/debian", "bookworm") == "release"


DEB822 = """# Modernized from /etc/apt/sources.list
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
# a comment inside the paragraph
Components: main
 contrib
signed-by:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD3K87ZM18gzyQZJD+w
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: http://security.debian.org/debian-security
Suites: bookworm-security
Components: main
Enabled: no

## Types: deb
## URIs: http://deb.debian.org/debian
## Suites: bookworm-backports
## Components: main

Types: deb
URIs: http://a http://b
Suites: bookworm
Components: main
Enabled: maybe

Types: deb
URIs: http://c
Components: main
"""


def test_deb822_syntax() -> None:
    entries, bad = parse_sources(DEB822, "/etc/apt/sources.list.d/debian.sources")
    first = [e for e in entries if e["source"].endswith(":2")]
    assert {(e["type"], e["suite"]) for e in first} == {("deb", "bookworm"), ("deb", "bookworm-updates"),
                                                       ("deb-src", "bookworm"), ("deb-src", "bookworm-updates")}
    assert first[0]["components"] == ["main", "contrib"] and first[0]["options"]["signed-by"] == "(inline key)"
    sec = next(e for e in entries if e["pocket"] == "security")
    assert sec["enabled"] is False and sec["disabled_by"] == "/etc/apt/sources.list.d/debian.sources:18: Enabled: no"
    back = next(e for e in entries if e["suite"] == "bookworm-backports")
    assert back["enabled"] is False and back["disabled_by"] == "comment"
    # Enabled: maybe and a paragraph without Suites are what apt refuses.
    assert bad == ["/etc/apt/sources.list.d/debian.sources:29", "/etc/apt/sources.list.d/debian.sources:31"]


def test_collector_reads_apt_order_and_skips_other_names(make_root) -> None:
    root = make_root({
        "etc/os-release": OS_RELEASE,
        "etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n",
        "etc/apt/sources.list.d/b.sources": "Types: deb\nURIs: http://security.debian.org/debian-security\n"
                                            "Suites: bookworm-security\nComponents: main\n",
        "etc/apt/sources.list.d/a.list": "deb http://deb.debian.org/debian bookworm-updates main\n",
        "etc/apt/sources.list.d/old.list.save": "deb http://x bookworm-security main\n",
        "etc/apt/sources.list.d/c.list.disabled": "deb http://y bookworm-security main\n",
    })
    table = facts_of(root, only={"update_sources"}).table("update_sources")
    assert table["manager"] == "apt"
    assert table["files"] == ["/etc/apt/sources.list", "/etc/apt/sources.list.d/a.list",
                              "/etc/apt/sources.list.d/b.sources"]
    assert [e["suite"] for e in table["entries"]] == ["bookworm", "bookworm-updates", "bookworm-security"]
    assert table["unparsed"] == []


def test_collector_follows_dir_etc_sourceparts(make_root) -> None:
    root = make_root({
        "etc/apt/apt.conf.d/99parts": 'Dir::Etc::SourceParts "/srv/apt/parts";\n',
        "etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n",
        "srv/apt/parts/sec.list": "deb http://security.debian.org/debian-security bookworm-security main\n",
    })
    table = facts_of(root, only={"update_sources"}).table("update_sources")
    assert table["files"] == ["/etc/apt/sources.list", "/srv/apt/parts/sec.list"]


def test_no_apt_is_not_applicable(make_root) -> None:
    snap = facts_of(make_root({"etc/os-release": 'ID=rocky\n', "etc/dnf/dnf.conf": "[main]\n"}),
                    only={"update_sources"})
    assert snap.unknown["update_sources"]["code"] == "not_applicable"


def test_unparsed_lines_are_unknown(make_root) -> None:
    root = make_root({"etc/apt/sources.list": "deb http://deb.debian.org/debian\n"})
    snap = facts_of(root, only={"update_sources"})
    assert snap.table("update_sources")["unparsed"] == ["/etc/apt/sources.list:1"]
    assert snap.unknown["update_sources.parse"]["detail"] == "/etc/apt/sources.list:1"

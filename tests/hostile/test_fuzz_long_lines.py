"""Issue 9: every parser of foreign text on 100 KB hostile lines, timed. A regex that backtracks
(a lazy group before optional whitespace, `<tag[^>]*` repeated without a closing `>`) or a string
grown piece by piece is quadratic: seconds at 100 KB, hours at the 4 MiB a config file may have.
Each case is shaped against the parser's own patterns; each must finish well under a second."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable

import pytest

from secaudit.facts.common import values
from secaudit.facts.linux import (
    antivirus,
    apt,
    hardware,
    host,
    interfaces,
    netfilter,
    ports,
    software,
    sshd_config,
    system,
    updates,
)
from secaudit.facts.linux.sources import osrelease, timezone
from secaudit.network import known, names, nmapscan, oui
from secaudit.sign import dsse
from tests.hostile.fuzzkit import MemTransport, context, timed

N = 100_000
LIMIT = 1.5  # seconds; each case takes milliseconds when linear


def _snaps(yaml: str) -> None:
    software._snaps(context(MemTransport({"/var/lib/snapd/snaps/core_1.snap": "",
                                           "/snap/core/current/meta/snap.yaml": yaml})))


def _flatpak(xml: str) -> None:
    share = "/var/lib/flatpak/app/a.b/current/active/files/share"
    software._flatpaks(context(MemTransport({f"{share}/metainfo/a.b.metainfo.xml": xml})))


def _ifupdown(text: str) -> None:
    interfaces.ifupdown_rows(context(MemTransport({"/etc/network/interfaces": text}, live=False)))


def _sshd(text: str) -> None:
    sshd_config.parse_sshd_config(MemTransport({"/etc/ssh/sshd_config": text}, live=False))


def _scan_log(text: str) -> None:
    antivirus.last_clamav_scan(context(MemTransport({"/var/log/clamav/scan.log": text})))


def _apt(text: str) -> None:
    apt.parse_apt_conf(text, "x", {})


def _nbstat(count: int) -> None:
    head = struct.pack(">HHHHHH", 1, 0x8400, 0, 1, 0, 0) + b"\x00" + struct.pack(">HHIH", 0x21, 1, 0, 0xFFFF)
    with contextlib.suppress(ValueError):
        names.parse_nbstat(head + bytes([count]) + b"A" * 18 * 255)


CASES: dict[str, Callable[[], object]] = {
    # (.+?)\s+release : spaces with no "release" after them
    "redhat-release spaces": lambda: osrelease.parse_redhat_release("a" + " " * N + "b"),
    "redhat-release words": lambda: osrelease.parse_redhat_release("a release " * (N // 10)),
    # ([^'"\n]+?)['"]?\s*$ : a value, a long run of blanks, then more text
    "snap.yaml version": lambda: _snaps("version: a" + " " * N + "b\n"),
    "snap.yaml many versions": lambda: _snaps("version: a \n" * (N // 12)),
    # <release\b[^>]* repeated with no '>' anywhere
    "flatpak release tags": lambda: _flatpak("<release " * (N // 9)),
    "flatpak developer tags": lambda: _flatpak("<developer <name " * (N // 17)),
    "flatpak version attrs": lambda: _flatpak('<release version="' * (N // 18)),
    # (base 16)\s*(.*?)\s*$ : a vendor, blanks, then more text
    "oui ieee vendor": lambda: oui.parse("000000 (base 16) a" + " " * N + "b\n"),
    "oui ieee lines": lambda: oui.parse("000000 (base 16)\t\tx\n" * (N // 20)),
    "oui nmap": lambda: oui.parse("0" * N + " v\n"),
    # ss: "(\"...\",pid=" with escapes and no end
    "ss users": lambda: ports.parse_ss('tcp LISTEN 0 1 0.0.0.0:22 0.0.0.0:* users:(("' + '\\"' * (N // 2) + "\n"),
    "ss many users": lambda: ports.parse_ss("tcp LISTEN 0 1 0.0.0.0:22 0.0.0.0:* " + '(("a",pid=1,' * (N // 14)),
    "ss ino": lambda: ports.parse_ss("tcp LISTEN 0 1 0.0.0.0:22 0.0.0.0:* " + "ino:" * (N // 4)),
    "fd listing": lambda: ports.parse_fd_listing("/proc/1/fd/" + "1" * N + " socket:[\n"),
    "proc net": lambda: ports.parse_proc_net(" 0: " + "0" * N + ":0016 0 0A 0 0 0 0 0 1\n", "tcp", "ipv4", "t"),
    # nft tokenizer: quotes, escapes, comments, continuations
    "nft quotes": lambda: netfilter.parse_nft_text('"' + "\\" * N, "t"),
    "nft unterminated quotes": lambda: netfilter.parse_nft_text('a "b' * (N // 4), "t"),
    "nft continuations": lambda: netfilter.parse_nft_text("a \\\n" * (N // 4), "t"),
    "nft braces": lambda: netfilter.parse_nft_text("table ip t { chain c { " + "{ " * (N // 2), "t"),
    "nft statements": lambda: netfilter.parse_nft_text("add rule ip t c drop;" * (N // 21), "t"),
    "iptables line": lambda: netfilter.parse_iptables("-A INPUT " + '"a" ' * (N // 4), "ip", "t"),
    "iptables quotes": lambda: netfilter.parse_iptables("-A INPUT " + '"' * N, "ip", "t"),
    "apt comment blocks": lambda: _apt("/*" * (N // 2)),
    "apt quotes": lambda: _apt('"' + "a" * N),
    "apt scopes": lambda: _apt("a { " * (N // 4)),
    # each #clear scanned every key; each statement joined the whole scope again (minutes at 1 MiB)
    "apt clears": lambda: _apt("".join(f'k{i} "1";' for i in range(N // 10)) + "#clear x;" * (N // 10)),
    "apt deep scope statements": lambda: _apt("a { " * (N // 8) + "x 1;" * (N // 8)),
    "apt long scope name": lambda: _apt("a" * (N // 2) + " { " + "x 1;" * (N // 8)),
    "apt history": lambda: apt.parse_apt_history("Commandline: " + "-o " * (N // 3), "h"),
    "updates-available": lambda: updates.parse_updates_available("1" * N + " updates can be applied immediately."),
    "apt interval": lambda: updates._interval_on("1" * N + "x"),
    "os-release quoting": lambda: osrelease.parse_os_release('A="' + '\\"' * (N // 2)),
    "os version dots": lambda: system.support_end({"ID": "debian", "VERSION_ID": "1." * N},
                                                  system.os_eol_table()),
    "kernel names": lambda: values.version_key("1a" * N),
    "ifupdown continuations": lambda: _ifupdown("iface a inet static\n" + "a \\\n" * N),
    "ifupdown words": lambda: _ifupdown("iface a inet static\n address " + "1 " * N),
    "sshd quotes": lambda: _sshd("Port " + "\\'" * N + "\n"),
    "sshd bad lines": lambda: _sshd('Port "\n' * (N // 2)),
    "sshd keyword": lambda: _sshd("a" * N + "=" * N + "\n"),
    "clam scan dates": lambda: _scan_log("SCAN SUMMARY\n" + "End Date:   2026:11:10 12:36:53\n" * (N // 10)),
    "clam scan blanks": lambda: _scan_log("SCAN SUMMARY\nEnd Date:" + " " * N + "\n"),
    "clam conf": lambda: antivirus.parse_clam_conf(" " * N + "x" + "\t" * N, "c"),
    "cpuinfo": lambda: hardware.parse_cpuinfo("flags : " + "a " * N),
    "hosts": lambda: host.hosts_fqdn("1.2.3.4 " + "pc05. " * (N // 6), "pc05"),
    "ip json": lambda: interfaces.parse_ip_json("[" + '{"ifname":"a","addr_info":[]},' * (N // 30) + "{}]"),
    "known csv": lambda: known.parse("mac\n" + ";" * N + "\n", "k"),
    "known mac": lambda: known.parse_mac("0" * N),
    "nbstat names": lambda: _nbstat(255),
    "nmap xml": lambda: nmapscan.timed_out_hosts("<a " + 'b="c" ' * (N // 6)),
    "dsse json": lambda: dsse.strict_loads(b'"' + b"\\ud800" * (N // 6) + b'"', "x", "x"),
    "dsse base64": lambda: dsse.b64decode_strict("A" * (N - 1) + "=", "payload"),
    "tzif": lambda: timezone.zone_from_tzif(b"TZif2" + b"\0" * 40 + b"A" * (64 * 1024 - 60) + b"\n"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_linear_on_long_hostile_lines(name: str) -> None:
    took = timed(lambda: _swallow(CASES[name]))
    assert took < LIMIT, f"{name}: {took:.2f} s on {N // 1000} KB"


def _swallow(fn: Callable[[], object]) -> None:
    """Refusing the input is fine (each parser's declared error); taking long is not."""
    with contextlib.suppress(ValueError, dsse.EnvelopeUnusable, known.KnownDevicesError):
        fn()

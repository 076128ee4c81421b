"""A real Debian 12 root, built by debootstrap once per test run (minbase + openssh-server, sudo, rsyslog,
logrotate, from the apt mirror this machine's own sources use), audited with `secaudit audit --root`: no
finding is an error, and no finding is contradicted by what the root's own tools say when run in it with
chroot (`sshd -T`, `getent`, login.defs as the root has it).

The root is kept under the temporary directory ($TMPDIR/secaudit-debootstrap/bookworm, a marker file once
complete) so a second run on the same machine reuses it. In CI a root that cannot be built fails the tests;
elsewhere they are skipped, saying why (not root, no debootstrap, no mirror reachable)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

pytestmark = pytest.mark.integration
SUITE = "bookworm"
PACKAGES = "openssh-server,sudo,rsyslog,logrotate"
FALLBACK_MIRROR = "http://deb.debian.org/debian"
MARKER = ".secaudit-debootstrap-complete"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"the debootstrap root cannot be built: {reason}")
    pytest.skip(f"the debootstrap root cannot be built: {reason}")


def machine_mirror(etc: Path = Path("/etc/apt")) -> str:
    """The Debian archive URI this machine's apt sources use (one-line and deb822 forms), not a security or
    updates pocket; the Debian default when none is found."""
    uris: list[str] = []
    one_line = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list"))]
    for path in one_line:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            m = re.match(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
            if m and not re.search(r"-(security|updates|backports)$", m.group(2)):
                uris.append(m.group(1))
    for path in sorted((etc / "sources.list.d").glob("*.sources")):
        try:
            stanzas = path.read_text(encoding="utf-8", errors="replace").split("\n\n")
        except OSError:
            continue
        for stanza in stanzas:
            fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, flags=re.M))
            if fields.get("Enabled", "yes").strip().lower() == "no" or "deb" not in fields.get("Types", "").split():
                continue
            suites = fields.get("Suites", "").split()
            if any(not re.search(r"-(security|updates|backports)$", s) for s in suites):
                uris.extend(fields.get("URIs", "").split())
    for uri in uris:
        if uri.startswith(("http://", "https://")) and "security" not in uri and uri.rstrip("/").endswith("debian"):
            return uri
    return FALLBACK_MIRROR


@pytest.fixture(scope="session")
def debian_root() -> Path:
    if sys.platform != "linux" or os.geteuid() != 0:
        _unavailable("debootstrap and chroot need root (run the tests as root)")
    debootstrap = shutil.which("debootstrap") or ("/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists()
                                                  else None)
    if debootstrap is None:
        _unavailable("debootstrap is not installed (scripts/system-deps.sh installs it)")
    root = Path(tempfile.gettempdir()) / "secaudit-debootstrap" / SUITE
    if not (root / MARKER).exists():
        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        mirror = machine_mirror()
        try:
            proc = subprocess.run([str(debootstrap), "--variant=minbase", f"--include={PACKAGES}", SUITE, str(root),
                                   mirror], capture_output=True, text=True, timeout=1800)
        except subprocess.TimeoutExpired:
            _unavailable(f"debootstrap from {mirror} took more than 30 minutes")
        if proc.returncode != 0:
            tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])[:400]
            _unavailable(f"debootstrap from {mirror} failed ({proc.returncode}): {tail}")
        (root / MARKER).write_text(mirror + "\n", encoding="utf-8")
    # sshd -T needs host keys and its privilege-separation directory
    subprocess.run(["chroot", str(root), "ssh-keygen", "-A"], check=True, capture_output=True, timeout=120)
    (root / "run" / "sshd").mkdir(parents=True, exist_ok=True)
    return root


def chroot(root: Path, *argv: str) -> str:
    proc = subprocess.run(["chroot", str(root), *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{argv}: {proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def report(debian_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("deb")
    out = tmp / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "secaudit", "audit", "--root", str(debian_root), "--no-sign", "--format", "json",
         "-o", str(out), "--playbook", "baseline", "--lang", "en"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "st")})
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def finding(report: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["check_id"] == cid)


def sshd_t(root: Path) -> dict[str, str]:
    text = chroot(root, "/usr/sbin/sshd", "-T", "-f", "/etc/ssh/sshd_config",
                  "-C", "user=root,host=localhost,addr=127.0.0.1")
    return {k.lower(): v for k, _, v in (line.partition(" ") for line in text.splitlines() if line)}


def test_the_root_is_debian_12_and_the_audit_has_no_error(report: dict[str, Any]) -> None:
    assert report["host"]["os"]["family"] == "linux"
    assert "12" in report["host"]["os"]["version"]
    assert report["mode"] == "root"
    errors = [(f["check_id"], f["message"]["en"]) for f in report["findings"] if f["status"] == "error"]
    assert errors == []
    assert report["summary"]["error"] == 0
    # a fresh root answered no attestation: its attested requirements are unknown, never pass or attested
    attested = {r for a in report["attestations"] for r in a["requirements"]}
    assert attested
    for req in report["requirements"]:
        if req["id"] in attested and not req["checks"]:
            assert req["status"] == "unknown", req["id"]


def test_ssh_findings_agree_with_sshd_T(debian_root: Path, report: dict[str, Any]) -> None:
    effective = sshd_t(debian_root)
    root_login = effective["permitrootlogin"].replace("without-password", "prohibit-password")
    f = finding(report, "ssh.permit_root_login")
    expected = {"no": "pass", "yes": "fail"}.get(root_login, "warn")
    assert f["status"] == expected, (root_login, f["message"]["en"])
    assert f["evidence"]["value"].replace("without-password", "prohibit-password") == root_login

    f = finding(report, "ssh.password_authentication")
    if effective["passwordauthentication"] == "yes":
        assert f["status"] in ("fail", "warn"), f["message"]["en"]
    else:
        assert f["status"] == "pass", f["message"]["en"]

    f = finding(report, "ssh.permit_empty_passwords")
    assert f["status"] == ("pass" if effective["permitemptypasswords"] == "no" else "fail"), f["message"]["en"]

    limits = [f for f in report["findings"] if f["check_id"] == "ssh.session_limits"]
    if limits and effective.get("clientaliveinterval") == "0" and effective.get("channeltimeout", "none") == "none":
        assert limits[0]["status"] != "pass", limits[0]["message"]["en"]


def test_account_findings_agree_with_getent_and_login_defs(debian_root: Path, report: dict[str, Any]) -> None:
    passwd = [line.split(":") for line in chroot(debian_root, "getent", "passwd").splitlines() if line]
    uid0 = [p[0] for p in passwd if p[2] == "0"]
    assert finding(report, "accounts.uid0_duplicates")["status"] == ("pass" if uid0 == ["root"] else "fail")

    shadow = [line.split(":") for line in chroot(debian_root, "getent", "shadow").splitlines() if line]
    empty = [s[0] for s in shadow if s[1] == ""]
    f = finding(report, "accounts.empty_passwords")
    assert (f["status"] == "pass") == (not empty), (empty, f["message"]["en"])

    login_defs = chroot(debian_root, "grep", "-E", r"^\s*PASS_MAX_DAYS", "/etc/login.defs").split()
    max_days = int(login_defs[1])
    f = finding(report, "accounts.password_max_age")
    if max_days >= 99999:  # Debian's default: passwords of new accounts never expire
        assert f["status"] == "fail", f["message"]["en"]
        assert "login.defs" in json.dumps(f["evidence"]), f["evidence"]

    # sudo as installed: only root's and %sudo's rules, no NOPASSWD, and nobody in the sudo group
    group = chroot(debian_root, "getent", "group", "sudo").strip().split(":")
    members = [m for m in group[3].split(",") if m] if len(group) > 3 else []
    assert finding(report, "accounts.sudo_nopasswd")["status"] == "pass"
    assert (finding(report, "accounts.admin_members")["status"] == "pass") == (not members)


def test_update_and_log_findings_agree_with_apt_and_logrotate(debian_root: Path, report: dict[str, Any]) -> None:
    # apt's own reading of the root's sources: a security suite or not
    suites = set(chroot(debian_root, "apt-get", "indextargets", "--format", "$(RELEASE)").split())
    assert suites, "apt lists no index target"
    f = finding(report, "system.security_updates_source")
    if not any(s.endswith("-security") for s in suites):
        assert f["status"] == "fail", f["message"]["en"]
    else:
        assert f["status"] != "fail", f["message"]["en"]

    # logrotate's own reading of its configuration (debug mode, nothing rotated): the longest a log is kept
    proc = subprocess.run(["chroot", str(debian_root), "logrotate", "-d", "/etc/logrotate.conf"],
                          capture_output=True, text=True, timeout=60)
    text = proc.stdout + proc.stderr  # -d writes what it would do on standard error
    period = {"daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
    kept: dict[str, int] = {}
    for block in re.finditer(r"rotating pattern: (.*?) (daily|weekly|monthly|yearly) \((\d+) rotations\)", text,
                             flags=re.S):
        for name in block.group(1).split():
            kept[name] = period[block.group(2)] * (int(block.group(3)) + 1)
    assert "/var/log/syslog" in kept, text[:400]
    retention = [f for f in report["findings"] if f["check_id"] == "logs.retention"]
    if retention and kept["/var/log/syslog"] < 90:  # rsyslog's stock weekly x 4: about a month
        assert retention[0]["status"] == "fail", retention[0]["message"]["en"]
        assert "/var/log/syslog" in json.dumps(retention[0]["evidence"])


def test_machine_mirror_reads_both_source_formats(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("# deb http://old.example/debian bookworm main\n"
                                           "deb http://security.example/debian-security bookworm-security main\n")
    assert machine_mirror(tmp_path) == FALLBACK_MIRROR
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n")
    assert machine_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://one.example/debian bookworm main\n")
    assert machine_mirror(tmp_path) == "http://one.example/debian"

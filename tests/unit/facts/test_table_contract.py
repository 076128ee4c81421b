"""The contract between the table specs and the collectors (osquery's validate_rows): for every (OS, table) with
an implementation, collect from the fixture roots and check every row against the spec, strictly: types,
required columns, enum values, and no column the spec does not give that OS. A Windows collector is done when
its cases here pass; until then they are skipped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secaudit.config import AgentConfig, BackupSet
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.facts.registry import COLLECTORS, load_collectors
from secaudit.facts.schema import table_problem
from secaudit.facts.tables import FAMILIES, families_of, tables
from secaudit.transport.local import LocalTransport
from tests.conftest import facts_of, write_tree
from tests.integration.test_planted_root import PLANTED
from tests.unit.accounts_fixtures import HASH, system
from tests.unit.facts.linux.inventory_samples import DPKG_STATUS, OS_RELEASE_UBUNTU
from tests.unit.facts.linux.test_antivirus import DPKG_CLAMAV, clamav_root
from tests.unit.facts.windows import samples as windows_samples

T0 = 1_763_500_000  # 2025-11-18


def _workstation(tmp: Path) -> Snapshot:
    """A Ubuntu lab PC: desktop, ClamAV, configured interfaces, nftables, LUKS, apt history, sshd Match blocks,
    sudo aliases and negations, faillock and pwquality."""
    files: dict[str, Any] = dict(clamav_root(lambda f: f))
    files.update(system({
        "etc/os-release": OS_RELEASE_UBUNTU,
        "etc/hostname": "pc05\n",
        "etc/hosts": "127.0.0.1 localhost\n192.168.1.15 pc05.thcs-abc.edu.vn pc05\n",
        "etc/timezone": "Asia/Ho_Chi_Minh\n",
        "var/lib/dpkg/status": DPKG_STATUS + "\n\n" + DPKG_CLAMAV,
        "usr/sbin/lightdm": "",
        "usr/share/xsessions/xfce.desktop": "[Desktop Entry]\n",
        "etc/network/interfaces": "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
                                  "    address 192.168.1.15/24\n    gateway 192.168.1.1\n",
        "etc/nftables.conf": "table inet filter {\n  chain input {\n    type filter hook input priority 0; "
                             "policy drop;\n    ct state established,related accept\n    tcp dport 22 accept\n"
                             "  }\n}\n",
        "etc/crypttab": "sda3_crypt UUID=1234 none luks,discard\ncswap /dev/sda2 /dev/urandom swap,plain\n",
        "var/log/apt/history.log": "\nStart-Date: 2026-11-01  08:00:00\nCommandline: apt-get upgrade\n"
                                   "Upgrade: bash:amd64 (5.1-6, 5.1-6ubuntu1)\nEnd-Date: 2026-11-01  08:00:30\n",
        "etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Update-Package-Lists "1";\n'
                                               'APT::Periodic::Unattended-Upgrade "1";\n',
        "etc/ssh/sshd_config": "Port 2222\nPermitRootLogin no\nPasswordAuthentication no\n"
                               "AuthenticationMethods publickey,password\nMatch User gv.*\n"
                               "  PasswordAuthentication yes\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n",
        "usr/sbin/sshd": "",
        "etc/sudoers.d/lab": ("User_Alias LAB = alice, bob\nHost_Alias HERE = ALL\n"
                              "LAB HERE = (root) NOPASSWD: /usr/bin/apt, /usr/bin/systemctl\n"
                              "ALL, !bob ALL = (postgres) ROLE=x /usr/bin/psql\n", 0o440),
        "etc/pam.d/common-auth": "auth required pam_faillock.so preauth deny=5 unlock_time=900\n"
                                 "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n"
                                 "auth required pam_faillock.so authfail deny=5 unlock_time=900\n"
                                 "auth required pam_permit.so\n",
        "etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3 minlen=14 ocredit=-1\n"
                                     "password required pam_pwhistory.so remember=5 use_authtok\n"
                                     "password [success=1 default=ignore] pam_unix.so obscure use_authtok\n"
                                     "password requisite pam_deny.so\npassword required pam_permit.so\n",
        "etc/shadow": ("root:*:20000:0:99999:7:::\nalice:" + HASH + ":0:0:90:7:30:20500:\nbob:!" + HASH
                       + ":20000:0:99999:7:::\n", 0o640),
    }))
    return facts_of(write_tree(tmp / "workstation", files))


def _backups(tmp: Path) -> Snapshot:
    root = write_tree(tmp / "backups", {
        "etc/passwd": "root:x:0:0:root:/root:/bin/bash\nbackup:x:34:34::/var/backups:/usr/sbin/nologin\n",
        "etc/group": "root:x:0:\nbackup:x:34:\n",
        "srv/backup/db-1.sql.gz": (b"\x1f\x8b" + b"a" * 98, 0o600),
        "srv/backup/db-2.sql.gz": (b"\x1f\x8b" + b"b" * 198, 0o644),
        "srv/daily/2025-11-18/hs.xlsx": "a" * 100,
        "srv/data/hs.xlsx": "a" * 100,
        "mnt/usb/db-1.sql.gz": b"\x1f\x8b" + b"a" * 98,
        "etc/restic.pass": ("secret\n", 0o640),
    })
    config = AgentConfig(role="server", state_dir="/var/lib/secaudit", backups=[
        BackupSet(name="CSDL", path="/srv/backup/db-*.sql.gz", source="/srv/data", offsite="/mnt/usb"),
        BackupSet(name="Tài liệu", path="/srv/daily", source="/srv/data"),
        BackupSet(name="Mất", path="/srv/nothing/db-*.gz"),
        BackupSet(name="Restic", kind="restic", path="/srv/restic", password_file="/etc/restic.pass"),
    ])
    return facts_of(root, config)


# (name, build) per OS. Windows: recordings replayed through the replay transport, once a collector exists.
FIXTURES: dict[str, list[tuple[str, Callable[[Path], Snapshot]]]] = {
    "linux": [
        ("planted root", lambda tmp: facts_of(write_tree(tmp / "planted", dict(PLANTED)))),
        ("accounts fixture", lambda tmp: facts_of(write_tree(tmp / "accounts", system()))),
        ("workstation root", _workstation),
        ("backup sets", _backups),
        ("empty root", lambda tmp: facts_of(write_tree(tmp / "empty", {"srv/x": ""}))),
        ("this machine", lambda tmp: collect(LocalTransport(), AgentConfig())),
    ],
    "windows": [
        ("windows probes (W2 sample)", lambda tmp: windows_samples.snapshot()),
        ("win11-healthy.json", lambda tmp: windows_samples.healthy_fixture()),
        ("windows backup sets", lambda tmp: windows_samples.with_backup_set()),
    ],
}
CASES = [(family, name) for family in FAMILIES for name, spec in sorted(tables().items())
         if family in spec.platforms and spec.implementations]


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, Snapshot]]]:
    tmp = tmp_path_factory.mktemp("contract")
    return {family: [(name, build(tmp)) for name, build in fixtures] for family, fixtures in FIXTURES.items()}


@pytest.mark.parametrize("family, table", CASES, ids=[f"{f}-{t}" for f, t in CASES])
def test_collector_output_follows_the_spec(snapshots: dict[str, list[tuple[str, Snapshot]]], family: str,
                                          table: str) -> None:
    spec = tables()[table]
    if family not in spec.implementations:
        pytest.skip(f"no {family.capitalize()} collector yet")
    seen = 0
    for name, snap in snapshots[family]:
        if table not in snap.tables:
            assert table in snap.unknown, f"{name}: {table} neither collected nor unknown"
            continue
        found = table_problem(spec, snap.tables[table], family, strict=True)
        assert found is None, f"{name}: {found.field} {found.en}"
        seen += len(snap.tables[table]) if isinstance(snap.tables[table], list) else 1
    assert seen, f"no fixture of {family} has a {table} row: add one"


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_keys_are_declared(snapshots: dict[str, list[tuple[str, Snapshot]]], family: str) -> None:
    """What collectors list under `unknown` is a table, a column, a declared part or a keyed row of a spec."""
    if not snapshots[family]:
        pytest.skip(f"no {family.capitalize()} collector yet")
    for name, snap in snapshots[family]:
        for key in snap.unknown:
            families = families_of(key)
            assert families is not None and family in families, f"{name}: unknown key {key!r} is not declared"


def test_implementations_are_the_registered_collectors() -> None:
    """A spec's `implementations:` names the function registered for that table and OS, and every registered
    collector is the implementation its tables' specs name (osquery's implementation binding)."""
    for family in FAMILIES:
        load_collectors(family)
    registered = {(c.family, table): c.target for c in COLLECTORS for table in c.tables}
    declared = {(family, name): target for name, spec in tables().items()
                for family, target in spec.implementations.items()}
    assert registered == declared

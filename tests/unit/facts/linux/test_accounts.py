from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from secaudit.facts.linux import logins
from secaudit.facts.linux.accounts import password_state
from secaudit.facts.linux.logins import LASTLOG_RECORD, pack_lastlog, parse_lastlog, parse_login_defs
from secaudit.facts.linux.utmp import BOOT_TIME, DEAD_PROCESS, USER_PROCESS, pack_record
from secaudit.transport.local import RootTransport
from tests.conftest import facts_of
from tests.unit.accounts_fixtures import HASH, PASSWD, days_ago, replay, shadow, system, today


def users_of(snap: Any) -> dict[str, dict[str, Any]]:
    return {u["name"]: u for u in snap.table("users")}


def test_password_states() -> None:
    assert password_state("") == "empty"
    assert password_state("!") == "locked"
    assert password_state("!!") == "locked"
    assert password_state("!" + HASH) == "locked"
    assert password_state("*LK*") == "locked"
    assert password_state("*") == "none"
    assert password_state("x") == "none"
    assert password_state(HASH) == "set"
    assert password_state("$y$j9T$abc$def") == "set"
    assert password_state("abcdefghijklm") == "set"  # traditional DES


def test_shadow_edge_cases_and_no_hash_in_snapshot(make_root) -> None:
    passwd = PASSWD + ("carol:x:1002:1002::/home/carol:/bin/bash\n"
                       "dave:x:1003:1003::/home/dave:/bin/bash\n"
                       "erin:x:1004:1004::/home/erin:/bin/bash\n"
                       "frank::1005:1005::/home/frank:/bin/sh\n"
                       "gina:x:1006:1006::/home/gina:/usr/sbin/nologin\n"
                       "hank:x:1007:1007::/home/hank:\n"
                       "ivan:x:1008:1008::/home/ivan:/bin/bash\n")
    t = today()
    extra = {"carol": f"carol:!{HASH}:{t - 5}:0:99999:7:::",
             "dave": f"dave:!!:{t - 5}::::::",
             "erin": f"erin::{t - 5}:0:99999:7:::",
             "gina": f"gina:{HASH}:{t - 5}:0:99999:7:::",
             "hank": f"hank:{HASH}:0:0:90:7:30::",
             "ivan": f"ivan:{HASH}:{t - 200}:0:90:7:10:{t - 1}:"}
    root = make_root(system({"etc/passwd": passwd, "etc/shadow": (shadow(extra), 0o640)}))
    snap = facts_of(root, only={"accounts"})
    u = users_of(snap)
    assert (u["alice"]["password_state"], u["alice"]["enabled"]) == ("set", True)
    assert (u["carol"]["password_state"], u["carol"]["enabled"]) == ("locked", False)
    assert u["carol"]["disabled_by"] == ["password_locked"]
    assert u["dave"]["password_state"] == "locked"
    assert (u["erin"]["password_state"], u["erin"]["enabled"]) == ("empty", True)
    assert u["frank"]["password_state"] == "empty"  # empty passwd field: shadow is not consulted
    assert (u["gina"]["interactive"], u["gina"]["enabled"]) == (False, False)
    assert u["hank"]["interactive"] is True  # an empty shell field means /bin/sh
    assert u["hank"]["password_change_required"] is True and u["hank"]["password_last_change"] is None
    assert u["hank"]["password_max_days"] == 90 and u["hank"]["password_inactive_days"] == 30
    assert set(u["ivan"]["disabled_by"]) == {"account_expired", "password_inactive"}
    assert u["ivan"]["account_expires"] is not None
    assert u["root"]["password_state"] == "none" and u["root"]["system"] is True
    assert u["root"]["admin_via"] == ["uid:0", "/etc/sudoers:2"]
    assert u["nobody"]["system"] is True  # above UID_MAX
    dumped = json.dumps(snap.to_dict())
    assert "$6$" not in dumped and "saltsalt" not in dumped


def test_groups_include_primary_members_and_users_list_groups(make_root) -> None:
    snap = facts_of(make_root(system()), only={"accounts"})
    groups = {g["name"]: g for g in snap.table("groups")}
    assert groups["alice"]["members"] == ["alice"]
    assert groups["sudo"]["members"] == ["alice"] and groups["sudo"]["admin"] is True
    assert groups["sudo"]["source"] == "/etc/group:3"
    assert users_of(snap)["alice"]["groups"] == ["alice", "sudo"]
    assert users_of(snap)["alice"]["source"] == "/etc/passwd:5"


def test_login_defs_uid_min_decides_system() -> None:
    defs = "# UID_MIN 1000\nUID_MIN   1001\n"
    u = users_of(replay(system({"etc/login.defs": defs})))
    assert u["alice"]["system"] is True and u["bob"]["system"] is False
    assert parse_login_defs('ENCRYPT_METHOD "YESCRYPT"\n', "/x") == {"ENCRYPT_METHOD": ("YESCRYPT", "/x:1")}


def test_unreadable_shadow_leaves_fields_absent() -> None:
    snap = replay(system(), denied=["/etc/shadow"])
    assert snap.unknown["users.password_state"]["code"] == "permission_denied"
    u = users_of(snap)
    assert "password_state" not in u["alice"] and "enabled" not in u["alice"]
    assert u["daemon"]["enabled"] is False  # nologin shell is known without shadow


def _lastlog(records: dict[int, int]) -> bytes:
    size = (max(records) + 1) * LASTLOG_RECORD
    data = bytearray(size)
    for uid, when in records.items():
        data[uid * LASTLOG_RECORD:(uid + 1) * LASTLOG_RECORD] = pack_lastlog(when, "pts/0", "10.0.0.5")
    return bytes(data)


def test_lastlog_binary_records(make_root) -> None:
    old = days_ago(50)
    data = _lastlog({0: days_ago(1), 1000: old})
    assert parse_lastlog(data, [1000, 1001, 5000])[1000].time == old
    root = make_root(system({"var/log/lastlog": data}))
    u = users_of(facts_of(root, only={"accounts"}))
    assert u["alice"]["last_login_source"] == "/var/log/lastlog"
    assert u["alice"]["last_login_from"] == "10.0.0.5"
    assert u["bob"]["last_login"] is None  # beyond the end of a sparse lastlog: never


def test_lastlog_read_stops_at_highest_needed_uid(make_root, monkeypatch) -> None:
    data = _lastlog({1000: days_ago(3), 60000: days_ago(2)})
    root = make_root(system({"var/log/lastlog": data}))
    limits: list[int | None] = []
    original = RootTransport.read_bytes

    def spy(self: RootTransport, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        if path == logins.LASTLOG:
            limits.append(limit)
        return original(self, path, limit, cap)

    monkeypatch.setattr(RootTransport, "read_bytes", spy)
    facts_of(root, only={"accounts"})
    assert limits == [1002 * LASTLOG_RECORD]  # bob (1001) is the highest interactive uid


def test_wtmp_newest_user_process_wins_over_older_lastlog(make_root) -> None:
    wtmp = (pack_record(BOOT_TIME, "reboot", "~", "6.1.0", days_ago(9))
            + pack_record(USER_PROCESS, "alice", "pts/1", "192.168.1.10", days_ago(8))
            + pack_record(USER_PROCESS, "alice", "pts/1", "192.168.1.11", days_ago(2))
            + pack_record(DEAD_PROCESS, "", "pts/1", "", days_ago(2)))
    root = make_root(system({"var/log/lastlog": _lastlog({1000: days_ago(40)}), "var/log/wtmp": wtmp}))
    u = users_of(facts_of(root, only={"accounts"}))
    assert u["alice"]["last_login_source"] == "/var/log/wtmp"
    assert u["alice"]["last_login_from"] == "192.168.1.11"


def _sqlite(path: Path, script: str) -> bytes:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_lastlog2_and_wtmpdb(make_root, tmp_path: Path) -> None:
    ll2 = _sqlite(tmp_path / "ll2.db",
                  "CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER NOT NULL, TTY TEXT, "
                  "RemoteHost TEXT, Service TEXT);"
                  f"INSERT INTO Lastlog2 VALUES ('alice', {days_ago(4)}, 'pts/0', '10.1.1.1', 'sshd');")
    wdb = _sqlite(tmp_path / "wtmp.db",
                  "CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, "
                  "Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);"
                  f"INSERT INTO wtmp VALUES (1, 1, 'reboot', {days_ago(1) * 1_000_000}, NULL, '~', '', '');"
                  f"INSERT INTO wtmp VALUES (2, 3, 'bob', {days_ago(3) * 1_000_000}, NULL, 'tty1', '', 'login');")
    root = make_root(system({"var/lib/lastlog/lastlog2.db": ll2, "var/lib/wtmpdb/wtmp.db": wdb,
                             "var/log/wtmp": None}))
    u = users_of(facts_of(root, only={"accounts"}))
    assert u["alice"]["last_login_source"] == "/var/lib/lastlog/lastlog2.db"
    assert u["bob"]["last_login_source"] == "/var/lib/wtmpdb/wtmp.db"
    assert u["bob"]["last_login"] is not None
    assert "reboot" not in u


def test_no_login_records_anywhere_is_unknown(make_root) -> None:
    snap = facts_of(make_root(system({"var/log/wtmp": None})), only={"accounts"})
    assert snap.unknown["users.last_login"]["code"] == "not_found"
    assert "last_login" not in users_of(snap)["alice"]


def test_damaged_database_does_not_break_collection(make_root) -> None:
    root = make_root(system({"var/lib/lastlog/lastlog2.db": b"not a database at all" * 100}))
    u = users_of(facts_of(root, only={"accounts"}))
    assert u["alice"]["last_login"] is None and u["alice"]["last_login_source"] == "/var/log/wtmp"

"""Snapshot validation against the table specs: what `evaluate --facts` refuses with one sentence, what it
leaves alone (columns it does not know), and the contract test's strict mode (an OS's columns only)."""

from __future__ import annotations

from typing import Any

import pytest

from secaudit.errors import SecauditError
from secaudit.facts.model import SCHEMA, Snapshot
from secaudit.facts.schema import problem, table_problem
from secaudit.facts.tables import tables
from secaudit.shapes import Mismatch

TIME = "2026-01-31T08:00:00Z"
USER = {"name": "an", "id": "1000", "uid": 1000, "enabled": True, "password_state": "set", "groups": ["users"],
        "last_login": TIME, "source": "/etc/passwd:3"}


def snap(**tables_: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "collected_at": TIME, "mode": "replay", **tables_}


def test_a_collected_shape_is_accepted() -> None:
    data = snap(users=[USER], host={"hostname": "pc", "os": {"family": "linux", "name": None}},
                file_modes=[{"path": "/etc/shadow", "mode": "0640", "owner": "root", "group": "shadow"}],
                remote_login={"ssh": {"present": True, "ports": [22], "source": {"port": "default"}}, "rdp": None})
    assert problem(data) is None
    assert Snapshot.from_dict(data).table("users") == [USER]


@pytest.mark.parametrize("change, field, en", [
    ({"users": [{**USER, "uid": "1000"}]}, "users[0].uid", "must be an integer"),
    ({"users": [{**USER, "uid": True}]}, "users[0].uid", "must be an integer"),
    ({"users": [{k: v for k, v in USER.items() if k != "name"}]}, "users[0].name", "is required"),
    ({"users": [{**USER, "password_state": "weird"}]}, "users[0].password_state",
     "must be one of set, empty, not_required, locked, none, unknown"),
    ({"users": [{**USER, "last_login": "yesterday"}]}, "users[0].last_login",
     "must be a time such as 2026-01-31T08:00:00Z or null"),
    ({"users": [{**USER, "enabled": None, "admin": None}]}, "users[0].admin", "must be true or false"),
    ({"users": {"an": USER}}, "users", "must be a list"),
    ({"host": [{"hostname": "pc"}]}, "host", "must be an object"),
    ({"host": {"os": {"family": 1}}}, "host.os.family", "must be a string"),
    ({"file_modes": [{"path": "/etc/shadow", "mode": "rw-r-----", "owner": "root", "group": "shadow"}]},
     "file_modes[0].mode", "must be an octal mode"),
    ({"system": {"os_support_end": "soon"}}, "system.os_support_end", "must be a date such as 2026-01-31 or null"),
    ({"remote_login": {"ssh": {"source": {"port": 22}}}}, "remote_login.ssh.source.port", "must be a string"),
    ({"backups": [{"set": "a", "path": "/b", "copies": [{"path": "/b/1"}]}]}, "backups[0].copies[0].time",
     "is required"),
    ({"family": "Linux!"}, "family", "must be an OS family name such as linux, windows"),
    ({"family": "windows", "host": {"os": {"family": "linux"}}}, "family", "differs from host.os.family"),
])
def test_a_malformed_table_is_one_sentence_naming_the_field(change: dict[str, Any], field: str, en: str) -> None:
    found = problem(snap(**change))
    assert found is not None and found.field == field and found.en.startswith(en), found
    with pytest.raises(SecauditError) as info:
        Snapshot.from_dict(snap(**change), "s.json")
    assert field in info.value.en and "\n" not in info.value.en


def test_loading_accepts_columns_it_does_not_know_and_every_os_columns() -> None:
    row = {**USER, "added_by_a_newer_agent": {"x": 1}, "sid": "S-1-5-21-1-2-3-1000", "rid": 1000}
    assert problem(snap(users=[row])) is None


def test_strict_mode_refuses_columns_the_os_does_not_have() -> None:
    users = tables()["users"]
    assert table_problem(users, [USER], "linux", strict=True) is None
    assert table_problem(users, [USER], "windows", strict=True) == Mismatch(
        "users[0].uid", "không được khai báo trong đặc tả bảng trên windows",
        "is not declared in the table spec for windows")
    found = table_problem(users, [{**USER, "colour": "red"}], "linux", strict=True)
    assert found is not None and found.field == "users[0].colour"
    nested = tables()["backups"]
    row = {"set": "a", "path": "/b", "copies": [{"path": "/b/1", "time": TIME, "mode": "0600"}]}
    assert table_problem(nested, [row], "linux", strict=True) is None
    found = table_problem(nested, [row], "windows", strict=True)
    assert found is not None and found.field == "backups[0].copies[0].mode"

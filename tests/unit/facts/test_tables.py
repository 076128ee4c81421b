"""The table specs (secaudit/facts/tables/*.yaml): every shipped spec loads, the format is enforced with errors
that name the file and the field, and fact keys resolve to the OSes that have them."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.facts.tables import FAMILIES, SpecError, families_of, load_table, parse_type, single_tables, tables

# Every table a snapshot may hold today: the collectors' tables and the network scan's.
TABLES = {"host", "users", "groups", "sudo_rules", "password_policy", "pam", "remote_login", "file_modes",
          "antivirus", "listening_ports", "firewall", "system", "software", "interfaces", "hardware", "backups",
          "devices", "known_devices", "agent_reports", "network_scan", "local_security", "smb_server", "windows_backup",
          "removable_media", "hardening", "logging", "update_sources", "desktop"}


def test_every_table_has_a_spec() -> None:
    specs = tables()
    assert set(specs) == TABLES
    for name, spec in specs.items():
        assert spec.name == name and spec.description.endswith(".") and spec.columns
        for col in spec.columns.values():
            assert col.doc, f"{name}.{col.name} has no doc"


def test_single_tables_come_from_the_specs() -> None:
    assert single_tables() == {"host", "password_policy", "remote_login", "firewall", "system", "hardware", "pam",
                               "network_scan", "local_security", "smb_server", "windows_backup",
                               "removable_media", "hardening", "logging", "update_sources", "desktop"}


def test_common_and_per_os_columns() -> None:
    users = tables()["users"]
    common = {"name", "id", "enabled", "interactive", "password_state", "password_last_change", "password_max_days",
              "last_login", "admin", "admin_via", "groups", "source"}
    assert common <= set(users.columns_on("windows")) and common <= set(users.columns_on("linux"))
    assert {"uid", "gid", "home", "shell", "disabled_by"} <= set(users.columns_on("linux"))
    assert not {"uid", "gid", "home", "shell", "disabled_by"} & set(users.columns_on("windows"))
    assert {"sid", "rid", "builtin", "password_required"} <= set(users.columns_on("windows"))
    assert users.columns["password_state"].type.values == ("set", "empty", "not_required", "locked", "none", "unknown")
    assert tables()["sudo_rules"].platforms == ("linux",) and tables()["pam"].platforms == ("linux",)
    assert tables()["firewall"].platforms == FAMILIES


@pytest.mark.parametrize("key, families", [
    ("users", FAMILIES), ("users.last_login", FAMILIES), ("users.uid", ("linux",)), ("users.sid", ("windows",)),
    ("sudo_rules", ("linux",)), ("sudo_rules.parse", ("linux",)), ("software.dpkg", FAMILIES),
    ("remote_login.ssh", FAMILIES), ("remote_login.ssh.permit_root_login", FAMILIES),
    ("remote_login.ssh.source.permit_root_login", FAMILIES),  # below a map: anything
    ("file_modes:/etc/shadow", ("linux",)), ("backups.copies.mode", ("linux",)), ("backups.copies.time", FAMILIES),
    ("users.nope", None), ("nope", None), ("users.name.x", None), ("host:pc", None), ("file_modes:", None),
])
def test_fact_keys_resolve_to_the_oses_that_have_them(key: str, families: tuple[str, ...] | None) -> None:
    assert families_of(key) == families


@pytest.mark.parametrize("text, shown", [("str", "str"), ("int?", "int?"), ("list[str]", "list[str]"),
                                         ("map[list[int]]?", "map[list[int]]?"), ("list[object]", "list[object]")])
def test_types(text: str, shown: str) -> None:
    assert parse_type(text, "x").text() == shown


BAD = [
    ("kind: rows\ncolumns: {a: {type: str, doc: d}}\n", "table must be 't'"),
    ("table: t\ndescription: No period\nkind: rows\ncolumns: {a: str}\n", "description must be a sentence"),
    ("table: t\ndescription: D.\nkind: many\ncolumns: {a: str}\n", "kind must be one of rows, object"),
    ("table: t\ndescription: D.\nkind: rows\n", "a table needs columns"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: float}\n", "t.yaml.columns.a.type: unknown type 'float'"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: {type: enum}}\n", "an enum needs a list of string values"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: {type: str, values: [x]}}\n", "only an enum has values"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: {type: str, columns: {b: str}}}\n",
     "only an object has columns"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: {type: str, required: yes please}}\n",
     "required: must be true or false"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: {type: str, optional: true}}\n", "unknown field 'optional'"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {A: str}\n", "must be lower_snake_case"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: str}\nlinux: {a: int}\n", "also declared as a common column"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: str}\nplatforms: [macos]\n", "platforms: must be a list of"),
    ("table: t\ndescription: D.\nkind: rows\nplatforms: [linux]\ncolumns: {a: str}\nwindows: {b: str}\n",
     "t.yaml.windows: inside columns of linux only"),
    ("table: t\ndescription: D.\nkind: rows\nplatforms: [linux]\ncolumns: {a: str}\n"
     "implementations: {windows: 'a.b:c'}\n", "implementations.windows: not one of the table's platforms"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: str}\nimplementations: {linux: collect}\n",
     "must be module:function"),
    ("table: t\ndescription: D.\nkind: object\ncolumns: {a: str}\nkey: a\n", "key must name a column of a rows table"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: str}\nunknown: {a: doc}\n", "unknown.a is a column already"),
    ("table: t\ndescription: D.\nkind: rows\ncolumns: {a: str}\ncolour: red\n", "unknown field 'colour'"),
]


@pytest.mark.parametrize("text, needle", BAD, ids=[b[1][:40] for b in BAD])
def test_a_malformed_spec_names_the_file_and_the_field(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_table(path)
    assert str(info.value).startswith("t.yaml") and needle in str(info.value)

"""shapes.check: parsed JSON against the TypedDicts that document it."""

from __future__ import annotations

from typing import Any, Literal, Required, TypedDict

import pytest

from secaudit import shapes


class Inner(TypedDict, total=False):
    port: int
    when: shapes.Time | None


class Row(TypedDict, total=False):
    name: Required[str]
    ratio: float
    on: bool
    kind: Literal["a", "b"]
    tags: list[str]
    extra: dict[str, int]
    inner: Inner
    mode: shapes.OctalMode
    day: shapes.Day
    anything: Any


class Total(TypedDict):
    code: str
    detail: str


@pytest.mark.parametrize("value", [
    {"name": "x"},
    {"name": "x", "ratio": 1, "on": False, "kind": "b", "tags": [], "extra": {"k": 0}, "inner": {"port": 0},
     "mode": "0640", "day": "2000-02-29", "anything": [{"z": None}], "undeclared": object()},
    {"name": "x", "inner": {"when": None}}, {"name": "x", "inner": {"when": "2026-01-31T08:00:00Z"}},
])
def test_good_values(value: dict[str, Any]) -> None:
    assert shapes.check(value, Row) is None


@pytest.mark.parametrize("value, field, en", [
    ({}, "name", "is required"),
    ({"name": 1}, "name", "must be a string"),
    ({"name": "x", "on": 1}, "on", "must be true or false"),
    ({"name": "x", "inner": {"port": True}}, "inner.port", "must be an integer"),
    ({"name": "x", "inner": {"port": 1.0}}, "inner.port", "must be an integer"),
    ({"name": "x", "ratio": "1"}, "ratio", "must be a number"),
    ({"name": "x", "kind": "c"}, "kind", "must be one of a, b"),
    ({"name": "x", "tags": ["a", 2]}, "tags[1]", "must be a string"),
    ({"name": "x", "extra": {"k": "v"}}, "extra.k", "must be an integer"),
    ({"name": "x", "inner": []}, "inner", "must be an object"),
    ({"name": "x", "inner": {"when": "2026-01-31 08:00"}}, "inner.when", "must be a time such as"),
    ({"name": "x", "inner": {"when": 5}}, "inner.when", "must be a time such as 2026-01-31T08:00:00Z or null"),
    ({"name": "x", "mode": "rwx"}, "mode", "octal mode"),
    ({"name": "x", "day": "2001-02-29"}, "day", "must be a date"),
])
def test_first_mismatch_names_the_field(value: dict[str, Any], field: str, en: str) -> None:
    found = shapes.check(value, Row)
    assert found is not None and found.field == field and en in found.en, found
    assert found.vi.startswith("phải là") or found.vi == "bắt buộc phải có"


def test_required_keys_are_seen_with_postponed_annotations() -> None:
    # `from __future__ import annotations` hides Required[...] from TypedDict itself
    assert Row.__required_keys__ == frozenset()
    assert shapes.check({}, Row) == shapes.Mismatch("name", "bắt buộc phải có", "is required")
    assert shapes.check({"code": "x"}, Total) == shapes.Mismatch("detail", "bắt buộc phải có", "is required")


def test_the_value_is_never_quoted() -> None:
    found = shapes.check({"name": "x", "tags": ["ok", {"password": "hunter2"}]}, Row)
    assert found is not None and "hunter2" not in found.en + found.vi + found.field


def test_where_prefixes_the_path() -> None:
    found = shapes.check([{"name": 1}], list[Row], "users")
    assert found is not None and found.field == "users[0].name"

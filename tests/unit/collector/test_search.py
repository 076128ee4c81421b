"""How a search term picks its field."""

from __future__ import annotations

import pytest

from secaudit.collector import search


@pytest.mark.parametrize(("q", "field"), [
    ("00-1A-2B-3C-4D-5E", "mac"), ("001a.2b3c.4d5e", "mac"), ("mac:00:1a:2b", "mac"), ("00:1a:2b", "mac"),
    ("10.0.3.7", "ip"), ("10.0.3.", "ip"), ("fd00::2", "ip"), ("ip:10.0", "ip"),
    ("3389", "port"), ("port:22", "port"), ("70000", "name"),
    ("sw:openssl@3.0", "software"), ("software:bash", "software"), ("av:kaspersky", "antivirus"),
    ("host:pc-01", "hostname"), ("openssl", "name"), ("PC-PHONGMAY-01", "name"), ("unknown:x", "name"),
])
def test_field_from_the_term(q: str, field: str) -> None:
    assert search.parse(q)[0] == field

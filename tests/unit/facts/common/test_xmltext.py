"""XML of the audited system is parsed without DTDs or entities."""

from __future__ import annotations

import pytest

from secaudit.facts.common import xmltext


def test_plain_xml_parses() -> None:
    root = xmltext.parse("<?xml version='1.0'?><zone target='DROP'><service name='ssh'/></zone>")
    assert root.get("target") == "DROP"


@pytest.mark.parametrize("text", [
    "<!DOCTYPE z [<!ENTITY a 'x'>]><zone>&a;</zone>",
    "<?xml version='1.0'?>\n<! doctype zone SYSTEM 'http://example.invalid/z.dtd'><zone/>",
    "<zone><!ENTITY a 'x'></zone>",
    "<zone",
])
def test_dtds_entities_and_broken_xml_are_parse_errors(text: str) -> None:
    with pytest.raises(xmltext.ParseError):
        xmltext.parse(text)

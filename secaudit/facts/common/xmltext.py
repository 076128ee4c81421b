"""XML of the audited system (firewalld zones, GSettings schemas, xfconf channels) parsed without a DTD.

None of those formats uses one; a document that declares a DTD or entities (an entity expansion bomb
planted in a configuration file) is refused before the parser sees it, like a syntax error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

ParseError = ET.ParseError
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse(text: str) -> ET.Element:
    """The root element of `text`; ParseError for malformed XML and for any DTD or entity declaration."""
    if _DTD.search(text):
        raise ParseError("a DTD or entity declaration is not accepted here")
    return ET.fromstring(text)

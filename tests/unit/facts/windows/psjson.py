"""Windows PowerShell 5.1's ConvertTo-Json, reproduced for building recordings in tests.

Windows PowerShell 5.1 serialises with .NET's JavaScriptSerializer (compact; `<`, `>`, `&` and `'` escaped as
\\u003c..; DateTime as "\\/Date(ms)\\/"; non-ASCII kept as is) and then re-indents the text with its own
formatter (ConvertToJsonCommand.ConvertToPrettyJsonString): CRLF line ends, 4-space steps, `"key":  value`
with two spaces, and the contents of an array or object that is a property value indented past the key
(`"IPAddress":  [` puts its items at the key's indentation + len('"IPAddress":  ') + 4). An empty array prints
as `[` CRLF CRLF `]`. This module writes exactly that, so fixtures and tests can build outputs the way a real
Windows PowerShell 5.1 prints them (verified by eye against published outputs, not against a live Windows).

`convert_to_json(value)` takes what the pipeline gives: one object prints an object, several an array (pass
a list), an empty pipeline prints nothing (pass `EMPTY`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

EMPTY = object()


class PSDate:
    """A .NET DateTime: serialised as "\\/Date(ms)\\/" (milliseconds since the epoch, UTC)."""

    def __init__(self, when: str | int) -> None:
        if isinstance(when, int):
            self.ms = when
        else:
            t = datetime.fromisoformat(when)
            if t.tzinfo is None:
                raise ValueError("a PSDate needs a zone (a local time converts to UTC when serialised)")
            self.ms = round(t.astimezone(UTC).timestamp() * 1000)

    def __repr__(self) -> str:
        return f"PSDate({self.ms})"


FILETIME_ZERO = PSDate(-11644473600000)  # 1601-01-01: "never" in DateTime fields from FILETIMEs

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
}


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def compact(value: Any) -> str:
    """JavaScriptSerializer's output for a value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, PSDate):
        return f'"\\/Date({value.ms})\\/"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(compact(v) for v in value) + "]"
    raise TypeError(f"not serialisable here: {type(value).__name__}")


def _quoted(s: str, i: int, out: list[str]) -> int:
    """Copy the string literal starting at s[i] (a quote); return the index of its closing quote."""
    j = i + 1
    while s[j] != '"':
        j += 2 if s[j] == "\\" else 1
    out.append(s[i : j + 1])
    return j


def _dict(s: str, i: int, out: list[str], pad: str, spaces: int) -> int:
    out.append("\r\n")
    new_pad = pad + " " * spaces + "    "
    before_key = True
    key_width = 0
    while i < len(s):
        c = s[i]
        if c == "{":
            out.append(c)
            i = _dict(s, i + 1, out, new_pad, key_width)
        elif c == "[":
            out.append(c)
            i = _list(s, i + 1, out, new_pad, key_width)
        elif c == "}":
            out.append("\r\n" + pad + " " * spaces + "}")
            return i
        elif c == '"':
            if before_key:
                out.append(new_pad)
            end = _quoted(s, i, out)
            if before_key:
                key_width = end - i + 1 + 3  # the quoted key, the colon and two spaces
            i = end
        elif c == ":":
            out.append(":  ")
            before_key = False
        elif c == ",":
            out.append(",\r\n")
            before_key = True
        else:
            out.append(c)
        i += 1
    raise ValueError("unterminated object")


def _list(s: str, i: int, out: list[str], pad: str, spaces: int) -> int:
    out.append("\r\n")
    new_pad = pad + " " * spaces + "    "
    head = True
    while i < len(s):
        c = s[i]
        if c == "{":
            out.append(new_pad + c)
            i = _dict(s, i + 1, out, new_pad, 0)
            head = False
        elif c == "[":
            out.append(new_pad + c)
            i = _list(s, i + 1, out, new_pad, 0)
            head = False
        elif c == "]":
            out.append("\r\n" + pad + " " * spaces + "]")
            return i
        elif c == '"':
            if head:
                out.append(new_pad)
            i = _quoted(s, i, out)
            head = False
        elif c == ",":
            out.append(",\r\n")
            head = True
        else:
            if head:
                out.append(new_pad)
            out.append(c)
            head = False
        i += 1
    raise ValueError("unterminated array")


def pretty(text: str) -> str:
    """ConvertToPrettyJsonString: re-indent compact JSON the way Windows PowerShell 5.1 does."""
    out: list[str] = []
    if text.startswith("{"):
        out.append("{")
        _dict(text, 1, out, "", 0)
    elif text.startswith("["):
        out.append("[")
        _list(text, 1, out, "", 0)
    else:
        return text
    return "".join(out)


def convert_to_json(value: Any) -> str:
    """What `... | ConvertTo-Json` prints, as collect.ps1 records it (followed by CRLF, as Out-String ends a
    line); the empty pipeline prints nothing."""
    if value is EMPTY:
        return ""
    return pretty(compact(value)) + "\r\n"


def cim_instance(
    props: dict[str, Any], namespace: str, class_name: str, server: str, qualifiers: str = "dynamic = True"
) -> dict[str, Any]:
    """A CimInstance piped straight into ConvertTo-Json (no Select-Object): its CIM properties, then
    PSComputerName and the .NET properties CimClass, CimInstanceProperties and CimSystemProperties, with the
    default -Depth 2 turning the third level into strings ("Name = \\"value\\"", a null as the bare name)."""

    def shown(name: str, v: Any) -> str:
        if v is None:
            return name
        if isinstance(v, bool):
            return f"{name} = {v}"
        if isinstance(v, PSDate):
            t = datetime.fromtimestamp(v.ms / 1000, UTC)
            return f"{name} = {t.month}/{t.day}/{t.year} {t.strftime('%I:%M:%S %p').lstrip('0')}"
        if isinstance(v, str):
            return f'{name} = "{v}"'
        return f"{name} = {v}"

    return {
        **props,
        "PSComputerName": None,
        "CimClass": {
            "CimSuperClassName": None,
            "CimSuperClass": None,
            "CimClassProperties": " ".join(props),
            "CimClassQualifiers": qualifiers,
            "CimClassMethods": "",
            "CimSystemProperties": "Microsoft.Management.Infrastructure.CimSystemProperties",
        },
        "CimInstanceProperties": [shown(k, v) for k, v in props.items()],
        "CimSystemProperties": {"Namespace": namespace, "ServerName": server, "ClassName": class_name, "Path": None},
    }


def sid(value: str) -> dict[str, Any]:
    """A SecurityIdentifier at the second level (Get-LocalUser's SID): BinaryLength, AccountDomainSid (the
    third level, a string) and Value."""
    parts = value.split("-")
    sub = len(parts) - 3
    domain = "-".join(parts[:-1]) if value.startswith("S-1-5-21-") and sub == 5 else None
    return {"BinaryLength": 8 + 4 * sub, "AccountDomainSid": domain, "Value": value}

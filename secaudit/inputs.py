"""Reading our own input files (config, playbooks, hosts, state files, snapshots, CSVs, reports): regular
files only, under a cap, decoded and parsed with a nesting limit. Every failure is one bilingual sentence
that names the file (and the line or field), raised as the caller's SecauditError class.

`what` is the key of an `input.what.*` label in the messages ("config", "state", "snapshot" ...).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from secaudit import limits
from secaudit.errors import SecauditError
from secaudit.fsutil import NotRegularFile, TooLarge, read_capped
from secaudit.i18n import LANGS, t


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def error(kind: type[SecauditError], key: str, what: str, path: str | Path, **args: Any) -> SecauditError:
    """A SecauditError of class `kind` from message `key`, with the file's label and path filled in.
    Arguments given as {"vi": ..., "en": ...} are taken per language."""
    texts = []
    for lang in LANGS:
        values = {k: (v[lang] if isinstance(v, dict) else v) for k, v in args.items()}
        texts.append(_sentence(t(key, lang, what=t(f"input.what.{what}", lang), path=str(path), **values)))
    return kind(*texts)


def field_error(kind: type[SecauditError], what: str, path: str | Path, field: str, vi: str,
                en: str) -> SecauditError:
    """'<File> <path>, field '<field>': <problem>.' — for values of the wrong type, range or shape."""
    return error(kind, "input.field", what, path, field=field, problem={"vi": vi, "en": en})


def read_bytes(path: str | Path, cap: int, what: str, kind: type[SecauditError] = SecauditError,
               passthrough: tuple[type[OSError], ...] = (FileNotFoundError,)) -> bytes:
    """The file's bytes. The `passthrough` errors (a missing file) reach the caller untouched, for it
    to decide whether they mean defaults; every other failure is a sentence."""
    try:
        return read_capped(path, cap)
    except passthrough:
        raise
    except NotRegularFile:
        raise error(kind, "input.not_regular", what, path) from None
    except TooLarge:
        raise error(kind, "input.too_large", what, path, cap=limits.mib(cap)) from None
    except OSError as exc:
        raise error(kind, "input.unreadable", what, path, error=exc.strerror or type(exc).__name__) from None


def missing(kind: type[SecauditError], what: str, path: str | Path) -> SecauditError:
    return error(kind, "input.missing", what, path)


def decode(raw: bytes, path: str | Path, what: str, kind: type[SecauditError] = SecauditError,
           encoding: str = "utf-8") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(kind, "input.not_utf8", what, path, line=line) from None


def read_text(path: str | Path, cap: int, what: str, kind: type[SecauditError] = SecauditError,
              encoding: str = "utf-8") -> str:
    return decode(read_bytes(path, cap, what, kind), path, what, kind, encoding)


def too_deep(data: Any, limit: int = limits.NESTING) -> bool:
    """Whether lists/dicts nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json(text: str | bytes, path: str | Path, what: str, kind: type[SecauditError] = SecauditError) -> Any:
    if isinstance(text, bytes):
        text = decode(text, path, what, kind)
    try:
        data = json.loads(text)
    except RecursionError:
        raise error(kind, "input.too_deep", what, path, limit=limits.NESTING) from None
    except json.JSONDecodeError as exc:  # the message names the construct, never the file's text
        raise error(kind, "input.bad_syntax", what, path, format="JSON", line=exc.lineno, problem=exc.msg) from None
    except ValueError:  # int() refuses a number of more than 4300 digits
        raise error(kind, "input.bad_syntax", what, path, format="JSON", line="?",
                    problem="number too long") from None
    if too_deep(data):
        raise error(kind, "input.too_deep", what, path, limit=limits.NESTING)
    return data


def parse_toml(text: str, path: str | Path, what: str, kind: type[SecauditError] = SecauditError) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise error(kind, "input.too_deep", what, path, limit=limits.NESTING) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's messages name the construct, never the file's text: "Unclosed array (at line 3, column 7)"
        problem, _, where = str(exc).partition(" (at line ")
        line = where.split(",", 1)[0] if where else "?"
        raise error(kind, "input.bad_syntax", what, path, format="TOML", line=line, problem=problem) from None
    except ValueError:  # int() refuses a number of more than 4300 digits
        raise error(kind, "input.bad_syntax", what, path, format="TOML", line="?",
                    problem="number too long") from None
    if too_deep(data):
        raise error(kind, "input.too_deep", what, path, limit=limits.NESTING)
    return data


def load_json(path: str | Path, cap: int, what: str, kind: type[SecauditError] = SecauditError) -> Any:
    return parse_json(read_bytes(path, cap, what, kind), path, what, kind)


def load_toml(path: str | Path, cap: int, what: str, kind: type[SecauditError] = SecauditError) -> dict[str, Any]:
    return parse_toml(read_text(path, cap, what, kind), path, what, kind)


def corrupt(kind: type[SecauditError], what: str, path: str | Path, vi: str, en: str) -> SecauditError:
    """A state file that cannot be used: the sentence says it was left untouched (nothing is lost)."""
    return error(kind, "input.corrupt_kept", what, path, problem={"vi": vi, "en": en})


def load_state(path: str | Path, what: str = "state", kind: type[SecauditError] = SecauditError,
               cap: int = limits.STATE_FILE) -> Any:
    """One of our JSON state files: None when it does not exist. A damaged one raises (callers then never
    write over it); its shape is the caller's to check, with `corrupt` for the error."""
    try:
        raw = read_bytes(path, cap, what, kind)
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        deep = too_deep(data)
    except UnicodeDecodeError:
        raise corrupt(kind, what, path, "không phải văn bản UTF-8", "not UTF-8 text") from None
    except RecursionError:
        deep = True
    except json.JSONDecodeError as exc:
        raise corrupt(kind, what, path, f"JSON hỏng ở dòng {exc.lineno}: {exc.msg}",
                      f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except ValueError:  # a number of more than 4300 digits
        raise corrupt(kind, what, path, "có số quá dài", "a number is too long") from None
    if deep:
        raise corrupt(kind, what, path, f"lồng nhau quá sâu (hơn {limits.NESTING} cấp)",
                      f"nested too deeply (more than {limits.NESTING} levels)")
    return data

"""syslog-ng's configuration text as tokens (syslog_ng.py reads the statements): words, quoted strings
(double-quoted with escapes, single-quoted without), the punctuation `{}();`, `@` lines whole, `#` comments
outside strings dropped; and the partner of each bracket, found once for all."""

from __future__ import annotations

from dataclasses import dataclass

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "v": "\v", "b": "\b", "f": "\f"}
PUNCT = "{}();"


@dataclass(frozen=True)
class Token:
    kind: str  # word, str (quoted), punct, pragma (the rest of an @ line)
    value: str
    line: int
    idx: int = 0  # position among every token read, so that a bracket's partner is found in one lookup


def tokenize(text: str, first: int = 0) -> tuple[list[Token], list[int]]:
    """Tokens of a file (numbered from `first`) and the lines of an unterminated string (whose text runs to the
    end of the file)."""
    tokens: list[Token] = []
    bad: list[int] = []
    i, n, line = 0, len(text), 1
    at_line_start = True
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if ch.isspace():  # every space the word loop below stops at (\x1c-\x1f, \x85, U+2028 too)
            i += 1
            continue
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "@" and at_line_start:
            end = text.find("\n", i)
            end = n if end < 0 else end
            tokens.append(Token("pragma", strip_comment(text[i:end]), line, first + len(tokens)))
            i = end
            continue
        at_line_start = False
        if ch in PUNCT:
            tokens.append(Token("punct", ch, line, first + len(tokens)))
            i += 1
            continue
        if ch in "\"'":
            value, j, lines = quoted(text, i)
            if j < 0:
                bad.append(line)
                break
            tokens.append(Token("str", value, line, first + len(tokens)))
            line += lines
            i = j
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in PUNCT and text[j] not in "\"'#":
            if text[j] == "`":  # a backtick reference is one piece of the word
                close = text.find("`", j + 1)
                j = n if close < 0 else close + 1
                continue
            j += 1
        j = max(j, i + 1)  # always move on: a loop that does not advance would fill the memory
        tokens.append(Token("word", text[i:j], line, first + len(tokens)))
        line += text.count("\n", i, j)
        i = j
    return tokens, bad


def quoted(text: str, start: int) -> tuple[str, int, int]:
    """(value, index after the closing quote or -1, newlines crossed) of a quoted string at `start`."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1, text.count("\n", start, i)
        if ch == "\\" and quote == '"' and i + 1 < len(text):  # single-quoted strings have no escapes
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), -1, 0


def strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].strip()
    return line.strip()


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner, end, _ = quoted(value, 0)
        return inner if end == len(value) else value[1:-1]
    return value


def pairs(tokens: list[Token]) -> dict[int, int]:
    """idx of each `(` and `{` -> idx of the `)` or `}` closing it (parentheses and braces counted apart)."""
    out: dict[int, int] = {}
    stacks: dict[str, list[int]] = {"(": [], "{": []}
    for t in tokens:
        if t.kind != "punct":
            continue
        if t.value in stacks:
            stacks[t.value].append(t.idx)
        elif t.value in ")}":
            stack = stacks["(" if t.value == ")" else "{"]
            if stack:
                out[stack.pop()] = t.idx
    return out

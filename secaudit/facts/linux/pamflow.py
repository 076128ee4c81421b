"""What a PAM stack does with one attempt: Linux-PAM's dispatch loop (libpam/pam_dispatch.c) replayed.

A stack is a list of nodes: module lines, substacks (a jump cannot leave one, and `done` or `die`
inside ends only the substack) and lines libpam makes fail (an include it cannot open). `include`
and `@include` are inlined by the caller, as libpam does, so jumps count the included lines.
Which code each module returns is the caller's scenario; this module only applies the controls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

# libpam's _pam_token_returns, in its order (the order matters: names are matched as prefixes).
RETURNS = ("success", "open_err", "symbol_err", "service_err", "system_err", "buf_err", "perm_denied",
           "auth_err", "cred_insufficient", "authinfo_unavail", "user_unknown", "maxtries", "new_authtok_reqd",
           "acct_expired", "session_err", "cred_unavail", "cred_expired", "cred_err", "no_module_data", "conv_err",
           "authtok_err", "authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging", "try_again",
           "ignore", "abort", "authtok_expired", "module_unknown", "bad_item", "conv_again", "incomplete")
_WORDS = ("ignore", "ok", "done", "bad", "die", "reset")
MUST_FAIL = "perm_denied"  # PAM_MUST_FAIL_CODE
Action = str | int  # a word above, or a jump over that many lines
Actions = dict[str, Action]


class Line(Protocol):
    @property
    def control(self) -> str: ...


@dataclass(frozen=True)
class Sub:
    """A `substack` line and the lines of the stack it names."""

    lines: tuple[object, ...]
    source: str


@dataclass(frozen=True)
class MustFail:
    """What libpam installs for an include or substack it cannot open: every attempt fails here."""

    source: str
    target: str


def _bracket(body: str) -> Actions | None:
    """`value=action ...` as libpam's _pam_parse_control reads it; None on a syntax error."""
    out: Actions = {}
    default: Action | None = None
    i, n = 0, len(body)
    while True:
        while i < n and body[i] in " \t\n\r\f\v":
            i += 1
        if i >= n:
            break
        name = next((r for r in (*RETURNS, "default") if body.startswith(r, i)), None)
        if name is None:
            return None
        i += len(name)
        if i >= n or body[i] != "=":
            return None
        i += 1
        act: Action
        word = next((w for w in _WORDS if body.startswith(w, i)), None)
        if word is not None:
            act, i = word, i + len(word)
        else:
            j = i
            while j < n and body[j] in "0123456789":
                j += 1
            if j == i or j - i > 9 or int(body[i:j]) == 0:
                return None  # no number, one libpam would overflow on, or a jump of 0
            act, i = int(body[i:j]), j
        if name == "default":
            default = act if default is None else default  # fills only what is unset so far
        else:
            out[name] = act  # explicit values win over `default`, wherever it stands
    return {r: out.get(r, default if default is not None else "bad") for r in RETURNS}


@lru_cache(maxsize=1024)
def actions(control: str) -> Actions:
    """The action for each return code of a control field (keywords are case-insensitive)."""
    word = control.lower()
    simple = {"required": ("ok", "ignore", "bad"), "requisite": ("ok", "ignore", "die"),
              "optional": ("ok", "ignore", "ignore"), "sufficient": ("done", "ignore", "ignore")}
    if word in simple:
        on_success, on_ignore, other = simple[word]
        table: Actions = {r: other for r in RETURNS}
        table.update(success=on_success, new_authtok_reqd=on_success)
        if word in ("required", "requisite"):
            table["ignore"] = on_ignore
        return table
    body = control
    if body.startswith("["):
        end = body.find("]")
        body = body[1:end] if end > 0 else body[1:]
    parsed = _bracket(body)
    return parsed if parsed is not None else {r: "bad" for r in RETURNS}


@dataclass
class Outcome:
    success: bool
    executed: list[object]  # module lines reached, in order


def run(nodes: list[object] | tuple[object, ...], returns: Callable[[object], str]) -> Outcome:
    """Dispatch one attempt through `nodes`; `returns(line)` is what the line's module answers."""
    state = {"impression": "undef", "status": MUST_FAIL}
    executed: list[object] = []

    def level(items: list[object] | tuple[object, ...]) -> None:
        saved = dict(state)  # what `reset` restores: the state on entering this (sub)stack
        i = 0
        while i < len(items):
            node = items[i]
            table: Actions
            if isinstance(node, Sub):
                level(node.lines)
                i += 1
                continue
            if isinstance(node, MustFail):
                code, table = MUST_FAIL, {r: "bad" for r in RETURNS}
            else:
                executed.append(node)
                code = returns(node)
                code = code if code in RETURNS else MUST_FAIL
                table = actions(str(getattr(node, "control", "")))
            act = table[code]
            if act == "reset":
                state.update(saved)
            elif act in ("ok", "done"):
                if code != "ignore" and (state["impression"] == "undef" or (
                        state["impression"] == "positive" and state["status"] == "success")):
                    state.update(impression="positive", status=code)
                if act == "done" and state["impression"] == "positive":
                    return
            elif act in ("bad", "die"):
                if state["impression"] != "negative":
                    state.update(impression="negative", status=MUST_FAIL if code == "ignore" else code)
                if act == "die":
                    return
            elif isinstance(act, int):
                room = len(items) - 1 - i
                if act > room:  # "bad jump in stack": past the end of this (sub)stack
                    state.update(impression="negative", status=MUST_FAIL)
                i += min(act, room)
            i += 1

    level(nodes)
    return Outcome(state["impression"] == "positive" and state["status"] == "success", executed)

"""Run the checks a playbook needs against a snapshot. One check failing never stops the others."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from secaudit.checks import load_checks
from secaudit.checks.base import Check, Env, Outcome
from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.facts.tables import families_of
from secaudit.i18n import LANGS, REASON, STATUS, both, render
from secaudit.i18n.messages import MESSAGES
from secaudit.timefmt import parse_rfc3339
from secaudit.workers import run_all


@dataclass
class Result:
    check_id: str
    status: str
    message: dict[str, str]
    evidence: dict[str, Any]
    key: str = ""  # the outcome's message key; "" when the engine decided (precondition, error)
    counts_as: str = ""  # a finding folded into another (depends_on): the status it had, which requirements count

    @property
    def requirement_status(self) -> str:
        return self.counts_as or self.status


def effective_role(snapshot: Snapshot, config: AgentConfig) -> str:
    if config.role != "auto":
        return config.role
    guessed = snapshot.table("host").get("role")
    return guessed if guessed in ("server", "workstation", "lab") else "workstation"


def _reason(code: str, detail: str) -> dict[str, str]:
    template = REASON.get(code, REASON["error"])
    return both(template, {"detail": detail})


def _os_name(family: str) -> str:
    return {"linux": "Linux", "windows": "Windows"}.get(family, family)


def _precondition(chk: Check, snapshot: Snapshot, env: Env) -> Result | None:
    meta = chk.meta
    host = snapshot.table("host")
    if isinstance(host, dict) and host.get("looks_like_system") is False:
        # An empty directory or a data disk given as --root: nothing found there is evidence of anything,
        # not even of the role guessed from it.
        markers = ", ".join(str(m) for m in host.get("system_markers_checked") or ["/etc/passwd"])
        if env.family == "windows":  # no root was given: collect.ps1 could not run, or the recording is empty
            why = snapshot.why_unknown("host.os")
            detail = str(why["detail"]) if why and why.get("detail") else markers
            return Result(meta.id, "unknown", both(MESSAGES["check.windows_unread"], {"detail": detail}),
                          {"fact": "host.os", "reason_code": "not_a_system", "detail": detail})
        return Result(meta.id, "unknown", both(MESSAGES["check.not_a_system"], {"markers": markers}),
                      {"fact": "host.looks_like_system", "reason_code": "not_a_system", "detail": markers})
    if env.family is not None and env.family not in meta.platforms:
        # A check about sudoers, PAM or sshd on Windows: it would read columns that OS does not have.
        args = {"os": _os_name(env.family), "platforms": ", ".join(_os_name(p) for p in meta.platforms)}
        return Result(meta.id, "not_applicable", both(MESSAGES["check.platform_na"], args),
                      {"family": env.family, "platforms": list(meta.platforms)})
    if meta.roles and env.role not in meta.roles:
        role = {lang: MESSAGES[f"role.{env.role}"][lang] for lang in ("vi", "en")}
        msg = {lang: render(MESSAGES["check.role_na"][lang], {"role": role[lang]}) for lang in ("vi", "en")}
        return Result(meta.id, "not_applicable", msg, {"role": env.role})
    if meta.live_only and snapshot.mode == "root":
        return Result(meta.id, "not_applicable", both(MESSAGES["check.live_na"]), {"mode": snapshot.mode})
    for key in meta.needs:
        if env.family is not None and env.family not in (families_of(key) or (env.family,)):
            continue  # a fact only other OSes have (PAM, for a password check on Windows)
        why = snapshot.why_unknown(key)
        if why is None and key.split(".", 1)[0] not in snapshot.tables:
            # A table nobody filled (e.g. `devices` outside a network scan) is not an empty one.
            why = {"code": "not_collected", "detail": key.split(".", 1)[0]}
        if why is None:
            continue
        status = "not_applicable" if why["code"] == "not_applicable" else "unknown"
        reason = _reason(why["code"], why["detail"])
        template = MESSAGES["check.not_applicable" if status == "not_applicable" else "check.unknown"]
        msg = {lang: render(template[lang], {"reason": reason[lang]}) for lang in ("vi", "en")}
        return Result(meta.id, status, msg, {"fact": key, "reason_code": why["code"], "detail": why["detail"]})
    return None


def _to_result(chk: Check, outcome: Outcome) -> Result:
    template = chk.meta.messages.get(outcome.key)
    if template is None:
        template = {"vi": STATUS[outcome.status]["vi"], "en": STATUS[outcome.status]["en"]}
    return Result(chk.meta.id, outcome.status, both(template, outcome.args), outcome.evidence, outcome.key)


def _fold_repeats(results: dict[str, Result], registry: dict[str, Check]) -> None:
    """A check that ends with the same message key as the check it depends on, a key listed in its
    `depends_on.when`, only repeats it: its finding becomes not_applicable, pointing there, so that e.g. "no
    backup set is declared" is said once. Its requirements still count the status it had (counts_as)."""
    for cid, res in list(results.items()):
        dep = registry[cid].meta.depends_on
        if dep is None or res.key not in dep.when:
            continue
        other = results.get(dep.check)
        if other is None or other.key != res.key:
            continue
        title = registry[dep.check].meta.title
        message = {lang: render(MESSAGES["check.see_other"][lang], {"check": dep.check, "title": title[lang]})
                   for lang in LANGS}
        results[cid] = Result(cid, "not_applicable", message, {"see": dep.check, **res.evidence}, res.key,
                              counts_as=res.status)


MAX_JOINED = 5  # messages of one finding; the rest are counted (all are in the evidence)


def _merge(chk: Check, outcomes: list[Outcome]) -> Result:
    """Several outcomes from one check become one finding: the worst status, and the message of each
    outcome with that status (each once, at most MAX_JOINED, the rest counted) joined."""
    if len(outcomes) == 1:
        return _to_result(chk, outcomes[0])
    from secaudit.status import worst

    status = worst([o.status for o in outcomes])
    chosen = [o for o in outcomes if o.status == status]
    parts: list[dict[str, str]] = []
    for outcome in chosen:
        message = _to_result(chk, outcome).message
        if message not in parts:
            parts.append(message)
    shown, rest = parts[:MAX_JOINED], len(parts) - MAX_JOINED
    joined = {lang: " ".join(p[lang] for p in shown) for lang in LANGS}
    if rest > 0:
        joined = {lang: f"{joined[lang]} {render(MESSAGES['check.more'][lang], {'n': rest})}" for lang in LANGS}
    return Result(chk.meta.id, status, joined, {"items": [o.evidence for o in outcomes]}, chosen[0].key)


class Overrides(Protocol):
    """What the engine needs of a playbook (the playbook layer sits above the checks): its parameter overrides."""

    @property
    def params(self) -> Mapping[str, Mapping[str, Any]]: ...


def params_for(chk: Check, playbook: Overrides, config: AgentConfig) -> dict[str, Any]:
    params = dict(chk.meta.params)
    params.update(playbook.params.get(chk.meta.id, {}))
    params.update(config.params.get(chk.meta.id, {}))
    return params


def run_checks(snapshot: Snapshot, check_ids: list[str], playbook: Overrides, config: AgentConfig
               ) -> dict[str, Result]:
    registry = load_checks()
    try:
        now = parse_rfc3339(snapshot.collected_at)
    except ValueError:
        now = datetime.now(UTC)
    env = Env(role=effective_role(snapshot, config), now=now, config=config, family=snapshot.os_family())
    results: dict[str, Result] = {}
    pending: list[tuple[Check, dict[str, Any]]] = []
    for cid in check_ids:
        chk = registry[cid]
        early = _precondition(chk, snapshot, env)
        if early is not None:
            results[cid] = early
            continue
        pending.append((chk, params_for(chk, playbook, config)))
    # Checks are pure and fast; the deadline only stops a pathological one (daemon threads: never waited for).
    deadline = time.monotonic() + sum(chk.meta.timeout for chk, _ in pending)
    tasks = run_all([partial(chk.fn, snapshot, params, env) for chk, params in pending], 4, deadline, "checks",
                    timeouts=[chk.meta.timeout for chk, _ in pending])
    for (chk, _), task in zip(pending, tasks, strict=True):
        cid = chk.meta.id
        if not task.done.is_set():
            results[cid] = Result(cid, "error", both(MESSAGES["check.timeout"], {"seconds": chk.meta.timeout}), {})
        elif task.error is not None:  # a bug or unexpected input: report it, carry on
            exc = task.error
            results[cid] = Result(cid, "error", both(MESSAGES["check.error"],
                                                     {"error": f"{type(exc).__name__}: {exc}"}), {})
        else:
            outcomes = task.result if isinstance(task.result, list) else [task.result]
            results[cid] = _merge(chk, outcomes) if outcomes else Result(
                cid, "not_applicable", both(MESSAGES["check.not_applicable"], {"reason": "-"}), {})
    _fold_repeats(results, registry)
    return {cid: results[cid] for cid in check_ids if cid in results}

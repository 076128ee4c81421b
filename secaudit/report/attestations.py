"""Attestations: the school's own answers to the questions no machine can check (a named security officer,
an incident-response plan, staff trained this year...), asked by `secaudit attest` or read from an answers
file, kept in the state directory, and put into the next report as their own section.

An answer is never `pass`: a valid "yes" makes its requirements `attested` (a status of its own, between
pass and warn), a valid "no" makes them `fail` (the school says the measure is not in place), and a
question never answered, or answered longer ago than one reporting period of the playbook's cadence, makes
them `unknown`. The period: a year for an annual, school-year or dated cadence (and with no cadence), three
months (92 days) for a quarterly one, a month (31 days) for a monthly one.

The store, `<state dir>/attestations.json`:
    {"schema": "secaudit.attestations/v1",
     "answers": {"<attestation id>": {"answer": "yes"|"no", "answered_by": "...", "answered_at": RFC 3339,
                                      "document": "...", "playbook": "<id>"}}}
written atomically (0600) under the state directory's lock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from secaudit import inputs, limits, safeyaml
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.fsutil import replace
from secaudit.i18n import nfc
from secaudit.playbook import Attestation, Playbook
from secaudit.state import lock_exclusive, state_dir
from secaudit.timefmt import FORMAT, parse_rfc3339_or_none

STORE = "attestations.json"
SCHEMA = "secaudit.attestations/v1"
PERIOD_DAYS = {"annual": 365, "school_year": 365, "dates": 365, "quarterly": 92, "monthly": 31}
DEFAULT_PERIOD_DAYS = 365
TEXT_MAX = 300  # characters of a name or a document reference
YES = {"yes", "y", "có", "co", "c", "true", "1"}
NO = {"no", "n", "không", "khong", "k", "false", "0"}
Answer = dict[str, str]


class AttestationError(SecauditError):
    pass


def period_days(cadence: dict[str, Any]) -> int:
    return PERIOD_DAYS.get(str(cadence.get("kind", "")), DEFAULT_PERIOD_DAYS)


def expires_at(cadence: dict[str, Any], answered_at: datetime) -> datetime:
    return answered_at + timedelta(days=period_days(cadence))


def parse_answer(value: Any) -> str | None:
    """"yes"/"no" from yes, no, có, không, true, false (any case); None for anything else."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, str):
        return None
    word = nfc(value).strip().casefold()
    return "yes" if word in YES else "no" if word in NO else None


def clean_text(value: str) -> str:
    """One line of at most TEXT_MAX characters, NFC, control characters dropped."""
    text = " ".join(nfc(value).split())
    return "".join(ch for ch in text if ch.isprintable())[:TEXT_MAX]


# --- the store ----------------------------------------------------------------------------------


def store_path(config: AgentConfig) -> Path:
    return state_dir(config) / STORE


def _corrupt(path: Path, vi: str, en: str) -> SecauditError:
    return inputs.corrupt(AttestationError, "attestations", path, vi, en)


def load_answers(config: AgentConfig) -> dict[str, Answer]:
    """The stored answers by attestation id; {} when none were ever given. A damaged store raises
    (and is never written over)."""
    return _load(store_path(config))


def _load(path: Path) -> dict[str, Answer]:
    data = inputs.load_state(path, "attestations", AttestationError)
    if data is None:
        return {}
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("answers"), dict):
        raise _corrupt(path, f"không phải {SCHEMA}", f"not {SCHEMA}")
    out: dict[str, Answer] = {}
    for aid, entry in data["answers"].items():
        if (not isinstance(entry, dict) or entry.get("answer") not in ("yes", "no")
                or parse_rfc3339_or_none(entry.get("answered_at")) is None
                or not all(isinstance(entry.get(k, ""), str) for k in ("answered_by", "document", "playbook"))):
            raise _corrupt(path, f"câu trả lời '{str(aid)[:60]}' không hợp lệ", f"answer '{str(aid)[:60]}' is invalid")
        out[str(aid)] = {k: str(entry.get(k, "")) for k in ("answer", "answered_by", "answered_at", "document",
                                                             "playbook")}
    return out


def save_answers(config: AgentConfig, answers: dict[str, Answer]) -> Path:
    """Merge `answers` into the store (a newer answer replaces the older one), atomically."""
    directory = state_dir(config)
    path = directory / STORE
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(directory / ".lock", "a+") as lock:
            lock_exclusive(lock)
            stored = _load(path)
            stored.update(answers)
            body = {"schema": SCHEMA, "answers": dict(sorted(stored.items()))}
            replace(path, (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode(), 0o600, exact=True)
    except OSError as exc:
        raise AttestationError(f"Không ghi được câu trả lời vào {path}: {exc.strerror}.",
                               f"Cannot write the answers to {path}: {exc.strerror}.") from exc
    return path


# --- an answers file (TOML or YAML) -------------------------------------------------------------


def read_answers_file(path: str, playbook: Playbook, now: datetime) -> dict[str, Answer]:
    """An answers file:

        answered_by = "Nguyễn Văn A, Phó Hiệu trưởng"      # for every answer that does not name its own
        [answers]
        "gov.security_officer" = { answer = "yes", document = "Quyết định 15/QĐ-THCS ngày 02/9/2026" }
        "gov.training" = "no"

    (the same shape in YAML). Every id must be a question of `playbook`; errors are one sentence."""
    where = Path(path)
    if where.suffix.lower() in (".yaml", ".yml"):
        text = inputs.read_text(where, limits.CONFIG_FILE, "answers file", AttestationError)
        try:
            data = safeyaml.load(text)
        except safeyaml.YamlRefused as exc:
            raise AttestationError(f"{path}:{exc.line or 1}: {exc.vi}.", f"{path}:{exc.line or 1}: {exc.en}.") from None
    else:
        data = inputs.load_toml(where, limits.CONFIG_FILE, "answers file", AttestationError)

    def bad(vi: str, en: str) -> AttestationError:
        return AttestationError(f"Tệp trả lời {path}: {vi}.", f"Answers file {path}: {en}.")

    if not isinstance(data, dict):
        raise bad("phải là một bảng có 'answers'", "must be a table with 'answers'")
    for key in data:
        if key not in ("answered_by", "answers"):
            raise bad(f"khóa '{str(key)[:40]}' không được hỗ trợ (chỉ 'answered_by' và 'answers')",
                      f"unknown key '{str(key)[:40]}' (only 'answered_by' and 'answers')")
    default_by = data.get("answered_by", "")
    if not isinstance(default_by, str):
        raise bad("'answered_by' phải là chuỗi", "'answered_by' must be a string")
    entries = data.get("answers")
    if not isinstance(entries, dict) or not entries:
        raise bad("cần bảng 'answers' có ít nhất một câu trả lời", "needs an 'answers' table with at least one answer")
    known = {a.id for a in playbook.evaluated_attestations()}
    stamp = now.strftime(FORMAT)
    out: dict[str, Answer] = {}
    for aid, entry in entries.items():
        name = str(aid)[:60]
        if aid not in known:
            raise bad(f"không có câu hỏi '{name}' trong bộ yêu cầu {playbook.id}",
                      f"no question '{name}' in the playbook {playbook.id}")
        if not isinstance(entry, dict):
            entry = {"answer": entry}
        for key in entry:
            if key not in ("answer", "document", "answered_by"):
                raise bad(f"câu '{name}': khóa '{str(key)[:40]}' không được hỗ trợ",
                          f"question '{name}': unknown key '{str(key)[:40]}'")
        answer = parse_answer(entry.get("answer"))
        if answer is None:
            raise bad(f"câu '{name}': câu trả lời phải là yes/no (có/không)",
                      f"question '{name}': the answer must be yes/no (có/không)")
        by, document = entry.get("answered_by", default_by), entry.get("document", "")
        if not isinstance(by, str) or not clean_text(by):
            raise bad(f"câu '{name}': thiếu người trả lời ('answered_by')",
                      f"question '{name}': who answered is missing ('answered_by')")
        if not isinstance(document, str):
            raise bad(f"câu '{name}': 'document' phải là chuỗi", f"question '{name}': 'document' must be a string")
        out[str(aid)] = {"answer": answer, "answered_by": clean_text(by), "answered_at": stamp,
                         "document": clean_text(document), "playbook": playbook.id}
    return out


# --- into the report ----------------------------------------------------------------------------


def evaluate(playbook: Playbook, answers: dict[str, Answer], now: datetime) -> list[dict[str, Any]]:
    """The report's `attestations` section: one row per question of the requirements the plan demands."""
    demanded = {r.id for r in playbook.evaluated_requirements()}
    rows = []
    for att in playbook.evaluated_attestations():
        rows.append(_row(att, [r for r in att.requirements if r in demanded], answers.get(att.id), playbook, now))
    return rows


def _row(att: Attestation, requirements: list[str], answer: Answer | None, playbook: Playbook,
         now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {"id": att.id, "requirements": requirements, "question": att.question,
                           "evidence": att.evidence or {"vi": "", "en": ""}, "status": "unanswered",
                           "answer": None, "answered_by": "", "answered_at": None, "expires_at": None,
                           "document": ""}
    when = parse_rfc3339_or_none(answer.get("answered_at")) if answer else None
    if answer is None or when is None:
        return row
    until = expires_at(playbook.cadence, when)
    row.update(answer=answer["answer"], answered_by=answer["answered_by"], answered_at=answer["answered_at"],
               expires_at=until.strftime(FORMAT), document=answer["document"],
               status="attested" if now < until else "expired")
    return row


def requirement_status(rows: list[dict[str, Any]]) -> str:
    """What a requirement's attestations say: `fail` when one answers no, `unknown` when one is unanswered
    or expired, else `attested`."""
    if any(r["status"] == "attested" and r["answer"] == "no" for r in rows):
        return "fail"
    if any(r["status"] != "attested" for r in rows):
        return "unknown"
    return "attested"

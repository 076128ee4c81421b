"""Playbooks: one YAML file per plan, extending a shared baseline. Validated on load; every
error names the file, the line and the field."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from secaudit import inputs, limits, safeyaml
from secaudit.config import CheckCatalog
from secaudit.errors import PlaybookError
from secaudit.resources import shipped_dir

SCHEMA = "secaudit.playbook/v1"
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_REQ_ID = re.compile(r"^[A-Z][A-Z0-9-]*$")
_DUE = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")
CADENCE_KINDS = ("annual", "quarterly", "monthly", "school_year", "dates")


@dataclass
class Requirement:
    id: str
    title: dict[str, str]
    basis: str
    checks: list[str]
    clauses: list[str] = field(default_factory=list)
    attestations: list[str] = field(default_factory=list)


@dataclass
class Attestation:
    """A question the school answers itself (`secaudit attest`), for what no machine can check: the answer
    goes into the signed report as `attested` yes/no (never `pass`) and expires with the plan's cadence."""

    id: str
    requirements: list[str]
    question: dict[str, str]
    evidence: dict[str, str] = field(default_factory=dict)  # hint: which document to name


@dataclass
class Clause:
    clause: str
    text: dict[str, str]
    requirements: list[str]


@dataclass
class Playbook:
    id: str
    version: str
    title: dict[str, str]
    path: str
    sha256: str
    rule_pack: str = ""
    document: dict[str, str] = field(default_factory=dict)
    cadence: dict[str, Any] = field(default_factory=dict)
    clauses: list[Clause] = field(default_factory=list)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    attestations: dict[str, Attestation] = field(default_factory=dict)

    def evaluated_attestations(self) -> list[Attestation]:
        """The attestations of the requirements this plan demands, in their order."""
        wanted = [a for req in self.evaluated_requirements() for a in req.attestations]
        return [self.attestations[a] for a in dict.fromkeys(wanted)]

    def evaluated_requirements(self) -> list[Requirement]:
        """The requirements this plan demands, in the order its clauses first cite them."""
        if not self.clauses:
            return list(self.requirements.values())
        seen: dict[str, Requirement] = {}
        for clause in self.clauses:
            for rid in clause.requirements:
                req = self.requirements[rid]
                if rid not in seen:
                    seen[rid] = Requirement(req.id, req.title, req.basis, req.checks, [], req.attestations)
                seen[rid].clauses.append(clause.clause)
        return list(seen.values())


# -- YAML with line numbers ---------------------------------------------------------------------


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Doc:
    """Plain values plus the line of every field path, for error messages. A playbook given by path is
    foreign input: composed by safeyaml (no aliases, nesting and node limits), errors never quote it."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        self._values = safeyaml.Constructor()
        try:
            node = safeyaml.compose(text)
            self.data = self._value(node, "") if node is not None else None
        except safeyaml.YamlRefused as exc:
            raise PlaybookError(f"{path}:{exc.line or 1}: {exc.vi}.", f"{path}:{exc.line or 1}: {exc.en}.") from None

    def _value(self, node: yaml.Node, where: str) -> Any:
        self.lines[where] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise self.error(where, "giá trị không hợp lệ (thẻ YAML không được hỗ trợ)",
                             "invalid value (YAML tag not supported)")
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.lines[where] = key_node.start_mark.line + 1
                    raise self.error(where, "khóa phải là chuỗi", "keys must be plain text")
                key = str(key_node.value)
                sub = f"{where}.{key}" if where else key
                if key in out:
                    self.lines[sub] = key_node.start_mark.line + 1
                    raise self.error(sub, "khóa bị lặp", "duplicate key")
                out[key] = self._value(value_node, sub)
                self.lines[sub] = key_node.start_mark.line + 1  # the key's line, not its block value's
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._value(n, f"{where}[{i}]") for i, n in enumerate(node.value)]
        try:
            return self._values.value(node)
        except safeyaml.YamlRefused as exc:  # e.g. an unquoted impossible date, an unknown tag
            raise self.error(where, exc.vi, exc.en) from None

    def error(self, where: str, vi: str, en: str) -> PlaybookError:
        line = self.lines.get(where)
        while line is None and where:
            where_parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", where)
            if where_parent == where:
                break
            where = where_parent
            line = self.lines.get(where)
        loc = f"{self.path}:{line or 1}"
        if not where:
            return PlaybookError(f"{loc}: {vi}.", f"{loc}: {en}.")
        return PlaybookError(f"{loc}: trường '{where}': {vi}.", f"{loc}: field '{where}': {en}.")


def _text(doc: _Doc, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise doc.error(where, "cần 'vi' và 'en'", "needs 'vi' and 'en' texts")
    for lang in ("vi", "en"):
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise doc.error(f"{where}.{lang}" if lang in value else where,
                            f"thiếu văn bản '{lang}'", f"missing '{lang}' text")
    return {"vi": value["vi"].strip(), "en": value["en"].strip()}


def _str(doc: _Doc, value: Any, where: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise doc.error(where, "phải là chuỗi không rỗng", "must be a non-empty string")
    return str(value)


# -- loading ------------------------------------------------------------------------------------


def resolve(ref: str, near: Path | None = None) -> Path:
    """A playbook id (looked up beside `near`, then in the shipped playbooks) or a path."""
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or "/" in ref or "\\" in ref:
        return near / candidate if near is not None and not candidate.is_absolute() else candidate
    for directory in ([near] if near else []) + [shipped_dir("playbooks")]:
        for suffix in (".yaml", ".yml"):
            if (directory / f"{ref}{suffix}").is_file():
                return directory / f"{ref}{suffix}"
    raise PlaybookError(f"Không có bộ yêu cầu '{ref}'.", f"No playbook named '{ref}'.")


def _read(path: Path) -> tuple[bytes, _Doc]:
    try:
        raw = inputs.read_bytes(path, limits.PLAYBOOK, "playbook", PlaybookError)
    except FileNotFoundError:
        raise inputs.missing(PlaybookError, "playbook", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlaybookError(f"{path}:{line}: không phải văn bản UTF-8.", f"{path}:{line}: not UTF-8 text.") from None
    return raw, _Doc(str(path), text)


_TOP = {"schema", "id", "version", "title", "extends", "rule_pack", "document", "cadence",
        "clauses", "requirements", "params", "description", "attestations"}


def load(ref: str | Path, catalog: CheckCatalog, _chain: tuple[str, ...] = ()) -> Playbook:
    """The playbook `ref` (an id or a path), its requirements' checks and parameter overrides validated
    against `catalog` (secaudit.pipeline.load_playbook passes the checks' catalog)."""
    path = resolve(str(ref))
    raw, doc = _read(path)
    data = doc.data
    if data is None:
        raise doc.error("", "tệp trống", "the file is empty")
    if not isinstance(data, dict):
        raise doc.error("", "tệp phải là một ánh xạ YAML", "the file must be a YAML mapping")
    for key in data:
        if key not in _TOP:
            raise doc.error(key, "khóa không được hỗ trợ", "unknown key")
    if data.get("schema") != SCHEMA:
        raise doc.error("schema", f"phải là {SCHEMA}", f"must be {SCHEMA}")
    pid = _str(doc, data.get("id"), "id")
    if not _ID.match(pid):
        raise doc.error("id", "chỉ gồm chữ thường, số, '.', '_' và '-'",
                        "use lowercase letters, digits, '.', '_', '-'")
    if pid in _chain:
        raise doc.error("extends", "kế thừa vòng tròn", "circular extends")

    base: Playbook | None = None
    if data.get("extends") is not None:
        parent = _str(doc, data["extends"], "extends")
        try:
            base = load(resolve(parent, path.parent), catalog, (*_chain, pid))
        except PlaybookError as exc:
            if exc.en.startswith("No playbook named"):
                raise doc.error("extends", f"không có bộ yêu cầu '{parent}'", f"no playbook named '{parent}'") from None
            raise

    sha = hashlib.sha256((base.sha256.encode() if base else b"") + raw).hexdigest()
    pb = Playbook(
        id=pid,
        version=_str(doc, data.get("version"), "version"),
        title=_text(doc, data.get("title"), "title"),
        path=str(path),
        sha256=sha,
        rule_pack=_str(doc, data.get("rule_pack"), "rule_pack", required=False) or (base.rule_pack if base else ""),
        requirements=dict(base.requirements) if base else {},
        params={k: dict(v) for k, v in base.params.items()} if base else {},
        cadence=dict(base.cadence) if base else {},
        attestations=dict(base.attestations) if base else {},
    )

    document = data.get("document", {})
    if not isinstance(document, dict):
        raise doc.error("document", "phải là một ánh xạ", "must be a mapping")
    pb.document = {str(k): str(v) for k, v in document.items()}

    reqs = data.get("requirements", {})
    if not isinstance(reqs, dict):
        raise doc.error("requirements", "phải là ánh xạ mã yêu cầu → nội dung", "must map requirement ids to entries")
    for rid, entry in reqs.items():
        where = f"requirements.{rid}"
        if not _REQ_ID.match(rid):
            raise doc.error(where, "mã yêu cầu phải viết hoa, ví dụ VN-ACC-01", "ids are upper case, e.g. VN-ACC-01")
        if not isinstance(entry, dict):
            raise doc.error(where, "phải là một ánh xạ", "must be a mapping")
        for key in entry:
            if key not in ("title", "basis", "checks"):
                raise doc.error(f"{where}.{key}", "khóa không được hỗ trợ", "unknown key")
        checks = entry.get("checks", [])  # none: an attestation of this file must name the requirement
        if not isinstance(checks, list):
            raise doc.error(f"{where}.checks", "phải là danh sách mã kiểm tra", "must be a list of check ids")
        for i, cid in enumerate(checks):
            if not isinstance(cid, str) or cid not in catalog:
                raise doc.error(f"{where}.checks[{i}]", f"không có kiểm tra '{cid}'", f"unknown check '{cid}'")
        kept = pb.requirements.get(rid)
        pb.requirements[rid] = Requirement(
            rid, _text(doc, entry.get("title"), f"{where}.title"), str(entry.get("basis", "")), list(checks),
            attestations=list(kept.attestations) if kept else [],
        )
    _attestations(doc, data.get("attestations", []), pb)
    for rid in reqs:
        if not pb.requirements[rid].checks and not pb.requirements[rid].attestations:
            raise doc.error(f"requirements.{rid}.checks", "cần ít nhất một kiểm tra hoặc một câu hỏi tự xác nhận",
                            "needs at least one check or one attestation")

    clauses = data.get("clauses", [])
    if not isinstance(clauses, list):
        raise doc.error("clauses", "phải là danh sách", "must be a list")
    for i, entry in enumerate(clauses):
        where = f"clauses[{i}]"
        if not isinstance(entry, dict):
            raise doc.error(where, "phải là một ánh xạ", "must be a mapping")
        for key in entry:
            if key not in ("clause", "text", "requirements"):
                raise doc.error(f"{where}.{key}", "khóa không được hỗ trợ", "unknown key")
        rids = entry.get("requirements")
        if not isinstance(rids, list) or not rids:
            raise doc.error(f"{where}.requirements", "cần ít nhất một mã yêu cầu", "needs at least one requirement id")
        for j, rid in enumerate(rids):
            if not isinstance(rid, str) or rid not in pb.requirements:
                raise doc.error(f"{where}.requirements[{j}]", f"không có yêu cầu '{rid}'",
                                f"unknown requirement '{rid}'")
        pb.clauses.append(Clause(_str(doc, entry.get("clause"), f"{where}.clause"),
                                 _text(doc, entry.get("text"), f"{where}.text"), list(rids)))

    params = data.get("params", {})
    if not isinstance(params, dict):
        raise doc.error("params", "phải là ánh xạ mã kiểm tra → tham số", "must map check ids to parameters")
    for cid, values in params.items():
        if cid not in catalog:
            raise doc.error(f"params.{cid}", f"không có kiểm tra '{cid}'", f"unknown check '{cid}'")
        problem = catalog.overrides_problem(cid, values)
        if problem is not None:
            field, vi, en = problem
            raise doc.error(f"params.{cid}.{field}" if field else f"params.{cid}", vi, en)
        pb.params.setdefault(cid, {}).update(values)

    if "cadence" in data:
        pb.cadence = _cadence(doc, data["cadence"])
    return pb


def _attestations(doc: _Doc, value: Any, pb: Playbook) -> None:
    """`attestations:`: [{id, requirements: [ids], question: {vi, en}, evidence: {vi, en}}], each tied to
    requirements of this file or of the one it extends."""
    if not isinstance(value, list):
        raise doc.error("attestations", "phải là danh sách", "must be a list")
    for i, entry in enumerate(value):
        where = f"attestations[{i}]"
        if not isinstance(entry, dict):
            raise doc.error(where, "phải là một ánh xạ", "must be a mapping")
        for key in entry:
            if key not in ("id", "requirements", "question", "evidence"):
                raise doc.error(f"{where}.{key}", "khóa không được hỗ trợ", "unknown key")
        aid = _str(doc, entry.get("id"), f"{where}.id")
        if not _ID.match(aid):
            raise doc.error(f"{where}.id", "chỉ gồm chữ thường, số, '.', '_' và '-'",
                            "use lowercase letters, digits, '.', '_', '-'")
        if aid in pb.attestations:
            raise doc.error(f"{where}.id", f"câu hỏi '{aid}' bị lặp", f"duplicate attestation '{aid}'")
        rids = entry.get("requirements")
        if not isinstance(rids, list) or not rids:
            raise doc.error(f"{where}.requirements", "cần ít nhất một mã yêu cầu", "needs at least one requirement id")
        for j, rid in enumerate(rids):
            if not isinstance(rid, str) or rid not in pb.requirements:
                raise doc.error(f"{where}.requirements[{j}]", f"không có yêu cầu '{rid}'",
                                f"unknown requirement '{rid}'")
        evidence = _text(doc, entry["evidence"], f"{where}.evidence") if "evidence" in entry else {}
        pb.attestations[aid] = Attestation(aid, list(rids), _text(doc, entry.get("question"), f"{where}.question"),
                                           evidence)
        for rid in rids:
            req = pb.requirements[rid]
            if aid not in req.attestations:  # a new object: the extended playbook's stays as it was
                pb.requirements[rid] = Requirement(req.id, req.title, req.basis, req.checks, list(req.clauses),
                                                   [*req.attestations, aid])


def _cadence(doc: _Doc, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise doc.error("cadence", "phải là một ánh xạ", "must be a mapping")
    kind = value.get("kind")
    if kind not in CADENCE_KINDS:
        raise doc.error("cadence.kind", f"phải là một trong {', '.join(CADENCE_KINDS)}",
                        f"must be one of {', '.join(CADENCE_KINDS)}")
    due = value.get("due", [])
    if not isinstance(due, list):
        raise doc.error("cadence.due", "phải là danh sách ngày MM-DD hoặc YYYY-MM-DD",
                        "must be a list of MM-DD or YYYY-MM-DD dates")
    due = [d.isoformat() if isinstance(d, date) else d for d in due]  # unquoted YAML dates
    for i, day in enumerate(due):
        if not (isinstance(day, str) and _DUE.match(day) and _real_date(day)):
            raise doc.error(f"cadence.due[{i}]", f"'{day}' không phải ngày MM-DD hoặc YYYY-MM-DD có thật",
                            f"'{day}' is not a real MM-DD or YYYY-MM-DD date")
    out: dict[str, Any] = {"kind": kind, "due": due}
    if "text" in value:
        out["text"] = _text(doc, value["text"], "cadence.text")
    if "source" in value:
        out["source"] = str(value["source"])
    return out


def _real_date(text: str) -> bool:
    try:  # MM-DD is checked in a leap year, so 02-29 is allowed
        datetime.strptime(text if len(text) == 10 else f"2000-{text}", "%Y-%m-%d")
    except ValueError:
        return False
    return True


def list_shipped() -> list[Path]:
    return sorted(shipped_dir("playbooks").glob("*.yaml"))

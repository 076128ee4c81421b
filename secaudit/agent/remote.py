"""Agentless audit of several hosts over SSH, N at a time: one report per host plus a summary.

Every step is bounded: TCP connect, SSH banner, key exchange and authentication each wait at most
`connect_timeout`; every SFTP request and command has its own timeout; fact collection has the
collectors' deadline; and the whole host has a last-resort budget after which it is reported as
not audited. A host that cannot be audited is a result ("unreachable", "auth_failed",
"host_key_refused", "sudo_failed", "error") with a one-sentence bilingual reason, never a hang.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secaudit import pipeline
from secaudit.agent.hosts import HostSpec, parse_target
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.fsutil import create_unique, safe_name, write_error
from secaudit.playbook import Playbook
from secaudit.report.formats import FORMATS
from secaudit.safetext import for_terminal
from secaudit.timefmt import parse_rfc3339
from secaudit.transport.ssh import SSH_ERROR, SshError, SshOptions, SshTransport, connect

OK = "ok"
NOT_AUDITED = ("unreachable", "auth_failed", "host_key_refused", "sudo_failed", "error")
STATUS_TEXT = {
    OK: {"vi": "đã kiểm tra", "en": "audited"},
    "unreachable": {"vi": "không kết nối được", "en": "unreachable"},
    "auth_failed": {"vi": "xác thực thất bại", "en": "auth failed"},
    "host_key_refused": {"vi": "khóa máy chủ bị từ chối", "en": "host key refused"},
    "sudo_failed": {"vi": "sudo bị từ chối", "en": "sudo refused"},
    "error": {"vi": "lỗi", "en": "error"},
}
COLLECT_BUDGET = 120.0  # beyond the connection timeouts, before a host is given up


@dataclass
class HostResult:
    spec: HostSpec
    status: str = OK
    reason: dict[str, str] | None = None  # {"vi": ..., "en": ...} when not audited
    report: dict[str, Any] | None = None
    report_path: str | None = None  # the JSON report
    outputs: list[str] = field(default_factory=list)  # other formats written
    signed_path: str | None = None
    sign_error: dict[str, str] | None = None
    host_key: str = ""  # "ssh-ed25519 SHA256:..."
    recorded_key_in: str | None = None  # --accept-new recorded the key in this known_hosts file
    duration_ms: int = 0

    @property
    def audited(self) -> bool:
        return self.status == OK

    def row(self) -> dict[str, Any]:
        """The summary line, as JSON (no floats)."""
        summary = (self.report or {}).get("summary") or {}
        host = (self.report or {}).get("host") or {}
        return {"target": self.spec.target, "name": self.spec.name, "source": self.spec.source,
                "status": self.status, "reason": self.reason, "hostname": host.get("hostname"),
                "score": summary.get("score"), "fail": summary.get("fail"), "warn": summary.get("warn"),
                "unknown": summary.get("unknown"), "report": self.report_path, "signed": self.signed_path,
                "outputs": self.outputs, "host_key": self.host_key, "duration_ms": self.duration_ms}


@dataclass(frozen=True)
class RemoteRun:
    """What every host shares: connection options, config, playbook, where outputs go."""

    options: SshOptions
    config: AgentConfig
    playbook: Playbook
    out_dir: str = "."
    formats: tuple[str, ...] = ()  # extra renderings besides JSON: html, md, pdf, sarif, csv
    lang: str = "vi"
    sign: bool | None = None  # None: sign when a key exists
    key_dir: str | None = None
    parallel: int = 4


def ssh_options(known_hosts: str | None = None, accept_new: bool = False, identity: str | None = None,
                sudo: bool = False, connect_timeout: float = 10.0) -> SshOptions:
    return SshOptions(known_hosts=known_hosts, accept_new=accept_new, identity=identity, sudo=sudo,
                      connect_timeout=connect_timeout)


def transport_for(target: str, known_hosts: str | None = None, accept_new: bool = False,
                  identity: str | None = None, sudo: bool = False, connect_timeout: float = 10.0) -> SshTransport:
    """One connected SshTransport for USER@HOST[:PORT] (raises SshError, a SecauditError, when the
    host cannot be reached). The caller closes it."""
    spec = parse_target(target)
    return connect(spec.host, spec.port, spec.user, ssh_options(known_hosts, accept_new, identity, sudo,
                                                                connect_timeout))


def _stamp(report: dict[str, Any]) -> str:
    try:
        when = parse_rfc3339(report.get("generated_at"))
    except ValueError:
        when = datetime.now(UTC)
    return f"{when:%Y%m%d-%H%M%S}"


def _write_new(directory: Path, stem: str, suffix: str, data: bytes) -> str:
    """Write `stem<suffix>` (or stem-2, -3...) atomically, never overwriting or following anything there."""
    try:
        return str(create_unique(directory, safe_name(stem, "host"), suffix, data))
    except OSError as exc:
        raise write_error(directory / f"{stem}{suffix}", exc) from None


def _outputs(result: HostResult, report: dict[str, Any], run: RemoteRun) -> None:
    stem = f"{result.spec.label}-{_stamp(report)}"
    result.report_path = pipeline.write_new(report, "json", run.out_dir, stem, run.lang)
    for name in run.formats:
        if name == "json" or FORMATS[name].terminal:  # the JSON is always written; the summary is on the terminal
            continue
        result.outputs.append(pipeline.write_new(report, name, run.out_dir, stem, run.lang))
    if run.sign is False:
        return
    try:
        result.signed_path = pipeline.sign(report, run.key_dir, run.out_dir)
    except SecauditError as exc:
        result.sign_error = {"vi": exc.vi, "en": exc.en}
    if result.signed_path:
        pipeline.queue_signed(result.signed_path, run.config, run.lang)


def audit_one(spec: HostSpec, run: RemoteRun) -> HostResult:
    """Connect, collect, evaluate, write; every failure becomes the result's status."""
    started = time.monotonic()
    result = HostResult(spec)
    config = dataclasses.replace(run.config, role=spec.role) if spec.role else run.config
    transport: SshTransport | None = None
    try:
        transport = connect(spec.host, spec.port, spec.user, run.options, key_file=spec.key, sudo=spec.sudo)
        result.host_key, result.recorded_key_in = transport.host_key, transport.recorded_key_in
        snapshot = pipeline.collect(transport, config)
        transport.close()  # unblocks any collector thread still waiting on the host
        # the auditing machine's agent id and sequence: it is the one that signs these reports
        report = pipeline.build_report(snapshot, run.playbook, config, run.key_dir)
        result.report = report
        _outputs(result, report, run)
    except SshError as exc:
        result.status, result.reason = exc.status, {"vi": exc.vi, "en": exc.en}
    except SecauditError as exc:
        result.status, result.reason = SSH_ERROR, {"vi": exc.vi, "en": exc.en}
    except Exception as exc:  # one host's bug must not stop the others
        why = f"{type(exc).__name__}: {exc}"
        result.status = SSH_ERROR
        result.reason = {"vi": f"Lỗi khi kiểm tra {spec.target}: {why}.",
                         "en": f"Error while auditing {spec.target}: {why}."}
    finally:
        if transport is not None:
            transport.close()
        result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def host_budget(options: SshOptions) -> float:
    """The longest a host may take: connection steps, sudo check, collection, report."""
    return 4 * options.connect_timeout + COLLECT_BUDGET


def audit_hosts(specs: list[HostSpec], run: RemoteRun,
                on_done: Callable[[HostResult, int, int], None] | None = None) -> list[HostResult]:
    """Audit `specs` with at most `run.parallel` at a time; results come back in the input order.
    Workers are daemon threads: a host given up after its budget can never hold the process."""
    from secaudit.checks import load_checks
    from secaudit.facts import load_collectors

    load_collectors("linux")  # import once here, not concurrently in the workers
    load_checks()
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(specs)):
        todo.put(i)
    finished: queue.Queue[tuple[int, HostResult]] = queue.Queue()
    started: dict[int, float] = {}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            with lock:
                started[index] = time.monotonic()
            finished.put((index, audit_one(specs[index], run)))

    def spawn() -> None:
        threading.Thread(target=worker, daemon=True, name="remote-host").start()

    for _ in range(min(max(1, run.parallel), len(specs))):
        spawn()
    budget = host_budget(run.options)
    results: dict[int, HostResult] = {}

    def record(index: int, result: HostResult) -> None:
        results[index] = result
        if on_done:
            on_done(result, len(results), len(specs))

    while len(results) < len(specs):
        try:
            index, result = finished.get(timeout=0.5)
        except queue.Empty:
            pass
        else:
            if index not in results:
                record(index, result)
            continue
        now = time.monotonic()
        with lock:
            late = [i for i, t in started.items() if i not in results and now - t > budget]
        for index in late:  # stuck beyond every timeout: give the host up, never hang
            spec = specs[index]
            record(index, HostResult(spec, "error", {
                "vi": f"{spec.target} không hoàn tất trong {budget:g} giây nên bị bỏ qua.",
                "en": f"{spec.target} did not finish within {budget:g} s and was given up."},
                duration_ms=int(budget * 1000)))
            spawn()  # the stuck worker no longer counts towards the parallel limit
    return [results[i] for i in range(len(specs))]


def exit_code(results: list[HostResult]) -> int:
    """2 when any host could not be audited (it outranks findings: its state is unknown), else 1 when
    any report has a fail, else 0."""
    if any(not r.audited for r in results):
        return 2
    if any((r.report or {}).get("summary", {}).get("fail") for r in results):
        return 1
    return 0


def write_summary(results: list[HostResult], out_dir: str) -> str:
    """`hosts-<time>.json`: one row per host (status, reason, score, fail count, files)."""
    stamp = datetime.now(UTC)
    payload = {"schema": "secaudit.remote-summary/v1", "generated_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "exit_code": exit_code(results), "hosts": [r.row() for r in results]}
    data = (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return _write_new(Path(out_dir), f"hosts-{stamp:%Y%m%d-%H%M%S}", ".json", data)


def summary_table(results: list[HostResult], lang: str) -> str:
    """A plain-text table: host, status, score, fail count, report or reason."""
    head = {"vi": ("Máy", "Trạng thái", "Điểm", "Không đạt", "Báo cáo / lý do"),
            "en": ("Host", "Status", "Score", "Fail", "Report / reason")}[lang if lang == "en" else "vi"]
    rows = []
    for r in results:
        summary = (r.report or {}).get("summary") or {}
        status = STATUS_TEXT.get(r.status, {"vi": r.status, "en": r.status})[lang if lang == "en" else "vi"]
        detail = r.report_path or "" if r.audited else (r.reason or {}).get(lang, "")
        rows.append((for_terminal(r.spec.target), status, "" if not r.audited else f"{summary.get('score', 0)}/100",
                     "" if not r.audited else str(summary.get("fail", 0)), for_terminal(detail or "")))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    widths[-1] = 0
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
             for row in (head, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths[:-1]) + "  " + "-" * len(head[-1]))
    return "\n".join(lines)

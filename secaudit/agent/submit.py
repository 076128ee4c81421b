"""`secaudit submit`: send signed envelopes to the collector (`POST /api/v1/reports`) and keep its receipts.

Each envelope goes as the exact bytes `secaudit audit` wrote (gzip on the wire). The answer decides:
- 201/200 with a receipt naming the envelope's SHA-256: the receipt is stored, then the envelope is moved
  out of the outbox (secaudit.agent.outbox; nothing is deleted before its receipt is on disk);
- a connection, TLS handshake or protocol failure, a timeout, 408, 425, 429 or 5xx: tried again after an
  exponential back-off with jitter (1 s, 2 s, 4 s ... at most 60 s, each between half and all of that;
  a numeric Retry-After is honoured), for at most `budget` seconds in the whole run; once the collector
  stays unreachable, the rest of the outbox waits for the next run (nothing is lost, nothing is retried
  in a tight loop by many schools at once);
- 409 with a receipt for these bytes (status "conflict": another report of the same sequence was there; the
  collector kept both and flagged them): stored like a receipt, the envelope leaves the outbox, and the
  collector's reason is said (exit 1: someone must look);
- any other answer is a refusal, said in one sentence with the collector's reason; the envelope stays
  in the outbox (a 401 may only mean the agent is not enrolled yet).

A receipt carrying the collector's signature (`signed`, a DSSE envelope of RECEIPT_TYPE) is checked, when the
enrollment pinned the collector's receipt key, before anything is stored (check_signed): the pinned key must
verify it and the signed payload must name the bytes sent, the same report and agent, and the verdict of the
answer (accepted for 200/201, conflict for 409); else the answer is unusable (FAILED, the envelope stays). A
receipt signed only by another key (the collector rotated its key) is stored with a warning. A receipt
without `signed` (an old collector, a report it received before signing) or no pinned key: as before.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from secaudit.agent import link, outbox
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError

if TYPE_CHECKING:
    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ACCEPTED, DUPLICATE, REFUSED, CONFLICT = "accepted", "duplicate", "refused", "conflict"
UNSENT, SKIPPED, FAILED = "unsent", "skipped", "failed"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
RECEIPT_SCHEMA = "secaudit.receipt/v1"
PinnedKey = tuple[str, "Ed25519PublicKey"]  # the collector's receipt key pinned at enrollment: key id, key
RETRY_BUDGET = 600.0  # seconds of retrying an unreachable collector in one run (submit --retry-for)


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 1.0  # seconds before the first retry (then doubled)
    cap: float = 60.0  # longest single wait
    budget: float = RETRY_BUDGET  # seconds of retrying in one run, over every file
    retry_after_cap: float = 300.0  # longest wait a collector's Retry-After may ask for

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """The wait before retry number `attempt` (1, 2, ...): half to all of base * 2^(attempt-1), at most cap
        ("equal jitter": schools that lost the collector together do not come back together)."""
        ceiling = min(self.cap, self.base * (2.0 ** min(attempt - 1, 30)))
        wait = ceiling / 2 + rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.retry_after_cap))
        return wait


@dataclass
class Result:
    path: Path
    status: str
    receipt: dict[str, Any] | None = None
    receipt_path: Path | None = None
    http_status: int | None = None
    code: str = ""  # the collector's machine code of a refusal
    reason: dict[str, str] | None = None  # {"vi", "en"}: why it was refused, failed or left unsent
    attempts: int = 0
    errors: list[str] = field(default_factory=list)  # the kind of each failed attempt (for tests and logs)
    warning: dict[str, str] | None = None  # {"vi", "en"}: stored, but signed by a key this agent does not know


@dataclass(frozen=True)
class Retry:
    """What the caller is told before each wait."""

    path: Path
    attempt: int
    delay: float
    reason: dict[str, str]
    kind: str  # "connection" (transport failure) or "http_<status>"


def _retry_after(answer: link.Answer) -> float | None:
    value = answer.headers.get("retry-after", "").strip()
    return float(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def check_receipt(data: Any, sha256: str, name: str = "", statuses: tuple[str, ...] = (ACCEPTED, DUPLICATE)
                  ) -> dict[str, Any]:
    """The receipt of a 200/201 answer (or the one inside a 409), which must name exactly the bytes sent;
    SecauditError else."""
    problem = None
    if not isinstance(data, dict) or data.get("schema") != RECEIPT_SCHEMA:
        problem = ("không phải biên nhận secaudit.receipt/v1", "it is not a secaudit.receipt/v1 receipt")
    elif data.get("envelope_sha256") != sha256:
        problem = ("mã SHA-256 trong biên nhận khác với tệp đã gửi", "its SHA-256 differs from the file sent")
    elif data.get("status") not in statuses or not isinstance(data.get("report_id"), str | int):
        problem = ("thiếu mã báo cáo hoặc trạng thái", "the report id or the status is missing")
    if problem:
        raise SecauditError(f"Câu trả lời của collector cho {name} không dùng được làm biên nhận: {problem[0]}; "
                            "báo cáo vẫn chờ gửi.",
                            f"The collector's answer for {name} cannot be used as a receipt: {problem[1]}; "
                            "the report is still waiting.")
    return cast(dict[str, Any], data)


def check_signed(receipt: dict[str, Any], sha256: str, name: str, verdict: str, pinned: PinnedKey | None
                 ) -> dict[str, str] | None:
    """Check the collector's signature on a receipt already checked by check_receipt: None when it verifies
    with the pinned key (or there is nothing to check: no `signed`, no pinned key), a warning {"vi", "en"}
    when it is signed only by another key id (a rotated collector key); SecauditError when it does not
    verify or the signed payload differs from the receipt (`verdict`: accepted for 200/201, conflict for 409)."""
    from secaudit.safetext import for_terminal
    from secaudit.sign.dsse import EnvelopeInvalid, EnvelopeUnusable
    from secaudit.sign.payload_types import RECEIPT_PAYLOAD_SCHEMA
    from secaudit.sign.verify import verify_signed_receipt

    signed = receipt.get("signed")
    if signed is None or pinned is None:
        return None
    pinned_id, pub = pinned

    def bad(vi: str, en: str) -> SecauditError:
        return SecauditError(f"Biên nhận có chữ ký của collector cho {name} không hợp lệ: {vi}; báo cáo vẫn "
                             "chờ gửi.",
                             f"The collector's signed receipt for {name} is not valid: {en}; the report is "
                             "still waiting.")

    if not isinstance(signed, dict):
        raise bad("phần chữ ký không phải một phong bì DSSE", "the signature part is not a DSSE envelope")
    try:
        checked = verify_signed_receipt(signed, [pub])
    except EnvelopeInvalid:
        sigs = signed.get("signatures")
        hints = [s.get("keyid") for s in sigs if isinstance(s, dict)] if isinstance(sigs, list) else []
        if pinned_id in hints or not hints or not all(isinstance(h, str) for h in hints):
            raise bad("chữ ký không khớp với khóa của collector đã ghim khi đăng ký",
                      "the signature does not verify with the collector key pinned at enrollment") from None
        other = for_terminal(", ".join(str(h) for h in hints))[:120]
        return {"vi": f"Lưu ý: biên nhận của {name} được ký bằng khóa {other}, không phải khóa collector mà máy "
                      f"này đã ghim khi đăng ký ({pinned_id}); có thể collector đã đổi khóa. Hãy đối chiếu "
                      "với danh sách khóa do `secaudit collector receipts keys` in ra trên collector.",
                "en": f"Note: the receipt for {name} is signed by the key {other}, not the collector key this "
                      f"machine pinned at enrollment ({pinned_id}); the collector may have changed its key. "
                      "Check it against the keys `secaudit collector receipts keys` lists on the collector."}
    except (EnvelopeUnusable, ValueError, TypeError, RecursionError) as exc:
        why = (exc.vi, exc.en) if isinstance(exc, EnvelopeUnusable) else ("không đọc được", "it cannot be read")
        raise bad(f"phần chữ ký không đọc được ({why[0]})", f"the signature part cannot be read ({why[1]})") from None
    payload = checked.payload
    outer_index = receipt.get("log_index")
    for field_name, expected in (("schema", RECEIPT_PAYLOAD_SCHEMA), ("envelope_sha256", sha256),
                                 ("report_id", receipt.get("report_id")), ("agent_id", receipt.get("agent_id")),
                                 ("verdict", verdict), ("collector_key_id", pinned_id)):
        if payload.get(field_name) != expected:
            raise bad(f"nội dung đã ký ghi {field_name} khác với biên nhận", f"the signed content names another "
                      f"{field_name} than the receipt")
    if outer_index is not None and payload.get("log_index") != outer_index:
        raise bad("nội dung đã ký ghi log_index khác với biên nhận",
                  "the signed content names another log_index than the receipt")
    return None


class Submitter:
    """Sends envelopes one after another over one keep-alive connection, with the retry policy above."""

    def __init__(self, url: str, config: AgentConfig, policy: RetryPolicy | None = None, *,
                 ca_file: str | None = None, on_retry: Callable[[Retry], None] | None = None,
                 receipt_key: PinnedKey | None = None, compress: bool = True,
                 session: httpx.Client | None = None, rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.base = link.check_url(url)
        self.endpoint = self.base + link.API + "/reports"
        self.config = config
        self.policy = policy or RetryPolicy()
        self.on_retry = on_retry
        self.receipt_key = receipt_key  # the collector's key pinned at enrollment: signed receipts are checked
        self.compress = compress
        self._own_session = session is None
        self.session = session or link.client(ca_file or config.collector_ca_file or None,
                                              config.collector_proxy or None)
        self.rng = rng or random.Random()
        self.sleep, self.clock = sleep, clock
        self.deadline = clock() + self.policy.budget
        self.down: dict[str, str] | None = None  # set once the collector stayed unreachable past the budget

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Submitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, paths: Iterable[Path]) -> list[Result]:
        return [self.send(path) for path in paths]

    def send(self, path: Path) -> Result:
        """Send one envelope (moved out of the outbox once receipted when it lives there)."""
        move = outbox.in_outbox(path, self.config)
        try:
            with outbox.claim(path) as claimed:
                if claimed is None:
                    return Result(path, SKIPPED)
                return self._send(claimed, move)
        except outbox.Unreadable as exc:
            return Result(path, FAILED, reason={"vi": exc.vi, "en": exc.en})

    def _send(self, claimed: outbox.Claimed, move: bool) -> Result:
        import httpx

        result = Result(claimed.path, UNSENT)
        if self.down is not None:
            result.reason = self.down
            return result
        body = gzip.compress(claimed.data, 6, mtime=0) if self.compress else claimed.data
        headers = {"Content-Type": link.MEDIA_TYPE}
        if self.compress:
            headers["Content-Encoding"] = "gzip"
        while True:
            result.attempts += 1
            retry_after = None
            try:
                answer = link.post(self.session, self.endpoint, body, headers)
            except httpx.TransportError as exc:
                if link.is_certificate_error(exc):  # the same certificate next time: say it now
                    why = link.transport_reason(exc)
                    result.status = FAILED
                    result.reason = {"vi": f"Không gửi được {claimed.path.name}: {why['vi']}.",
                                     "en": f"Could not send {claimed.path.name}: {why['en']}."}
                    return result
                reason, kind = link.transport_reason(exc), "connection"
            else:
                result.http_status = answer.status
                if answer.status in (200, 201):
                    return self._receipted(result, claimed, answer, move)
                if answer.status == 409 and self._kept(result, claimed, answer, move):
                    return result
                if answer.status not in RETRY_STATUS:
                    result.status = REFUSED
                    result.code, result.reason = link.refusal(answer)
                    return result
                _, reason = link.refusal(answer)
                kind, retry_after = f"http_{answer.status}", _retry_after(answer)
            result.errors.append(kind)
            wait = self.policy.delay(result.attempts, self.rng, retry_after)
            if self.clock() + wait > self.deadline:
                result.reason = reason
                self.down = reason
                return result
            if self.on_retry:
                self.on_retry(Retry(claimed.path, result.attempts, wait, reason, kind))
            self.sleep(wait)

    def _kept(self, result: Result, claimed: outbox.Claimed, answer: link.Answer, move: bool) -> bool:
        """A 409 whose body carries a receipt for these bytes (status "conflict": the collector kept the
        report and flagged it with the other one of its sequence): the receipt is stored and the envelope
        leaves the outbox like an accepted one, since sending it again would only repeat the 409."""
        data = answer.json()
        inner = data.get("receipt") if isinstance(data, dict) else None
        try:
            receipt = check_receipt(inner, claimed.sha256, claimed.path.name, (CONFLICT,))
        except SecauditError:
            return False
        try:  # a receipt for these bytes whose signature is wrong: unusable like a bad 200/201 answer
            result.warning = check_signed(receipt, claimed.sha256, claimed.path.name, CONFLICT, self.receipt_key)
            body = (json.dumps(receipt, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
            result.receipt_path = outbox.store_receipt(self.config, claimed, body, move)
        except SecauditError as exc:
            result.status, result.reason, result.warning = FAILED, {"vi": exc.vi, "en": exc.en}, None
            return True
        result.receipt, result.status = receipt, CONFLICT
        result.code, result.reason = link.refusal(answer)
        return True

    def _receipted(self, result: Result, claimed: outbox.Claimed, answer: link.Answer, move: bool) -> Result:
        try:
            receipt = check_receipt(answer.json(), claimed.sha256, claimed.path.name)
            result.warning = check_signed(receipt, claimed.sha256, claimed.path.name, ACCEPTED, self.receipt_key)
            result.receipt_path = outbox.store_receipt(self.config, claimed, answer.body, move)
        except SecauditError as exc:
            result.status, result.reason, result.warning = FAILED, {"vi": exc.vi, "en": exc.en}, None
            return result
        result.receipt = receipt
        result.status = DUPLICATE if receipt.get("status") == DUPLICATE else ACCEPTED
        return result


def exit_code(results: list[Result]) -> int:
    """0: every envelope has its receipt; 1: the collector refused or flagged one; 2: one is left unsent or
    failed."""
    statuses = {r.status for r in results}
    if statuses & {UNSENT, FAILED}:
        return 2
    return 1 if statuses & {REFUSED, CONFLICT} else 0

"""`secaudit submit [FILES...]`: send the outbox (or the named envelopes) to the collector, keep the receipts.
Also the end of `secaudit audit --submit` (run_submit).

Exit codes: 0 every envelope has a receipt (or nothing was waiting); 1 the collector refused at least one
(each refusal is one sentence on stderr; the envelope stays in the outbox) or kept one but flagged it (a
reused sequence: its receipt is stored like any other); 2 something is left unsent
(the collector stayed unreachable, a file could not be read, a receipt could not be stored or its collector
signature did not verify with the key pinned at enrollment) or a usage error. A receipt signed by another
collector key than the pinned one is stored, with a warning on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from secaudit import pipeline
from secaudit.commands.options import config_option, fail, lang_option, language
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.safetext import for_terminal

MESSAGES: dict[str, dict[str, str]] = {
    "nothing": {"vi": "Không có báo cáo nào chờ gửi trong {outbox}.",
                "en": "No report is waiting in {outbox}."},
    "accepted": {"vi": "Đã gửi {name}: biên nhận {report_id}, lưu tại {receipt}.",
                 "en": "Sent {name}: receipt {report_id}, stored in {receipt}."},
    "duplicate": {"vi": "Đã gửi {name}: collector đã có báo cáo này từ trước (biên nhận {report_id}), "
                        "lưu tại {receipt}.",
                  "en": "Sent {name}: the collector already had it (receipt {report_id}), stored in {receipt}."},
    "refused": {"vi": "Collector từ chối {name}: {reason}.", "en": "The collector refused {name}: {reason}."},
    "not_enrolled": {"vi": "Collector từ chối {name}: {reason}; máy này chưa đăng ký, hãy chạy "
                           "`secaudit enroll URL --token T`.",
                     "en": "The collector refused {name}: {reason}; this machine is not enrolled, run "
                           "`secaudit enroll URL --token T`."},
    "conflict": {"vi": "Collector đã lưu {name} nhưng đánh dấu để kiểm tra: {reason}; biên nhận lưu tại {receipt}.",
                 "en": "The collector stored {name} but flagged it for review: {reason}; receipt stored in {receipt}."},
    "skipped": {"vi": "{name} đang được một lần gửi khác xử lý.", "en": "{name} is being sent by another run."},
    "retry": {"vi": "Chưa gửi được {name} ({reason}); thử lại sau {delay} giây (lần thử {attempt}).",
              "en": "Could not send {name} ({reason}); trying again in {delay} s (attempt {attempt})."},
    "unsent": {"vi": "Không gửi được tới collector {url} ({reason}); {n} báo cáo vẫn chờ trong {outbox} "
                     "và sẽ được gửi ở lần chạy sau.",
               "en": "Could not reach the collector {url} ({reason}); {n} report(s) stay in {outbox} "
                     "and will be sent by the next run."},
    "pruned": {"vi": "Đã xóa {n} báo cáo đã gửi quá {days} ngày khỏi {sent} (biên nhận vẫn được giữ).",
               "en": "Deleted {n} report(s) sent more than {days} days ago from {sent} (their receipts are kept)."},
    "total": {"vi": "Tổng: đã gửi {accepted}, đã có từ trước {duplicate}, bị đánh dấu {conflict}, "
                    "bị từ chối {refused}, còn chờ {left}.",
              "en": "Total: sent {accepted}, already there {duplicate}, flagged {conflict}, refused {refused}, "
                    "waiting {left}."},
}


def say(key: str, lang: str, **values: Any) -> str:
    return MESSAGES[key][lang].format(**values)


def collector_options(fn: Any) -> Any:
    fn = click.option("--ca-file", default=None, type=click.Path(dir_okay=False),
                      help="CA (PEM) của chứng chỉ collector / the CA that signed the collector's certificate "
                           "(default: [collector] ca_file, else the system's CAs).")(fn)
    return click.option("--collector", "collector", default=None, metavar="URL",
                        help="Địa chỉ collector / collector URL (default: [collector] url in the config, "
                             "else the enrolled collector).")(fn)


def run_submit(config: AgentConfig, collector: str | None, files: tuple[str, ...], lang: str,
               ca_file: str | None = None, retry_for: float | None = None) -> int:
    """Send `files` (else the whole outbox) and print one line per envelope; the exit code (see above)."""
    from secaudit.agent import enroll, link, outbox
    from secaudit.agent import submit as sub
    from secaudit.state import outbox_dir

    enrolled = enroll.load(config)
    url = link.resolve_url(collector, config.collector_url, enrolled.get("collector_url") if enrolled else None)
    paths = [Path(f) for f in files] if files else outbox.pending(config)
    box = outbox_dir(config)
    if not paths:
        click.echo(say("nothing", lang, outbox=box))
        return pipeline.EXIT_OK

    def on_retry(retry: sub.Retry) -> None:
        click.echo(say("retry", lang, name=for_terminal(retry.path.name), reason=retry.reason[lang],
                       delay=f"{retry.delay:.1f}", attempt=retry.attempt), err=True)

    policy = sub.RetryPolicy(budget=sub.RETRY_BUDGET if retry_for is None else retry_for)
    pinned = enroll.receipt_key(enrolled)  # signed receipts are checked with the key pinned at enrollment
    with sub.Submitter(url, config, policy, ca_file=ca_file, on_retry=on_retry, receipt_key=pinned) as submitter:
        results = submitter.run(paths)
    pruned = outbox.prune_sent(config)
    if pruned:
        click.echo(say("pruned", lang, n=pruned, days=outbox.KEEP_SENT_DAYS, sent=outbox.sent_dir(config)))
    counts = {s: 0 for s in (sub.ACCEPTED, sub.DUPLICATE, sub.CONFLICT, sub.REFUSED)}
    unsent = [r for r in results if r.status == sub.UNSENT]
    for r in results:
        name = for_terminal(r.path.name)
        if r.warning:
            click.echo(for_terminal(r.warning[lang]), err=True)
        if r.status in (sub.ACCEPTED, sub.DUPLICATE):
            counts[r.status] += 1
            assert r.receipt is not None
            click.echo(say(r.status, lang, name=name, report_id=for_terminal(str(r.receipt["report_id"]))[:80],
                           receipt=r.receipt_path))
        elif r.status == sub.CONFLICT:
            counts[sub.CONFLICT] += 1
            click.echo(say("conflict", lang, name=name, reason=(r.reason or {}).get(lang, ""), receipt=r.receipt_path),
                       err=True)
        elif r.status == sub.REFUSED:
            counts[sub.REFUSED] += 1
            key = "not_enrolled" if r.http_status == 401 and enrolled is None else "refused"
            click.echo(say(key, lang, name=name, reason=(r.reason or {}).get(lang, "")), err=True)
        elif r.status == sub.FAILED:
            click.echo((r.reason or {}).get(lang, ""), err=True)
        elif r.status == sub.SKIPPED:
            click.echo(say("skipped", lang, name=name), err=True)
    if unsent:
        click.echo(say("unsent", lang, url=url, reason=(unsent[0].reason or {}).get(lang, ""), n=len(unsent),
                       outbox=box), err=True)
    left = sum(1 for r in results if r.status in (sub.UNSENT, sub.FAILED, sub.REFUSED))
    click.echo(say("total", lang, left=left, **counts))
    return sub.exit_code(results)


def retry_option(fn: Any) -> Any:
    return click.option("--retry-for", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
                        help="Thử lại tối đa bao lâu khi collector không trả lời / how long to keep retrying an "
                             "unreachable collector (default 600).")(fn)


@click.command("submit")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@collector_options
@retry_option
@config_option
@lang_option
def submit(files: tuple[str, ...], collector: str | None, ca_file: str | None, retry_for: float | None,
           config_path: str | None, lang: str | None) -> None:
    """Gửi báo cáo đã ký tới collector / send signed reports to the collector (default: the outbox).

    Exit 0 all receipted, 1 refused or flagged by the collector, 2 left unsent."""
    import sys

    lg = language(lang)
    try:
        code = run_submit(pipeline.load_config(config_path), collector, files, lg, ca_file, retry_for)
    except SecauditError as exc:
        fail(exc, lg)
    sys.exit(code)

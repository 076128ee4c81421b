"""`secaudit enroll`: register this machine's signing key with a collector.

    secaudit enroll URL --token T [--key-dir K]          online: the collector answers at once
    secaudit enroll --offline --token T --out REQ.json   a school without a link: the request on USB
    secaudit enroll --response RESP.json [URL]           ...and the collector's answer brought back

The key is created when the key directory has none. Exit 0 enrolled (or the request written), 2 else.
"""

from __future__ import annotations

from typing import Any

import click

from secaudit import pipeline
from secaudit.commands.options import config_option, fail, key_dir_option, lang_option, language
from secaudit.commands.submit import collector_options
from secaudit.errors import SecauditError
from secaudit.i18n import t
from secaudit.safetext import for_terminal


def say(key: str, lang: str, **values: Any) -> str:
    return t("enroll." + key, lang, **values)


def _row(label: str, value: str) -> None:
    click.echo(f"{label + ':':<20} {value}")


def _usage(offline: bool, out: str | None, response: str | None, token: str | None) -> None:
    if offline and response:
        raise click.UsageError("--offline and --response cannot be used together.")
    if offline and not out:
        raise click.UsageError("--offline needs --out REQ.json (where to write the request).")
    if out and not offline:
        raise click.UsageError("--out is only for --offline.")
    if not response and not token:
        raise click.UsageError("--token is required (the code printed by `secaudit collector tokens create`).")
    if response and token:
        raise click.UsageError("--token is not used with --response (the collector has already checked it).")


@click.command("enroll")
@click.argument("url", required=False)
@click.option("--token", default=None, help="Mã đăng ký do collector cấp / the enrollment token.")
@click.option("--offline", is_flag=True, help="Ghi yêu cầu ra tệp thay vì gửi / write the request to a file.")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="With --offline: the request file.")
@click.option("--response", default=None, type=click.Path(dir_okay=False),
              help="Lưu trả lời đăng ký mang về từ collector / store the collector's offline response.")
@key_dir_option
@collector_options
@config_option
@lang_option
def enroll(url: str | None, token: str | None, offline: bool, out: str | None, response: str | None,
           key_dir: str | None, collector: str | None, ca_file: str | None, config_path: str | None,
           lang: str | None) -> None:
    """Đăng ký máy này với collector / enroll this machine with a collector."""
    from secaudit.agent import enroll as en
    from secaudit.agent import link

    lg = language(lang)
    _usage(offline, out, response, token)
    if url and collector:
        raise click.UsageError("Give the collector URL once (argument or --collector).")
    try:
        config = pipeline.load_config(config_path)
        given = url or collector
        info, created = en.ensure_key(key_dir)
        if created:
            click.echo(say("key_created", lg, dir=info.key_dir), err=True)
        if offline:
            assert out is not None and token is not None
            en.write_request(out, en.build_request(token, key_dir))
            click.echo(say("request", lg, out=out))
            _row(say("fingerprint", lg), info.fingerprint)
            click.echo(say("phone", lg))
            return
        if response:
            answer = en.read_response(response, info)
            target = link.check_url(given or config.collector_url) if (given or config.collector_url) else ""
            headline = say("imported", lg, path=response)
        else:
            assert token is not None
            if not (given or config.collector_url):
                raise click.UsageError("Give the collector URL: secaudit enroll URL --token T.")
            target = link.check_url(given or config.collector_url)
            answer = en.enroll_online(target, en.build_request(token, key_dir), info,
                                      ca_file or config.collector_ca_file or None, config.collector_proxy or None)
            headline = say("enrolled", lg, url=target)
        stored = en.store(config, target, answer)
    except SecauditError as exc:
        fail(exc, lg)
    unit = answer["unit"]
    click.echo(headline)
    path = " › ".join(for_terminal(str(p))[:80] for p in unit.get("path") or [])
    name = for_terminal(str(unit.get("name") or ""))[:200]
    code = for_terminal(unit["code"])[:80]
    _row(say("unit", lg), f"{code} — {name}" + (f" ({path})" if path else ""))
    _row(say("agent", lg), info.agent_id)
    _row(say("key", lg), info.key_id)
    _row(say("fingerprint", lg), info.fingerprint)
    _row(say("status", lg), for_terminal(str(answer.get("status") or ""))[:40])
    if isinstance(answer.get("collector_key"), dict):  # pinned: submit checks the collector's signed receipts
        _row(say("receipt_key", lg), for_terminal(answer["collector_key"]["key_id"])[:80])
    _row(say("stored", lg), str(stored))
    if config.unit_code and config.unit_code != unit["code"]:
        click.echo(say("unit_differs", lg, config=for_terminal(config.unit_code), unit=code), err=True)

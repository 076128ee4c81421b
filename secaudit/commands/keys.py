"""`secaudit keys` (init, show, rotate) and `secaudit verify`.

`secaudit verify FILE` without --pubkey uses the key directory's agent.pub plus every public key in
its retired/ folder, so reports signed before a `keys rotate` still verify on the same machine.
A stored receipt (`<name>.receipt.json`) is verified with the collector's key instead: --pubkey, else the
key pinned at enrollment (`enrollment.json` of the config's state directory); the envelope beside it, when
there, must be the one it names.
Exit codes of verify: 0 valid, 1 invalid (wrong key or changed file), 2 unusable input.
"""

from __future__ import annotations

import json
from typing import Any

import click

from secaudit.commands.options import F, config_option, fail, key_dir_option, lang_option, language
from secaudit.errors import SecauditError
from secaudit.i18n import SEVERITY, STATUS, t
from secaudit.safetext import for_terminal


def _clean(value: Any, limit: int = 200) -> str:
    """Untrusted text for a terminal: control and bidi characters escaped, length capped."""
    text = "" if value is None else str(value)
    return for_terminal(text[:limit]) + ("…" if len(text) > limit else "")


def _passphrase_option(fn: F) -> F:
    return click.option("--passphrase-file", default=None, type=click.Path(dir_okay=False),
                        help="Tệp chứa mật khẩu bảo vệ khóa (dòng đầu) / file holding the key passphrase "
                             "(first line); default: $SECAUDIT_KEY_PASSPHRASE.")(fn)


def _row(label: str, value: str) -> None:
    click.echo(f"{label + ':':<26} {value}")


# --- keys --------------------------------------------------------------------------------------


@click.group("keys")
def keys() -> None:
    """Khóa ký báo cáo / report signing key: init | show | rotate."""


@keys.command("init")
@key_dir_option
@_passphrase_option
@lang_option
def keys_init(key_dir: str | None, passphrase_file: str | None, lang: str | None) -> None:
    """Tạo khóa Ed25519 (không ghi đè) / create the Ed25519 key (never overwrites)."""
    from secaudit.sign import keys as k

    lg = language(lang)
    try:
        made = k.init(key_dir, k.resolve_passphrase(passphrase_file))
    except SecauditError as exc:
        fail(exc, lg)
    click.echo(t("sign.created", lg))
    _row(t("sign.key_dir", lg), str(made.key_dir))
    _row(t("sign.key_id", lg), made.key_id)
    _row(t("sign.agent", lg), made.agent_id)
    _row(t("sign.fingerprint", lg), made.fingerprint)
    click.echo(t("sign.phone", lg))


@keys.command("show")
@key_dir_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@lang_option
def keys_show(key_dir: str | None, as_json: bool, lang: str | None) -> None:
    """Khóa công khai, mã khóa, dấu vân tay / public key, key id, fingerprint."""
    from secaudit.sign import keys as k

    lg = language(lang)
    try:
        shown = k.info(key_dir)
        retired = [(p, k.load_public(p)) for p in k.public_keys(shown.key_dir) if p.parent.name == k.RETIRED_DIR]
    except SecauditError as exc:
        fail(exc, lg)
    encrypted = k.is_encrypted(shown.key_dir)
    if as_json:
        click.echo(json.dumps({
            "key_dir": str(shown.key_dir), "key_id": shown.key_id, "fingerprint": shown.fingerprint,
            "agent_id": shown.agent_id, "public_key": shown.public_pem, "private_key_encrypted": encrypted,
            "retired": [{"key_id": k.key_id(pub), "fingerprint": k.fingerprint(pub), "path": str(p)}
                        for p, pub in retired],
        }, ensure_ascii=False, indent=2))
        return
    _row(t("sign.key_dir", lg), str(shown.key_dir))
    _row(t("sign.key_id", lg), shown.key_id)
    _row(t("sign.fingerprint", lg), shown.fingerprint)
    _row(t("sign.agent", lg), shown.agent_id)
    protection = "sign.missing" if encrypted is None else "sign.with_pass" if encrypted else "sign.no_pass"
    _row(t("sign.protected", lg), t(protection, lg))
    if retired:
        click.echo(t("sign.retired", lg) + ":")
        for p, pub in retired:
            click.echo(f"  {k.key_id(pub)}  {k.fingerprint(pub)}  {p}")
    click.echo(shown.public_pem, nl=False)


@keys.command("rotate")
@key_dir_option
@_passphrase_option
@lang_option
def keys_rotate(key_dir: str | None, passphrase_file: str | None, lang: str | None) -> None:
    """Thay khóa mới, giữ khóa công khai cũ / new key; the old public key is kept."""
    from secaudit.sign import keys as k

    lg = language(lang)
    try:
        done = k.rotate(key_dir, k.resolve_passphrase(passphrase_file))
    except SecauditError as exc:
        fail(exc, lg)
    click.echo(t("sign.rotated", lg))
    _row(t("sign.old_key", lg), done.old_key_id)
    _row(t("sign.new_key", lg), done.new_key_id)
    _row(t("sign.fingerprint", lg), done.new_fingerprint)
    _row(t("sign.kept", lg), str(done.retired_pub))
    _row(t("sign.statement", lg), str(done.statement))
    click.echo(t("sign.phone", lg))


# --- verify ------------------------------------------------------------------------------------


def _summary_line(summary: dict[str, Any], lang: str) -> str:
    parts = [f"{STATUS[s][lang]} {summary.get(s, 0)}" for s in STATUS if isinstance(summary.get(s, 0), int)]
    return " · ".join(parts)


def _print_report(payload: dict[str, Any], lang: str) -> None:
    def get(*path: str) -> str:
        obj: Any = payload
        for part in path:
            obj = obj.get(part) if isinstance(obj, dict) else None
        return "" if obj is None or isinstance(obj, dict | list) else _clean(obj)

    def join(*values: str, sep: str = " ") -> str:
        return sep.join(v for v in values if v) or "?"

    _row(t("sign.generated", lang), get("generated_at") or "?")
    _row(t("report.unit", lang), join(get("unit", "code"), get("unit", "name"), sep=" — "))
    _row(t("report.host", lang), get("host", "hostname") or "?")
    _row(t("sign.agent", lang), get("host", "agent_id") or "?")
    title = get("playbook", "title", lang)
    _row(t("report.playbook", lang),
         join(get("playbook", "id"), get("playbook", "version"), f"({title})" if title else ""))
    _row(t("sign.report", lang), f"{get('report_id') or '?'} / {get('sequence') or '?'}")
    summary = payload.get("summary")
    if isinstance(summary, dict):
        _row(t("sign.summary", lang), _summary_line(summary, lang))
        if isinstance(summary.get("score"), int):
            _row(t("report.score", lang), f"{summary['score']}/100")
    findings = payload.get("findings")
    if isinstance(findings, list):
        counts: dict[str, int] = {}
        for f in findings:
            if isinstance(f, dict) and f.get("status") == "fail":
                counts[str(f.get("severity"))] = counts.get(str(f.get("severity")), 0) + 1
        if counts:
            _row(t("sign.failing", lang), " · ".join(
                f"{SEVERITY[s][lang]} {counts[s]}" for s in SEVERITY if s in counts))


def _print_rotation(payload: dict[str, Any], signers: tuple[str, ...], lang: str) -> None:
    click.echo(t("sign.rotation", lang))
    _row(t("sign.old_key", lang), _clean(payload.get("old_key_id")))
    _row(t("sign.new_key", lang), _clean(payload.get("new_key_id")))
    _row(t("sign.rotated_at", lang), _clean(payload.get("rotated_at")))
    _row(t("sign.agent", lang), _clean(payload.get("agent_id")))
    old_signed = payload.get("old_key_id") in signers
    _row(t("sign.signers", lang),
         ", ".join(signers) + " — " + t("sign.old_signed" if old_signed else "sign.old_missing", lang))


def _receipt_keys(file: str, pubkeys: tuple[str, ...], config_path: str | None, lang: str
                  ) -> list[tuple[str, Any]]:
    """(where it came from, public key) for a receipt: the --pubkey files, else the key pinned at enrollment."""
    from secaudit import pipeline
    from secaudit.agent import enroll
    from secaudit.sign import keys as k
    from secaudit.sign.dsse import EnvelopeUnusable

    if pubkeys:
        return [(str(p), k.load_public(str(p))) for p in pubkeys]
    config = pipeline.load_config(config_path)
    pinned = enroll.receipt_key(enroll.load(config))
    if pinned is None:
        raise EnvelopeUnusable(*(t("receipt.no_key", lg, file=file) for lg in ("vi", "en")))
    return [(t("receipt.pinned", lang, path=enroll.enrollment_path(config)), pinned[1])]


def _print_receipt(check: Any, source: str, lang: str) -> None:
    def say(key: str, **args: Any) -> str:
        return t("receipt." + key, lang, **args)

    payload = check.verified.payload
    click.echo(say("valid"))
    _row(say("signer"), check.verified.keyid)
    _row(say("source"), _clean(source, 400))
    for key in ("log_index", "report_id", "sha256", "received_at", "agent", "verdict"):
        field = {"sha256": "envelope_sha256", "agent": "agent_id"}.get(key, key)
        _row(say(key), _clean(payload.get(field)))
    _row(say("envelope"), say("matches", path=_clean(check.envelope, 400)) if check.envelope
         else say("absent"))


@click.command("verify")
@click.argument("file")
@click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(dir_okay=False),
              help="Khóa công khai PEM (có thể lặp lại) / PEM public key (repeatable). "
                   "Default: agent.pub and retired/*.pub of the key directory; for a stored receipt "
                   "(*.receipt.json) the collector key pinned at enrollment.")
@key_dir_option
@config_option
@lang_option
def verify(file: str, pubkeys: tuple[str, ...], key_dir: str | None, config_path: str | None,
           lang: str | None) -> None:
    """Kiểm tra chữ ký báo cáo hoặc biên nhận, không cần mạng / verify a signed report or receipt offline.

    Exit 0 valid, 1 invalid, 2 unusable input."""
    from secaudit.sign import KEYROTATE_TYPE, REPORT_TYPE
    from secaudit.sign import keys as k
    from secaudit.sign.dsse import EnvelopeUnusable
    from secaudit.sign.verify import read_file, signed_receipt, verify_file, verify_receipt

    lg = language(lang)
    try:
        signed = signed_receipt(read_file(file))
        if signed is not None:
            found = _receipt_keys(file, pubkeys, config_path, lg)
            check = verify_receipt(file, signed, [pub for _, pub in found])
            source = next(where for where, pub in found if k.key_id(pub) == check.verified.keyid)
    except SecauditError as exc:
        fail(exc, lg)
    if signed is not None:
        _print_receipt(check, source, lg)
        return
    try:
        paths = [str(p) for p in pubkeys]
        if not paths:
            directory = k.resolve_key_dir(key_dir)
            paths = [str(p) for p in k.public_keys(directory)]
            if not paths:
                raise EnvelopeUnusable(t("sign.no_pubkey", "vi", dir=directory),
                                       t("sign.no_pubkey", "en", dir=directory))
        by_id = {}
        for p in paths:
            pub = k.load_public(p)
            by_id[k.key_id(pub)] = (p, k.fingerprint(pub))
        result = verify_file(file, paths, {REPORT_TYPE, KEYROTATE_TYPE})
    except SecauditError as exc:
        fail(exc, lg)
    click.echo(t("sign.valid", lg))
    path, fp = by_id[result.keyid]
    _row(t("sign.signer", lg), result.keyid)
    _row(t("sign.fingerprint", lg), fp)
    _row(t("sign.pubfile", lg), path)
    if result.payload_type == KEYROTATE_TYPE:
        _print_rotation(result.payload, result.signers, lg)
    else:
        _print_report(result.payload, lg)
    click.echo(t("sign.note", lg))

"""The `render` command: verify signed reports, then render them. Nothing is rendered from an
envelope whose signature does not verify (exit 1) or that cannot be read (exit 2).

One envelope gives that host's report; several envelopes (or --unit) give the consolidated
report of the school, one section per host.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from secaudit.commands.options import fail, format_option, key_dir_option, lang_option, language, output_option
from secaudit.errors import SecauditError
from secaudit.fsutil import safe_name, write_file
from secaudit.i18n import t
from secaudit.report.formats import FORMATS, RenderOptions
from secaudit.safetext import for_terminal
from secaudit.sign import ENVELOPE_SUFFIX


class RenderInputError(SecauditError):
    pass


def _not_report(path: str, what_vi: str, what_en: str) -> RenderInputError:
    return RenderInputError(f"{path} đã được ký hợp lệ nhưng không phải báo cáo secaudit dùng được: {what_vi}.",
                            f"{path} is validly signed but is not a usable secaudit report: {what_en}.")


def check_shape(payload: dict[str, Any], path: str) -> None:
    """The parts of the report contract the renderings rely on (types, not values)."""
    if payload.get("schema") != "secaudit.report/v1":
        raise _not_report(path, "schema không phải secaudit.report/v1", "its schema is not secaudit.report/v1")
    for key in ("unit", "host", "playbook", "summary", "inventory"):
        if not isinstance(payload.get(key), dict):
            raise _not_report(path, f"thiếu đối tượng '{key}'", f"the object '{key}' is missing")
    for key in ("requirements", "findings"):
        items = payload.get(key)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise _not_report(path, f"'{key}' phải là danh sách đối tượng", f"'{key}' must be a list of objects")


def verified_reports(envelopes: list[str], pubkeys: list[str], key_dir: str | None,
                     lang: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(path, payload, {keyid, fingerprint}) of every envelope, each verified before it is parsed."""
    from secaudit.sign import keys as k
    from secaudit.sign.dsse import EnvelopeUnusable
    from secaudit.sign.verify import verify_file

    paths = list(pubkeys)
    if not paths:
        directory = k.resolve_key_dir(key_dir)
        paths = [str(p) for p in k.public_keys(directory)]
        if not paths:
            raise EnvelopeUnusable(t("sign.no_pubkey", "vi", dir=directory), t("sign.no_pubkey", "en", dir=directory))
    prints = {}
    for p in paths:
        pub = k.load_public(p)
        prints[k.key_id(pub)] = k.fingerprint(pub)
    out = []
    for path in envelopes:
        result = verify_file(path, paths)
        check_shape(result.payload, path)
        click.echo(t("render.verified", lang, path=for_terminal(path), keyid=result.keyid), err=True)
        out.append((path, result.payload, {"keyid": result.keyid, "fingerprint": prints.get(result.keyid, "")}))
    return out


def _agent(item: tuple[str, dict[str, Any], dict[str, str]]) -> tuple[str, str]:
    """A host is its agent id and its name: a cloned disk image shares the agent id, not the name."""
    host = item[1]["host"]
    return str(host.get("agent_id") or item[0]), str(host.get("hostname") or "").casefold()


def _rank(payload: dict[str, Any]) -> tuple[int, str]:
    return _int(payload.get("sequence")), str(payload.get("generated_at") or "")


def latest_per_host(items: list[tuple[str, dict[str, Any], dict[str, str]]],
                    lang: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """The newest report of each agent (by sequence, then time): a school submits one per host."""
    best: dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, str]]] = {}
    for item in items:
        current = best.get(_agent(item))
        if current is None or _rank(item[1]) > _rank(current[1]):
            best[_agent(item)] = item
    kept = [item for item in items if best[_agent(item)] is item]
    for item in items:
        if best[_agent(item)] is not item:
            # the signed payload's hostname is the audited system's: any type, any characters
            click.echo(t("render.older", lang, path=for_terminal(item[0]),
                         host=for_terminal(item[1]["host"].get("hostname"))), err=True)
    return kept


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _one_unit(reports: list[dict[str, Any]]) -> None:
    codes = {str(r["unit"].get("code") or "") for r in reports} - {""}
    if len(codes) > 1:
        listed = ", ".join(sorted(codes))[:200]
        raise RenderInputError(f"Các báo cáo thuộc nhiều đơn vị khác nhau ({listed}); báo cáo tổng hợp chỉ cho "
                               "một đơn vị.",
                               f"The reports belong to different units ({listed}); a consolidated report is for "
                               "one unit.")


def default_output(envelopes: list[str], reports: list[dict[str, Any]], fmt: str, unit: bool) -> str:
    if not unit:
        name = Path(envelopes[0]).name
        stem = name[: -len(ENVELOPE_SUFFIX)] if name.endswith(ENVELOPE_SUFFIX) else Path(name).stem
        return safe_name(stem) + FORMATS[fmt].suffix
    code = safe_name(reports[0]["unit"].get("code"), "unit")
    day = safe_name(max(str(r.get("generated_at") or "")[:10] for r in reports).replace("-", ""), "report")
    return f"{code}-{day}{FORMATS[fmt].suffix}"


def write_output(data: bytes, output: str) -> None:
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_file(output, data)


@click.command("render")
@click.argument("envelopes", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option(default="html", show_default=True)
@lang_option
@click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(dir_okay=False),
              help="Khóa công khai PEM của máy đã ký (lặp lại được) / PEM public key (repeatable). "
                   "Default: agent.pub and retired/*.pub of the key directory.")
@key_dir_option
@click.option("--unit", "as_unit", is_flag=True,
              help="Báo cáo tổng hợp của đơn vị (mặc định khi có nhiều tệp) / consolidated unit report.")
@output_option("Tệp kết quả, '-' là đầu ra chuẩn / output file, '-' for standard output "
               "(default: named after the envelope, in the current directory).")
@click.option("--parent", default=None, help="PDF: cơ quan chủ quản, vd. \"Sở Giáo dục và Đào tạo tỉnh Đồng Nai\".")
@click.option("--place", default=None, help="PDF: địa danh của dòng ngày tháng, vd. \"Biên Hòa\".")
@click.option("--symbol", default=None, help="PDF: ký hiệu sau BC-, vd. \"THCSND\".")
@click.option("--recipient", default=None, help="PDF: Kính gửi (mặc định: cơ quan chủ quản).")
@click.option("--signer-title", default=None, help="PDF: chức vụ người ký, vd. \"KT. HIỆU TRƯỞNG\\nPHÓ HIỆU TRƯỞNG\".")
@click.option("--signer-name", default=None, help="PDF: họ và tên người ký.")
@click.option("--blank-date", is_flag=True, help="PDF: để trống ngày, tháng cho văn thư ghi.")
@click.option("--csv-delimiter", type=click.Choice([",", ";"]), default=",", show_default=True,
              help="CSV: ';' cho Excel dùng định dạng vùng Việt Nam.")
def render(envelopes: tuple[str, ...], fmt: str, lang: str | None, pubkeys: tuple[str, ...], key_dir: str | None,
           as_unit: bool, output: str | None, parent: str | None, place: str | None, symbol: str | None,
           recipient: str | None, signer_title: str | None, signer_name: str | None, blank_date: bool,
           csv_delimiter: str) -> None:
    """Kiểm tra chữ ký rồi xuất báo cáo / verify signed reports, then render them.

    Exit 0 rendered, 1 a signature is not valid, 2 unusable input or another error."""
    from secaudit.report.official import DocInfo

    lg = language(lang)
    try:
        items = verified_reports(list(envelopes), list(pubkeys), key_dir, lg)
        unit = as_unit or len(items) > 1
        if unit:
            items = latest_per_host(items, lg)
            _one_unit([payload for _, payload, _ in items])
        reports = [payload for _, payload, _ in items]
        signatures: list[dict[str, str] | None] = [sig for _, _, sig in items]
        doc = DocInfo(parent=parent, place=place, symbol=symbol, recipient=recipient, signer_title=signer_title,
                      signer_name=signer_name, blank_date=blank_date)
        options = RenderOptions(lang=lg, doc=doc, signatures=signatures, csv_delimiter=csv_delimiter)
        form = FORMATS[fmt]
        data = form.render_unit(reports, options) if unit else form.render(reports[0], options)
        target = output or default_output(list(envelopes), reports, fmt, unit)
        write_output(data, target)
    except SecauditError as exc:
        fail(exc, lg)
    if target != "-":
        click.echo(t("render.written", lg, path=target), err=True)

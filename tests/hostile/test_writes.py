"""Class 4, safe writes: a name derived from the audited system never leaves the output directory, an
output is never written through a symlink planted at its path, and a failed write leaves the previous
report whole.

The image's /etc/hostname is the attacker's: it names the default PDF and the signed envelope. Each
case runs the real CLI as a subprocess against a planted `--root` image.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secaudit.fsutil import safe_name
from secaudit.sign import keys as k
from tests.integration.test_planted_root import PLANTED

pytestmark = pytest.mark.integration

EXE = [sys.executable, "-m", "secaudit"]
HOSTILE_NAMES = [
    "../../x",
    "../../../../somewhere/evil",
    "a/b/c",
    "..",
    "a\\..\\..\\b",
    "x\x1b[31my\u202ez\x07",
    "-rf --no-preserve-root",
    ".bashrc",
    "CON",
    "Máy-chủ-Đào-tạo-" + "Đ" * 300,
]


def _run(args: list[str], tmp: Path, cwd: Path | None = None,
         preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "state"), "SECAUDIT_KEY_DIR": str(tmp / "keys"),
           "PYTHONDONTWRITEBYTECODE": "1", "SECAUDIT_LANG": "en"}
    proc = subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=180, env=env,
                          cwd=str(cwd or tmp), preexec_fn=preexec)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _root(make_root: Callable[..., Path], hostname: str) -> Path:
    return make_root({**PLANTED, "etc/hostname": hostname + "\n"})


def _tree(top: Path) -> set[str]:
    """Every name under `top` (files, directories, symlinks), never following a link."""
    out = set()
    for base, dirs, files in os.walk(top):
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(base, name), top))
    return out


def _today_and_tomorrow() -> list[str]:
    now = datetime.now(UTC)
    return [f"{d:%Y%m%d}" for d in (now, now + timedelta(days=1))]


@pytest.mark.parametrize("hostname", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_signed_envelope_named_after_a_hostile_hostname_stays_in_the_output_dir(
        make_root: Callable[..., Path], tmp_path: Path, hostname: str) -> None:
    root = _root(make_root, hostname)
    k.init(tmp_path / "keys", None)
    out = tmp_path / "deep" / "er" / "out"
    before = _tree(tmp_path)
    proc = _run(["audit", "--root", str(root), "--format", "json", "-o", str(out / "r.json"), "--sign"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    created = _tree(tmp_path) - before
    outside = {p for p in created if not p.startswith(("deep", "state"))}
    assert not outside, outside  # nothing beside the output directory and our own state
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 2 and "r.json" in written, written
    envelope = next(name for name in written if name != "r.json")
    assert envelope.startswith(safe_name(hostname, "host") + "-") and envelope.endswith(".secaudit.json")
    assert len(envelope.encode()) < 255
    assert "\x1b" not in envelope and "\u202e" not in envelope and ".." not in envelope
    assert not envelope.startswith((".", "-"))
    verified = _run(["verify", str(out / envelope)], tmp_path)
    assert verified.returncode == 0, verified.stderr


def test_default_pdf_name_from_a_traversal_hostname_stays_in_the_working_dir(
        make_root: Callable[..., Path], tmp_path: Path) -> None:
    root = _root(make_root, "../../../../somewhere/evil")
    cwd = tmp_path / "a" / "b" / "c" / "d" / "work"
    cwd.mkdir(parents=True)
    before = _tree(tmp_path)
    proc = _run(["audit", "--root", str(root), "--format", "pdf", "--no-sign"], tmp_path, cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    pdfs = [p for p in cwd.iterdir() if p.suffix == ".pdf"]
    assert [p.name[: -len("-YYYYMMDD.pdf")] for p in pdfs] == ["somewhere_evil"]
    assert pdfs[0].read_bytes().startswith(b"%PDF")
    created = _tree(tmp_path) - before  # no directory made, nothing beside the PDF but our own state
    assert {p for p in created if not p.startswith("state")} == {os.path.join("a/b/c/d/work", pdfs[0].name)}


@pytest.mark.parametrize("args", [
    ["audit", "--format", "json"],
    ["audit", "--format", "text"],
    ["audit", "--format", "html"],
    ["facts"],
], ids=["json", "text", "html", "facts"])
def test_a_symlink_planted_at_the_output_path_is_replaced_not_followed(
        make_root: Callable[..., Path], tmp_path: Path, args: list[str]) -> None:
    root = _root(make_root, "may-chu")
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.out").symlink_to(victim)
    proc = _run([*args, "--root", str(root), "--no-sign" if args[0] == "audit" else "--lang=en",
                 "-o", str(out / "r.out")], tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert victim.read_text() == "precious\n" and (victim.stat().st_mode & 0o777) == 0o600
    report = out / "r.out"
    assert not report.is_symlink() and report.stat().st_size > 100
    assert sorted(p.name for p in out.iterdir()) == ["r.out"]  # no temporary file left behind


def test_symlinks_planted_at_the_default_pdf_and_envelope_names(make_root: Callable[..., Path],
                                                                tmp_path: Path) -> None:
    root = _root(make_root, "may-chu")
    k.init(tmp_path / "keys", None)
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    cwd = tmp_path / "work"
    cwd.mkdir()
    for day in _today_and_tomorrow():
        (cwd / f"may-chu-{day}.pdf").symlink_to(victim)
    start = datetime.now(UTC)
    for second in range(120):  # every envelope name the next two minutes could take
        (cwd / f"may-chu-{start + timedelta(seconds=second):%Y%m%d-%H%M%S}.secaudit.json").symlink_to(victim)
    proc = _run(["audit", "--root", str(root), "--format", "pdf", "--sign"], tmp_path, cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    assert victim.read_text() == "precious\n"
    pdf = [p for p in cwd.glob("may-chu-*.pdf") if not p.is_symlink()]
    assert len(pdf) == 1 and pdf[0].read_bytes().startswith(b"%PDF")
    envelopes = [p for p in cwd.glob("*.secaudit.json") if not p.is_symlink()]
    assert len(envelopes) == 1 and envelopes[0].stem.endswith("-2.secaudit")
    assert _run(["verify", str(envelopes[0])], tmp_path).returncode == 0


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # a disk that fills up: writes past `limit` bytes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_a_failed_write_leaves_the_previous_report_intact(make_root: Callable[..., Path], tmp_path: Path,
                                                           fmt: str) -> None:
    root = _root(make_root, "may-chu")
    out = tmp_path / "out"
    out.mkdir()
    report = out / "r.out"
    report.write_text("the previous report\n")
    (tmp_path / "state").mkdir()
    _run(["audit", "--root", str(root), "--no-sign", "--format", "json", "-o", str(tmp_path / "warm.json")],
         tmp_path)  # the state file exists before the limit applies
    proc = _run(["audit", "--root", str(root), "--no-sign", "--format", fmt, "-o", str(report)], tmp_path,
                preexec=_file_size_limit(4096))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"Cannot write {report}: File too large."]
    assert report.read_text() == "the previous report\n"
    assert sorted(p.name for p in out.iterdir()) == ["r.out"]

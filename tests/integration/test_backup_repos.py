"""Real restic and borg repositories made by the tests: a good repository passes; a flipped bit
in a restic pack or a borg segment is found and named; bad configurations are clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import need_tool
from tests.integration.backup_support import finding, inventory, make_data, run, verify, write_config

pytestmark = pytest.mark.integration
SECRET = "Kh0ng-L0-Ra-Ngoai-7731"


def _flip(path: Path, offset: int) -> None:
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 0x01
    st = path.stat()
    path.chmod(0o600)
    path.write_bytes(bytes(blob))
    os.utime(path, (st.st_atime, st.st_mtime))


def _restic(tmp_path: Path, snapshots: int = 1) -> tuple[Path, Path, Path]:
    need_tool("restic")
    data = make_data(tmp_path, size=200_000)
    repo, pw = tmp_path / "restic-repo", tmp_path / "restic.pass"
    pw.write_text(SECRET + "\n", encoding="utf-8")
    pw.chmod(0o600)
    env = {"RESTIC_PASSWORD_FILE": str(pw)}
    run(["restic", "-r", str(repo), "init", "-q"], env=env)
    for _ in range(snapshots):
        run(["restic", "-r", str(repo), "backup", "-q", str(data)], env=env)
    return repo, pw, data


def _borg(tmp_path: Path, encryption: str = "repokey") -> tuple[Path, Path, Path]:
    need_tool("borg")
    data = make_data(tmp_path, size=200_000)
    repo, pw = tmp_path / "borg-repo", tmp_path / "borg.pass"
    pw.write_text(SECRET + "\n", encoding="utf-8")
    pw.chmod(0o600)
    env = {"BORG_PASSCOMMAND": f"cat {pw}", "BORG_BASE_DIR": str(tmp_path / "borg-home")}
    run(["borg", "init", "-e", encryption, str(repo)], env=env)
    run(["borg", "create", f"{repo}::one", str(data)], env=env)
    return repo, pw, data


def _restic_set(repo: Path, pw: Path, data: Path, **over):
    return {"name": "Restic", "kind": "restic", "path": str(repo), "password_file": str(pw), "min_count": 1,
            "source": str(data), "drill_files": 5, **over}


def _borg_set(repo: Path, pw: Path, data: Path, **over):
    return {"name": "Borg", "kind": "borg", "path": str(repo), "password_file": str(pw), "min_count": 1,
            "source": str(data), "drill_files": 5, **over}


def test_good_restic_repository(tmp_path):
    repo, pw, data = _restic(tmp_path)
    _code, report, output = verify(write_config(tmp_path, [_restic_set(repo, pw, data)]))
    for cid in ("backup.freshness", "backup.retention", "backup.integrity", "backup.restore_drill",
                "backup.protection"):
        assert finding(report, cid)["status"] == "pass", (cid, finding(report, cid)["message"]["en"])
    inv = inventory(report, "Restic")
    assert inv["copies"][0]["path"].startswith(f"{repo}::") and inv["encryption"] == "repository"
    ver = inv["verification"]
    assert ver["method"] == "restic check --read-data" and ver["fully_verified_at"]
    assert ver["drill"]["method"] == "restic restore" and ver["drill"]["files_compared"] == 5
    assert SECRET not in output and SECRET not in str(report)  # the password never shows


def test_flipped_bit_in_a_restic_pack(tmp_path):
    repo, pw, data = _restic(tmp_path)
    packs = sorted((repo / "data").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)
    victim = packs[-1]
    _flip(victim, victim.stat().st_size // 2)
    code, report, _ = verify(write_config(tmp_path, [_restic_set(repo, pw, data)]))
    f = finding(report, "backup.integrity")
    assert f["status"] == "fail" and code == 1
    assert str(victim) in f["message"]["en"]
    errors = inventory(report, "Restic")["verification"]["errors"]
    assert any(e["file"] == str(victim) and e["problem"] == "checksum_mismatch" for e in errors), errors


def test_restic_rolling_slices(tmp_path):
    repo, pw, data = _restic(tmp_path, snapshots=1)
    cfg = write_config(tmp_path, [_restic_set(repo, pw, data)])
    total = sum(p.stat().st_size for p in (repo / "data").rglob("*") if p.is_file())
    methods = []
    for _ in range(3):
        _, report, _ = verify(cfg, "--budget", str((total + 1) // 2))
        methods.append(inventory(report, "Restic")["verification"]["method"])
    assert methods == ["restic check --read-data-subset=1/2", "restic check --read-data-subset=2/2",
                       "restic check --read-data-subset=1/2"]
    assert inventory(report, "Restic")["verification"]["fully_verified_at"]


def test_restic_bad_configs(tmp_path):
    repo, pw, data = _restic(tmp_path)
    wrong = tmp_path / "wrong.pass"
    wrong.write_text("sai\n", encoding="utf-8")
    cfg = write_config(tmp_path, [
        _restic_set(repo, wrong, data, name="Sai mật khẩu"),
        _restic_set(tmp_path / "nowhere", pw, data, name="Không có kho"),
        _restic_set(repo, tmp_path / "missing.pass", data, name="Thiếu tệp mật khẩu"),
    ])
    _code, report, output = verify(cfg)
    assert "Traceback" not in output
    by_set = {s["set"]: s for s in finding(report, "backup.freshness")["evidence"]["sets"]}
    assert {k: v["status"] for k, v in by_set.items()} == {"Sai mật khẩu": "error", "Không có kho": "error",
                                                          "Thiếu tệp mật khẩu": "error"}
    assert "wrong password" in by_set["Sai mật khẩu"]["error"]["detail"]
    assert "no restic repository" in by_set["Không có kho"]["error"]["detail"]
    assert "missing.pass does not exist" in by_set["Thiếu tệp mật khẩu"]["error"]["detail"]
    assert finding(report, "backup.integrity")["status"] == "error"


def test_good_borg_repository(tmp_path):
    repo, pw, data = _borg(tmp_path)
    _, report, _ = verify(write_config(tmp_path, [_borg_set(repo, pw, data)]))
    for cid in ("backup.freshness", "backup.integrity", "backup.restore_drill", "backup.protection"):
        assert finding(report, cid)["status"] == "pass", (cid, finding(report, cid)["message"]["en"])
    inv = inventory(report, "Borg")
    assert inv["copies"][0]["path"] == f"{repo}::one" and inv["encryption"] == "repokey"
    assert inv["verification"]["method"] == "borg check --verify-data"
    assert inv["verification"]["drill"]["method"] == "borg extract"


def test_flipped_bit_in_a_borg_segment(tmp_path):
    repo, pw, data = _borg(tmp_path)
    segments = [p for p in (repo / "data").rglob("*") if p.is_file()]
    victim = max(segments, key=lambda p: p.stat().st_size)
    _flip(victim, victim.stat().st_size // 2)
    code, report, _ = verify(write_config(tmp_path, [_borg_set(repo, pw, data)]))
    f = finding(report, "backup.integrity")
    assert f["status"] == "fail" and code == 1 and str(victim) in f["message"]["en"]
    # and with a budget too small for --verify-data: the CRC pass still finds it
    cfg = write_config(tmp_path, [_borg_set(repo, pw, data)])
    (tmp_path / "state" / "backup-state.json").unlink()
    _, report, _ = verify(cfg, "--budget", "1KiB")
    ver = inventory(report, "Borg")["verification"]
    assert ver["method"].startswith("borg check --repository-only --max-duration")
    assert any(e["file"] == str(victim) for e in ver["errors"]), ver["errors"]


def test_unencrypted_borg_and_bad_password(tmp_path):
    repo, pw, data = _borg(tmp_path, encryption="none")
    wrong_repo, _wrong_pw, _ = _borg(tmp_path / "b2")
    bad = tmp_path / "bad.pass"
    bad.write_text("sai\n", encoding="utf-8")
    bad.chmod(0o600)
    cfg = write_config(tmp_path, [_borg_set(repo, pw, data), _borg_set(wrong_repo, bad, data, name="Sai")])
    _, report, output = verify(cfg)
    prot = {s["set"]: s for s in finding(report, "backup.protection")["evidence"]["sets"]}
    assert prot["Borg"]["status"] == "warn" and prot["Sai"]["status"] == "error"
    sets = {s["set"]: s for s in finding(report, "backup.freshness")["evidence"]["sets"]}
    assert sets["Sai"]["status"] == "error" and "wrong password" in sets["Sai"]["error"]["detail"]
    assert "Traceback" not in output

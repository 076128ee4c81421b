"""secaudit.pipeline: the one report pipeline. Every command goes through it, nothing imports the CLI,
config and playbooks never import the checks, and the pipeline's steps keep their behaviour."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secaudit import config as cfg
from secaudit import pipeline
from secaudit import playbook as pb
from secaudit.cli import cli
from secaudit.config import CheckCatalog
from secaudit.errors import ConfigError, PlaybookError
from secaudit.report.sample import sample_report

PACKAGE = Path(__file__).resolve().parents[2] / "secaudit"


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (lazy imports inside functions included), and `module.name` for
    each name taken with `from module import name`."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(("secaudit", *path.relative_to(PACKAGE).with_suffix("").parts))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: -node.level]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules() -> dict[str, set[str]]:
    return {path.relative_to(PACKAGE).as_posix(): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_nothing_imports_the_cli_but_main() -> None:
    importers = [name for name, imports in _modules().items() if "secaudit.cli" in imports]
    assert importers == ["__main__.py"]


def test_only_the_pipeline_builds_or_signs_a_report() -> None:
    builders = [name for name, imports in _modules().items() if "secaudit.report.builder" in imports]
    assert builders == ["pipeline.py"]
    signers = [name for name, imports in _modules().items() if "secaudit.sign.sign_report" in imports]
    assert signers == ["pipeline.py"]


def test_config_and_playbooks_never_import_the_checks() -> None:
    modules = _modules()
    for name in ("config.py", "playbook.py"):
        assert not [m for m in modules[name] if m == "secaudit.checks" or m.startswith("secaudit.checks.")], name


def test_no_module_of_the_upper_floors_is_over_600_lines() -> None:
    paths = [*PACKAGE.glob("report/**/*.py"), *PACKAGE.glob("commands/**/*.py"), *PACKAGE.glob("agent/**/*.py"),
             PACKAGE / "cli.py", PACKAGE / "pipeline.py"]
    sizes = {p.relative_to(PACKAGE).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in paths}
    assert {name: n for name, n in sizes.items() if n > 600} == {}


# --- config and playbooks, validated against the checks' catalog ---------------------------------


def test_config_params_are_validated_through_the_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[params."accounts.inactive"]\nmax_dayz = 3\n', encoding="utf-8")
    assert cfg.load_config(str(path)).params == {"accounts.inactive": {"max_dayz": 3}}  # unchecked on its own
    with pytest.raises(ConfigError) as info:
        pipeline.load_config(str(path))
    assert "params.accounts.inactive.max_dayz" in info.value.en and "no such parameter" in info.value.en


def test_config_without_params_never_asks_for_the_catalog(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('role = "server"\n', encoding="utf-8")

    def refuse() -> CheckCatalog:
        raise AssertionError("the checks were loaded for a config without [params]")

    assert cfg.load_config(str(path), refuse).role == "server"


def test_a_playbook_is_checked_against_the_catalog_it_is_given() -> None:
    catalog = pipeline.check_catalog()
    book = pb.load("baseline", catalog)
    assert book.requirements
    missing = next(iter(book.requirements.values())).checks[0]
    smaller = CheckCatalog({cid: p for cid, p in catalog.defaults.items() if cid != missing}, catalog.problem)
    with pytest.raises(PlaybookError) as info:
        pb.load("baseline", smaller)
    assert f"unknown check '{missing}'" in info.value.en


def test_load_playbook_defaults_to_the_config_playbook() -> None:
    config = cfg.AgentConfig(playbook="baseline")
    assert pipeline.load_playbook(None, config).id == "baseline"
    assert pipeline.load_playbook("network", config).id == "network"


# --- write ---------------------------------------------------------------------------------------


def test_emit_writes_the_format_and_returns_the_findings_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    report = sample_report(6)
    out = tmp_path / "r.json"
    code = pipeline.emit(report, pipeline.Output(fmt="json", path=str(out), lang="en"))
    assert json.loads(out.read_text(encoding="utf-8")) == report
    assert code == (1 if report["summary"]["fail"] else 0)
    assert f"{out}" in capsys.readouterr().out


def test_emit_names_a_binary_format_after_the_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.report.formats import FORMATS
    from secaudit.report.formats.interface import Format, RenderOptions

    class Blob(Format):
        name, suffix, binary = "blob", ".blob", True

        def render(self, report: dict[str, Any], options: RenderOptions) -> bytes:
            return b"\x00blob"

        def render_unit(self, reports: list[dict[str, Any]], options: RenderOptions) -> bytes:
            return b"\x00blob"

    monkeypatch.setitem(FORMATS, "blob", Blob())
    monkeypatch.chdir(tmp_path)
    report = sample_report(3, hostname="../PC 07")
    pipeline.emit(report, pipeline.Output(fmt="blob"))
    written = list(tmp_path.glob("*.blob"))
    assert len(written) == 1 and written[0].read_bytes() == b"\x00blob"
    assert written[0].name.startswith("PC_07-")


def test_write_new_never_overwrites(tmp_path: Path) -> None:
    report = sample_report(3)
    first = pipeline.write_new(report, "json", tmp_path, "host-1")
    second = pipeline.write_new(report, "json", tmp_path, "host-1")
    assert first != second and Path(first).name == "host-1.json" and Path(second).name.startswith("host-1-")
    assert json.loads(Path(second).read_text(encoding="utf-8")) == report


# --- every report command goes through the pipeline ----------------------------------------------


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each report the pipeline builds (by mode), then builds it as usual."""
    built: list[str] = []
    real = pipeline.build_report

    def build(snapshot: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(snapshot.mode)
        return real(snapshot, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_report", build)
    return built


def test_audit_and_evaluate_build_through_the_pipeline(spy: list[str], tmp_path: Path, make_root: Any) -> None:
    root = make_root({"etc/passwd": "root:x:0:0::/root:/bin/bash\n", "etc/os-release": "ID=debian\n"})
    config = tmp_path / "c.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    snap = tmp_path / "snap.json"
    runner = CliRunner()
    audited = runner.invoke(cli, ["audit", "--root", str(root), "--config", str(config), "--format", "json",
                                  "-o", str(tmp_path / "a.json"), "--no-sign"])
    assert audited.exit_code in (0, 1), audited.output
    assert runner.invoke(cli, ["facts", "--root", str(root), "-o", str(snap)]).exit_code == 0
    evaluated = runner.invoke(cli, ["evaluate", "--facts", str(snap), "--config", str(config), "--format", "json",
                                    "-o", str(tmp_path / "e.json")])
    assert evaluated.exit_code in (0, 1), evaluated.output
    assert spy == ["root", "replay"]


def test_backup_verify_builds_through_the_pipeline(spy: list[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nrole = "workstation"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["backup", "verify", "--config", str(config), "--format", "json",
                                      "-o", str(tmp_path / "b.json"), "--no-sign"])
    assert result.exit_code in (0, 1), result.output
    assert spy == ["local"]

"""The options every report-writing command shares: one definition each, and `--format` offering
exactly the registry secaudit.report.formats.FORMATS, in every command, with nothing else to edit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from secaudit.cli import cli
from secaudit.report.formats import FORMATS

PACKAGE = Path(__file__).resolve().parents[3] / "secaudit"
REPORT_COMMANDS = {"audit", "evaluate", "backup verify", "scan", "render"}


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
    return found


def _choices(command: click.Command, name: str) -> tuple[str, ...] | None:
    for param in command.params:
        if param.name == name and isinstance(param.type, click.Choice):
            return tuple(str(c) for c in param.type.choices)
    return None


def test_every_report_command_offers_exactly_the_registered_formats() -> None:
    offered = {name: _choices(command, "fmt") for name, command in _commands(cli).items()}
    offered = {name: choices for name, choices in offered.items() if choices is not None}
    assert set(offered) == REPORT_COMMANDS
    for name, choices in offered.items():
        assert choices == tuple(FORMATS), name


def test_shared_options_are_declared_once() -> None:
    """--lang, --format, -o, -v, --sign/--no-sign, --key-dir, --config: spelled only in commands/options.py."""
    spelled = re.compile(r"""click\.option\(\s*(?:["']-\w["'],\s*)?["']"""
                         r"""(--lang|--format|--output|--verbose|--sign/--no-sign|--key-dir|--config)["']""")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() == "commands/options.py":
            continue
        for match in spelled.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE)}: {match.group(1)}")
    assert offenders == []


def test_every_language_option_offers_the_same_languages() -> None:
    for name, command in _commands(cli).items():
        choices = _choices(command, "lang")
        if any(p.name == "lang" for p in command.params):
            assert choices == ("vi", "en"), name


# A format registered in the one dict, before the commands are built, is offered by every command
# and written by the pipeline: nothing else to edit.
_NEW_FORMAT = """
import json
import sys
from secaudit.report import formats
from secaudit.report.formats.interface import Format

class Lines(Format):
    name = "lines"
    suffix = ".lines"
    def render(self, report, options):
        return "".join(f"{f['check_id']} {f['status']}\\n" for f in report["findings"]).encode()
    def render_unit(self, reports, options):
        return b"".join(self.render(r, options) for r in reports)

formats.FORMATS["lines"] = Lines()
from secaudit.cli import cli, main

def walk(group, prefix=""):
    for name, command in group.commands.items():
        yield prefix + name, command
        if hasattr(command, "commands"):
            yield from walk(command, prefix + name + " ")

offering = [name for name, c in walk(cli) for p in c.params if p.name == "fmt" and "lines" in p.type.choices]
print(json.dumps(sorted(offering)))
main(sys.argv[1:])
"""


def test_a_format_registered_in_one_place_is_offered_everywhere(tmp_path: Path, make_root: Any) -> None:
    root = make_root({"etc/passwd": "root:x:0:0::/root:/bin/bash\n", "etc/os-release": "ID=debian\n"})
    snap = tmp_path / "snap.json"
    config = tmp_path / "c.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    out = tmp_path / "report.lines"
    facts = subprocess.run([sys.executable, "-m", "secaudit", "facts", "--root", str(root), "-o", str(snap)],
                           capture_output=True, text=True, timeout=300)
    assert facts.returncode in (0, 2), facts.stderr
    proc = subprocess.run([sys.executable, "-c", _NEW_FORMAT, "evaluate", "--facts", str(snap), "--config",
                           str(config), "--format", "lines", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    offered = json.loads(proc.stdout.splitlines()[0])
    assert set(offered) == REPORT_COMMANDS
    assert proc.returncode in (0, 1), proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines and all(re.fullmatch(r"[a-z_]+\.[a-z0-9_]+ [a-z_]+", line) for line in lines)

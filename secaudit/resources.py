"""Where shipped data lives: inside the installed package, or beside it in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


@cache
def shipped_dir(name: str) -> Path:
    """`playbooks` or `report_templates`: packaged copy first, checkout copy second."""
    for candidate in (_PKG / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(name)


def data_file(name: str) -> Path:
    return _PKG / "data" / name


@cache
def load_yaml(path: str | Path) -> Any:
    """Parse a shipped YAML file once (C loader when available). Shipped data, not audited-system I/O."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_data(name: str) -> Any:
    return load_yaml(data_file(name))

"""Running processes through psutil (this machine only: see facts.common.native)."""

from __future__ import annotations


def psutil_process_names() -> set[str]:
    """Names of the running processes (comm on Linux, the image name on Windows)."""
    import psutil

    names: set[str] = set()
    for proc in psutil.process_iter(["name"]):
        name = proc.info.get("name")
        if name:
            names.add(str(name))
    return names

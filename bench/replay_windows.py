"""Replaying a Windows recording: `secaudit audit --replay` on the base fixture, in a fresh process each run.

Target: under 0.5 s wall on 2 cores (issue 11). Prints the best and median wall time, CPU time and peak RSS
of the whole command (start-up, every collector, every check, the JSON report), and the in-process time of
collection and evaluation alone. Usage: python bench/replay_windows.py [--runs N] [--recording FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "fixtures" / "windows" / "win11-healthy.json"
TARGET = 0.5


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """(wall seconds, cpu seconds, peak RSS in KiB, exit code) of one run of argv."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def in_process(recording: Path, runs: int) -> tuple[float, float]:
    """Median seconds of collect() and of build() (evaluation and report) in this process, warm."""
    from secaudit import pipeline
    from secaudit.config import AgentConfig
    from secaudit.report.builder import build

    config = AgentConfig()
    book = pipeline.load_playbook(None, config)
    collect_s: list[float] = []
    build_s: list[float] = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        snap = pipeline.collect(pipeline.open_transport(replay=str(recording)), config)
        t1 = time.perf_counter()
        build(snap, book, config, "bench", 1)
        t2 = time.perf_counter()
        collect_s.append(t1 - t0)
        build_s.append(t2 - t1)
    return statistics.median(collect_s[1:]), statistics.median(build_s[1:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--recording", type=Path, default=DEFAULT)
    args = parser.parse_args()

    state = tempfile.mkdtemp(prefix="secaudit-bench-")
    out = os.path.join(state, "report.json")
    argv = [sys.executable, "-m", "secaudit", "audit", "--replay", str(args.recording), "--format", "json",
            "--no-sign", "-o", out]
    env = {"SECAUDIT_STATE_DIR": state}
    measure(argv, env)  # warm the page cache
    runs = [measure(argv, env) for _ in range(args.runs)]
    walls = sorted(r[0] for r in runs)
    best = min(runs, key=lambda r: r[0])
    peak = max(r[2] for r in runs)
    collect_s, build_s = in_process(args.recording, args.runs)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"{platform.freedesktop_os_release().get('PRETTY_NAME', '')}, date {datetime.now(UTC):%Y-%m-%d}")
    print(f"recording: {args.recording.name} ({args.recording.stat().st_size / 1024:.0f} KiB)")
    print(f"secaudit audit --replay : wall {best[0]:.3f} s best, {statistics.median(walls):.3f} s median "
          f"of {args.runs}; cpu {best[1]:.3f} s; peak RSS {peak / 1024:.1f} MiB; exit {best[3]}")
    print(f"in process (warm)       : collect {collect_s * 1000:.0f} ms, evaluate + report {build_s * 1000:.0f} ms")
    verdict = "met" if statistics.median(walls) < TARGET else "MISSED"
    print(f"target < {TARGET} s wall: {verdict}")
    for name in os.listdir(state):
        os.unlink(os.path.join(state, name))
    os.rmdir(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())

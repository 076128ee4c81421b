"""Rendering speed on synthetic reports: HTML of a 2,000-finding report (target < 200 ms), Markdown,
SARIF, CSV, the official PDF (WeasyPrint; reported, no target) and a 30-host unit report.

Usage: python bench/render.py [--runs N] [--no-pdf]
Times are wall clock; "warm" is the median of N runs after a first run that compiles the templates.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secaudit.report.render import render, render_unit
from secaudit.report.sample import sample_report


def timed(fn: Callable[[], bytes], runs: int) -> tuple[float, float, int]:
    """(first run ms, median of the next `runs` ms, output bytes)."""
    start = time.perf_counter()
    out = fn()
    first = (time.perf_counter() - start) * 1000
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(samples) if samples else first, len(out)


def cold_html_ms() -> float:
    """A fresh interpreter: imports (Jinja2), template compilation and one HTML rendering."""
    code = ("import time; t=time.perf_counter();"
            "from secaudit.report.render import render; from secaudit.report.sample import sample_report;"
            "r=sample_report(2000, software=500); t1=time.perf_counter(); render(r, 'html', 'vi');"
            "print((time.perf_counter()-t1)*1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parents[1]))
    return float(out.stdout.strip())


def pdf_pages(data: bytes) -> str:
    """Page count from poppler's pdfinfo, when it is installed."""
    import re
    import shutil
    import tempfile

    if not shutil.which("pdfinfo"):
        return "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(data)
        tmp.flush()
        info = subprocess.run(["pdfinfo", tmp.name], capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return match.group(1) if match else "?"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()

    big = sample_report(2000, software=500)
    big_sw = sample_report(2000, software=2000)
    mid = sample_report(200)
    hosts = [sample_report(100, hostname=f"PC-LAB-{i:02d}", seed=i, software=200) for i in range(30)]
    rows: list[tuple[str, float, float, str, str]] = []

    def add(name: str, fn: Callable[[], bytes], runs: int, target: str = "", note: str = "") -> None:
        first, warm, size = timed(fn, runs)
        rows.append((name, first, warm, f"{size / 1024:,.0f} KiB" + (f", {note}" if note else ""), target))

    add("html 2,000 findings, 500 software", lambda: render(big, "html", "vi"), args.runs, "< 200 ms")
    add("html 2,000 findings, 2,000 software", lambda: render(big_sw, "html", "vi"), args.runs, "< 200 ms")
    add("markdown 2,000 findings", lambda: render(big, "md", "vi"), args.runs)
    add("sarif 2,000 findings", lambda: render(big, "sarif", "vi"), args.runs)
    add("csv 2,000 findings", lambda: render(big, "csv", "vi"), args.runs)
    add("html unit, 30 hosts x 100 findings", lambda: render_unit(hosts, "html", "vi"), max(1, args.runs // 2))
    if not args.no_pdf:
        try:
            import weasyprint  # noqa: F401
        except (ImportError, OSError) as exc:
            print(f"PDF skipped: {exc}")
        else:
            data = render(mid, "pdf", "vi")
            add("pdf 200 findings", lambda: render(mid, "pdf", "vi"), 1, "", f"{pdf_pages(data)} pages")
            data = render(big, "pdf", "vi")
            add("pdf 2,000 findings", lambda: render(big, "pdf", "vi"), 0, "", f"{pdf_pages(data)} pages")
    cold = cold_html_ms()

    print(f"{'rendering':<40} {'first ms':>9} {'warm ms':>9}  {'output':<26} target")
    for name, first, warm, size, target in rows:
        print(f"{name:<40} {first:>9.0f} {warm:>9.0f}  {size:<26} {target}")
    print(f"{'html 2,000 findings, fresh process':<40} {cold:>9.0f} {'':>9}  {'(imports + compile)':<26} < 200 ms")
    html_warm = rows[0][2]
    print(f"\nHTML 2,000 findings: {html_warm:.0f} ms warm, {cold:.0f} ms in a fresh process "
          f"({'within' if max(html_warm, cold) < 200 else 'OVER'} the 200 ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

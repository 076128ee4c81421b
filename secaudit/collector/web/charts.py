"""Geometry of the dashboard's SVG charts, computed here so the templates only draw (macros in
report_templates/dashboard/_charts.html.j2): integers in SVG user units, no floats in the markup."""

from __future__ import annotations

from typing import Any

# worst first, as the agent's report ranks them: attested (the school's own "yes") between warn and pass
BAR_ORDER = ("fail", "error", "unknown", "warn", "attested", "pass", "not_applicable")


def status_bar(counts: dict[str, int], width: int = 240, height: int = 14) -> dict[str, Any]:
    """One horizontal bar split by status (worst first); segments keep at least 1 unit when non-zero. The
    segments (status, n) are also the counts the page writes beside the bar. A status missing from `counts`
    (a report's counters have no `attested`) counts 0."""
    total = sum(max(0, int(counts.get(s, 0))) for s in BAR_ORDER)
    segments: list[dict[str, Any]] = []
    x = 0
    if total:
        shown = [s for s in BAR_ORDER if counts.get(s, 0) > 0]
        for i, status in enumerate(shown):
            n = int(counts[status])
            w = width - x if i == len(shown) - 1 else max(1, round(width * n / total))
            w = max(0, min(w, width - x))
            segments.append({"status": status, "n": n, "x": x, "w": w})
            x += w
    return {"width": width, "height": height, "total": total, "segments": segments}


def trend(months: list[dict[str, Any]], width: int = 640, height: int = 180) -> dict[str, Any]:
    """Average score per month (a line, 0..100) over bars of the hosts that reported that month."""
    left, right, top, bottom = 36, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(months)
    step = plot_w // n if n else plot_w
    most = max((int(m.get("hosts") or 0) for m in months), default=0)
    stride = max(1, -(-n // 12))  # at most 12 month labels
    bars, dots, labels = [], [], []
    for i, month in enumerate(months):
        cx = left + i * step + step // 2
        hosts = int(month.get("hosts") or 0)
        bh = round(plot_h * hosts / most) if most else 0
        bw = max(2, step * 3 // 5)
        bars.append({"x": cx - bw // 2, "y": top + plot_h - bh, "w": bw, "h": bh, "hosts": hosts,
                     "month": month["month"]})
        score = month.get("score")
        if score is not None:
            dots.append({"x": cx, "y": top + plot_h - round(plot_h * max(0, min(100, int(score))) / 100),
                         "score": int(score), "month": month["month"]})
        if i % stride == 0:
            labels.append({"x": cx, "text": _month_label(str(month["month"]))})
    grid = [{"y": top + plot_h - plot_h * v // 100, "value": v, "x1": left, "x2": left + plot_w, "tx": left - 4,
             "ty": top + plot_h - plot_h * v // 100 + 4} for v in (0, 50, 100)]
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bars": bars, "dots": dots, "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
            "labels": labels, "grid": grid, "most_hosts": most, "label_y": height - 6}


def _month_label(month: str) -> str:
    """"2026-10" as "10/2026" (the Vietnamese order of month and year)."""
    year, _, mm = month.partition("-")
    return f"{mm}/{year}" if mm else month

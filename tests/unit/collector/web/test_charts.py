"""SVG chart geometry (collector/web/charts.py): integers only, segments that fill the bar exactly, worst
first; the trend's points inside the plot, months labelled MM/YYYY."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from secaudit.collector.web import charts

COUNTS = st.fixed_dictionaries({s: st.integers(0, 10**6) for s in charts.BAR_ORDER})


@given(COUNTS, st.integers(10, 1000))
def test_status_bar_fills_its_width(counts: dict[str, int], width: int) -> None:
    bar = charts.status_bar(counts, width=width)
    segments = bar["segments"]
    assert bar["total"] == sum(counts.values())
    if not bar["total"]:
        assert segments == []
        return
    assert [s["status"] for s in segments] == [s for s in charts.BAR_ORDER if counts[s]]
    assert segments[0]["x"] == 0 and all(isinstance(s["w"], int) and s["w"] >= 0 for s in segments)
    assert all(a["x"] + a["w"] == b["x"] for a, b in itertools.pairwise(segments))
    assert segments[-1]["x"] + segments[-1]["w"] == width


def test_status_bar_small_counts_stay_visible() -> None:
    bar = charts.status_bar({"fail": 1, "pass": 100_000}, width=100)
    assert bar["segments"][0] == {"status": "fail", "n": 1, "x": 0, "w": 1}


@given(st.lists(st.fixed_dictionaries({"hosts": st.integers(0, 10**5),
                                       "score": st.none() | st.integers(-5, 120)}), max_size=40))
def test_trend_points_stay_in_the_plot(rows: list[dict[str, object]]) -> None:
    months = [{**row, "month": f"{2020 + i // 12}-{i % 12 + 1:02d}"} for i, row in enumerate(rows)]
    t = charts.trend(months)
    top, bottom = t["top"], t["top"] + t["plot_h"]
    assert len(t["bars"]) == len(months) and len(t["labels"]) <= 12
    for bar in t["bars"]:
        assert top <= bar["y"] <= bottom and bar["y"] + bar["h"] == bottom and bar["x"] >= t["left"]
    for dot in t["dots"]:
        assert top <= dot["y"] <= bottom and isinstance(dot["x"], int)
    if months:
        assert t["labels"][0]["text"] == "01/2020"

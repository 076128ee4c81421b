"""Access over random unit trees (hypothesis): a web user scoped to one unit of a random tree reads, searches
and exports only its subtree through every page and route: units, hosts, envelopes, search, the device
page, CSV/XLSX/PDF exports; everything else, and every guessed id, is the same 404 page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from tests.unit.collector.web.dashboard_world import PASSWORD, Dashboard, login
from tests.unit.collector.web.random_trees import SHARED_MAC, Planted, Shape, max_ids, plant, shapes

_PLANTED: list[Planted] = []  # earlier examples' trees: their units and hosts must stay out of reach too
NOT_FOUND = "Không tìm thấy trang này."


def _client(board: Dashboard, name: str) -> TestClient:
    client = board.client()
    assert login(client, name, PASSWORD).status_code == 303
    return client


def _leaks(text: str, planted: Planted, others: list[Planted]) -> list[str]:
    """Hostnames and software names outside the user's subtree that appear in a page or export."""
    found = [h for h, (_id, code) in planted.hosts.items() if code not in planted.visible and h in text]
    found += [planted.software(c) for c in planted.codes if c not in planted.visible and planted.software(c) in text]
    for other in others:
        found += [h for h in other.hosts if h in text]
    return found


def _is_404(response: object) -> bool:
    status = getattr(response, "status_code", 0)
    return status == 404 and NOT_FOUND in str(getattr(response, "text", ""))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: each example uploads reports
@given(shape=shapes())
def test_only_the_subtree_is_reachable(dashboard: Dashboard, shape: Shape) -> None:
    planted = plant(dashboard.world, shape)
    others = _PLANTED[-2:]
    _PLANTED.append(planted)
    client = _client(dashboard, planted.user)
    seeded_codes = ["DN", "BH", "BH01", "LK01", "DL", "DL01"]
    for code in planted.codes + seeded_codes + [c for o in others for c in o.codes]:
        page = client.get(f"/units/{code}")
        exported = client.get(f"/exports/units/{code}/summary.csv", params={"table": "hosts"})
        if code in planted.visible:
            assert page.status_code == 200 and exported.status_code == 200, code
            assert not _leaks(page.text, planted, others) and not _leaks(exported.text, planted, others), code
        else:
            assert _is_404(page) and _is_404(exported), code
            assert _is_404(client.get(f"/exports/units/{code}/official.pdf")), code
            assert _is_404(client.get(f"/exports/units/{code}/summary.xlsx")), code
    if planted.codes[shape.scope] == planted.codes[0]:
        overview = client.get("/")
        assert overview.status_code == 200 and not _leaks(overview.text, planted, others)

    all_hosts = {**planted.hosts, **{h: v for o in others for h, v in o.hosts.items()}}
    for hostname, (host_id, code) in all_hosts.items():
        inside = hostname in planted.hosts and code in planted.visible
        host_page = client.get(f"/hosts/{host_id}")
        report_id = (planted.reports if hostname in planted.hosts else
                     next(o.reports for o in others if hostname in o.hosts)).get(hostname)
        envelope = client.get(f"/reports/{report_id}/envelope") if report_id else None
        if inside:
            assert host_page.status_code == 200 and (envelope is None or envelope.status_code == 200), hostname
        else:
            assert _is_404(host_page) and (envelope is None or _is_404(envelope)), hostname

    # search by the MAC every host shares, by hostname, by software; the device page; the search exports
    for q in (SHARED_MAC, "host:h", "sw:pkg", f"x{planted.tree}x"):
        for response in (client.get("/search", params={"q": q}), client.get("/exports/search.csv", params={"q": q}),
                         client.get("/exports/search.xlsx", params={"q": q})):
            assert response.status_code == 200, q
            if not response.headers["content-type"].startswith("application/vnd"):
                assert not _leaks(response.text, planted, others), (q, _leaks(response.text, planted, others))
    search = client.get("/search", params={"q": SHARED_MAC}).text
    mine = [h for h, (_i, code) in planted.hosts.items() if code in planted.visible]
    assert all(h in search for h in mine)
    device = client.get(f"/devices/{SHARED_MAC}")
    if planted.visible & {code for _i, code in planted.hosts.values()}:
        assert device.status_code == 200 and not _leaks(device.text, planted, others)
    elif planted.codes[shape.scope] not in ("DN", "BH"):  # nothing of the subtree had the MAC
        assert _is_404(device) or not _leaks(device.text, planted, others)

    # guessed ids: above every id there is, and malformed ones
    top_host, top_report = max_ids(dashboard.world)
    for path in (f"/hosts/{top_host + 1}", f"/hosts/{top_host + 1000}", f"/reports/{top_report + 1}/envelope",
                 "/hosts/0", "/hosts/-1", "/hosts/1e3", "/reports/abc/envelope", "/units/%00", "/units/" + "x" * 80,
                 "/devices/00:00:00:00:00:00"):
        assert _is_404(client.get(path)), path


def test_guessed_export_names_are_404(dashboard: Dashboard) -> None:
    client = _client(dashboard, "officer-bh")
    for path in ("/exports/units/LK01/official.pdf", "/exports/units/DL/summary.xlsx",
                 "/exports/units/nope/official.pdf"):
        assert _is_404(client.get(path)), path
    assert re.search(r"Biên Hòa", client.get("/units/BH").text)

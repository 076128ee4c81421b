"""The reading pages end to end through the app, on SQLite and PostgreSQL: the overview of the user's scope
(children, requirements, clauses, worst units and hosts, late units with their due date, the trend), a unit,
a host with its failing finding's evidence and remediation, the signing key id and the envelope link, the
language switch, logout; out of scope and unknown answer the same 404 page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from secaudit.collector import users
from secaudit.collector.models import User
from secaudit.collector.web import auth
from tests.unit.collector.web.dashboard_world import PASSWORD, Dashboard, csrf_of, login
from tests.unit.collector.world import DB_KINDS, World, report, url_for, with_attestation


@pytest.fixture(scope="module", params=DB_KINDS)
def board(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Dashboard]:
    made = Dashboard(tmp_path_factory.mktemp("pages"), url_for(request.param))
    yield made
    made.close()


def _section(html: str, ident: str) -> str:
    found = re.search(rf'id="{ident}".*?</table>', html, re.S)
    assert found, ident
    return found.group(0)


def test_overview_shows_the_scope(board: Dashboard) -> None:
    client = board.login("admin")
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Sở GDĐT Đồng Nai" in page.text and "Sở GDĐT Đắk Lắk" not in page.text  # another province
    children = _section(page.text, "children")
    assert "Phòng GDĐT Biên Hòa" in children and "Phòng GDĐT Long Khánh" in children
    assert board.seeded.failing_host in page.text and 'href="/hosts/' in page.text
    assert '<svg class="trend"' in page.text and page.text.count("<circle") == 3  # three months of reports
    assert "VN-ACC-04" in _section(page.text, "requirements") and "I.2.5" in _section(page.text, "clauses")
    assert "Kỳ báo cáo hiện tại" in page.text  # the plan's period and its due date


def test_late_units_with_due_date(board: Dashboard) -> None:
    page = board.login("officer-bh").get("/").text
    late = _section(page, "late")
    assert "BH01" in late and "BH02" in late and "2025-05-30" in late  # Biên Hòa's plan: its last due date
    assert "LK01" not in page


def test_unit_and_host_drill_down(board: Dashboard) -> None:
    client = board.login("officer-bh")
    unit = client.get("/units/BH01")
    assert unit.status_code == 200 and board.seeded.failing_host in unit.text
    host_id = board.seeded.hosts[board.seeded.failing_host]
    host = client.get(f"/hosts/{host_id}")
    assert host.status_code == 200
    finding = re.search(rf'<article class="finding st-fail" id="f-{re.escape(board.seeded.failing_check)}">'
                        r'.*?</article>', host.text, re.S)
    assert finding and "Bằng chứng" in finding.group(0) and "Cách khắc phục" in finding.group(0)
    assert "Guest" in finding.group(0)  # the evidence names the account
    report_id = board.seeded.reports[board.seeded.failing_host]
    assert f'href="/reports/{report_id}/envelope"' in host.text and "ed25519:" in host.text
    envelope = client.get(f"/reports/{report_id}/envelope")
    assert envelope.status_code == 200 and "attachment" in envelope.headers["content-disposition"]
    keyid = json.loads(envelope.content)["signatures"][0]["keyid"]
    assert keyid in host.text
    assert "<h2>Lịch sử báo cáo</h2>" in host.text and host.text.count('/envelope"') == 4  # 3 reports + latest


def test_out_of_scope_and_unknown_are_the_same_404(board: Dashboard) -> None:
    client = board.login("officer-bh")
    missing = client.get("/units/NOPE")
    assert missing.status_code == 404 and "<!DOCTYPE html>" in missing.text
    assert client.get("/units/LK01").text == missing.text.replace("/units/NOPE", "/units/LK01")
    assert client.get("/units/DN").status_code == 404  # above the scope
    for other in ("LK01-SRV", "PC-DL01"):
        assert client.get(f"/hosts/{board.seeded.hosts[other]}").status_code == 404
        assert client.get(f"/reports/{board.seeded.reports[other]}/envelope").status_code == 404
    for bad in ("999999", "abc", "0", "-1", "99999999999999999999999"):
        assert client.get(f"/hosts/{bad}").status_code == 404
    assert client.get("/?page=0").status_code == 400


def test_language_switch_and_logout(board: Dashboard) -> None:
    client = board.login("admin")
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Overview" in english.text and "Per requirement" in english.text
    assert '<html lang="en">' in client.get("/units/BH").text  # remembered in a cookie
    assert '<html lang="vi">' in client.get("/units/BH?lang=vi").text
    out = client.post("/logout", data={"csrf": csrf_of(english.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("kind", DB_KINDS)
def test_unit_page_shows_attested_counts(tmp_path: Path, kind: str) -> None:
    """A school's "yes" to a question no machine can check: the unit page counts it per requirement and
    clause as Tự xác nhận / Attested (the agent's report's word, its own colour class), no pass rate from
    it alone, and says what it means; a unit without attestations shows neither."""
    from fastapi.testclient import TestClient

    from secaudit.collector.app import create_app

    world = World(tmp_path, url_for(kind))
    world.units()
    world.upload(world.agent("LK01"), with_attestation(report(seed=3)))
    world.upload(world.agent("BH01"), report(seed=4, hostname="PC-BH"))
    with world.db.write() as session:
        users.add(session, "officer-dn", "officer", "DN")
        user = session.scalars(select(User).where(User.name == "officer-dn")).one()
        auth.set_password(session, user, PASSWORD)
    with TestClient(create_app(world.db), follow_redirects=False) as client:
        assert login(client, "officer-dn", PASSWORD).status_code == 303
        page = client.get("/units/LK").text
        english = client.get("/units/LK", params={"lang": "en"}).text
        other = client.get("/units/BH").text
    world.db.dispose()
    count = '<span class="count st-attested" title="Tự xác nhận">Tự xác nhận 1</span>'
    row = re.search(r"<tr><td><span class=\"mono\">VN-GOV-02</span>.*?</tr>", _section(page, "requirements"), re.S)
    assert row and count in row.group(0) and '<rect class="st-attested"' in row.group(0)
    assert '<td class="num">–</td>' in row.group(0)  # no pass rate from the school's word alone
    clause = re.search(r"<tr><td>II\.6\.c</td>.*?</tr>", _section(page, "clauses"), re.S)
    assert clause and count in clause.group(0)
    assert 'id="attested-note"' in page and "không tính là Đạt" in page
    assert '<span class="count st-attested" title="Attested">Attested 1</span>' in english
    assert "never a Pass" in english
    assert "st-attested" not in other and 'id="attested-note"' not in other
    css = Path(__file__).resolve().parents[4] / "secaudit" / "collector" / "web" / "static" / "dashboard.css"
    assert ".count.st-attested" in css.read_text(encoding="utf-8")

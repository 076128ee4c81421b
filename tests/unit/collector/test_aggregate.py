"""Which units must report and under which plan: leaves and units with agents, playbooks inherited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from secaudit.collector import aggregate
from secaudit.collector.models import Unit
from tests.unit.collector.world import World


def test_reporting_units_and_their_plans(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.units()
    world.agent("BH")  # a district office with its own PC reports too
    with world.db.read() as s:
        dn = s.scalars(select(Unit).where(Unit.code == "DN")).one()
        got = {u.code: playbook for u, playbook in aggregate._reporting_units(s, dn)}
        assert got == {"BH": "bien-hoa-2024-2025", "BH01": "bien-hoa-2024-2025", "BH02": "bien-hoa-2024-2025",
                       "LK01": "dong-nai-2026"}
        bh01 = s.scalars(select(Unit).where(Unit.code == "BH01")).one()
        assert {u.code: p for u, p in aggregate._reporting_units(s, bh01)} == {"BH01": "bien-hoa-2024-2025"}
        assert aggregate.playbook_cadence("bien-hoa-2024-2025")["kind"] == "school_year"
        assert aggregate.playbook_cadence("no-such-plan") == {} and aggregate.playbook_cadence(None) == {}

"""The history's figures per unit (including its subtree) and month of receipt (index_models.UnitMonth),
kept at ingest so that the dashboard's trend of a province reads its own 12 rows instead of every report;
filled here from the reports already indexed, as index.rebuild_months does. Revision 0005_unit_months,
after 0004_dashboard_indexes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_unit_months'
down_revision = '0004_dashboard_indexes'
branch_labels = None
depends_on = None

FIGURES = ("reports", "hosts", "score_sum", "scored", "fails", "late_reports")
# per report unit and month; a host counts once a month, with its lowest report id of that month
PER_UNIT = """
SELECT r.unit_id, {month}, count(*),
       sum(CASE WHEN r.id IN (SELECT min(r2.id) FROM reports r2 JOIN report_index i2 ON i2.report_id = r2.id
                              WHERE r2.kind = 'audit' GROUP BY i2.host_id, {month2}) THEN 1 ELSE 0 END),
       sum(i.score), count(i.score), sum(i.n_fail), sum(CASE WHEN i.late THEN 1 ELSE 0 END)
FROM reports r JOIN report_index i ON i.report_id = r.id
WHERE r.kind = 'audit'
GROUP BY r.unit_id, {month}
"""


def upgrade() -> None:
    table = op.create_table('unit_months',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('hosts', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.BigInteger(), nullable=False),
    sa.Column('scored', sa.Integer(), nullable=False),
    sa.Column('fails', sa.BigInteger(), nullable=False),
    sa.Column('late_reports', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
    sa.PrimaryKeyConstraint('unit_id', 'month')
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        month, month2 = "to_char(r.received_at, 'YYYY-MM')", "to_char(r2.received_at, 'YYYY-MM')"
    else:
        month, month2 = "substr(r.received_at, 1, 7)", "substr(r2.received_at, 1, 7)"
    paths: dict[int, str] = {row[0]: row[1] for row in conn.execute(sa.text("SELECT id, path FROM units"))}
    totals: dict[tuple[int, str], list[int]] = {}
    for unit_id, m, *figures in conn.execute(sa.text(PER_UNIT.format(month=month, month2=month2))).all():
        ancestors = {int(part) for part in (paths.get(unit_id) or "").strip("/").split("/") if part.isdigit()}
        for ancestor in ancestors:
            entry = totals.setdefault((ancestor, m), [0] * len(FIGURES))
            for i, value in enumerate(figures):
                entry[i] += int(value or 0)
    rows = [{"unit_id": u, "month": m, **dict(zip(FIGURES, values, strict=True))}
            for (u, m), values in sorted(totals.items())]
    for i in range(0, len(rows), 5000):
        op.bulk_insert(table, rows[i:i + 5000])


def downgrade() -> None:
    op.drop_table('unit_months')

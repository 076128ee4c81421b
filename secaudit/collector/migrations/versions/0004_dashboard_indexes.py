"""A covering index for the dashboard overview's two subtree-wide queries (collector/aggregate.py):
aggregate.late (each unit's last audit report and whether one fell in the closed and open periods) and
aggregate.history (reports per month) read (unit_id, kind, received_at, conflict, id) from it instead of
the report rows. Revision 0004_dashboard_indexes, after 0003_web."""

from __future__ import annotations

from alembic import op

revision = '0004_dashboard_indexes'
down_revision = '0003_web'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_reports_unit_kind_received', 'reports', ['unit_id', 'kind', 'received_at', 'conflict', 'id'])


def downgrade() -> None:
    op.drop_index('ix_reports_unit_kind_received', table_name='reports')

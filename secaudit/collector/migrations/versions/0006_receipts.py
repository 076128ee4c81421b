"""Signed, hash-chained receipts (collector/receipts.py): the collector's signing keys, every receipt as
signed, and the chain's head row (log index 0, the all-zero hash: the first receipt's predecessor).
Reports received before this revision keep their unsigned receipts. Revision 0006_receipts, after
0005_unit_months."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_receipts'
down_revision = '0005_unit_months'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table('collector_keys',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key_id')
    )
    chain = op.create_table('receipt_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('log_index', sa.BigInteger(), nullable=False),
    sa.Column('head_sha256', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('receipts',
    sa.Column('log_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('payload_sha256', sa.String(length=64), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['collector_keys.key_id']),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id']),
    sa.PrimaryKeyConstraint('log_index'),
    sa.UniqueConstraint('report_id')
    )
    op.bulk_insert(chain, [{"id": 1, "log_index": 0, "head_sha256": GENESIS}])


def downgrade() -> None:
    op.drop_table('receipts')
    op.drop_table('receipt_chain')
    op.drop_table('collector_keys')

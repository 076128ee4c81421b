"""The quarantine of refused envelopes (collector/quarantine.py). Revision 0007_quarantine, after
0006_receipts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_quarantine'
down_revision = '0006_receipts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('envelope_sha256', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_size', sa.Integer(), nullable=False),
    sa.Column('raw_z', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('envelope_sha256')
    )
    op.create_index('ix_quarantine_received', 'quarantine', ['received_at'])
    op.create_index('ix_quarantine_stored', 'quarantine', ['stored_size'])


def downgrade() -> None:
    op.drop_table('quarantine')

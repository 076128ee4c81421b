"""Index tables (index_models.py): catalog of checks and requirements, hosts, findings and requirement
results as rows, report summaries, rollups per unit subtree, inventory sets stored once, sequence gaps, shared
envelope blobs. Revision 0002_index, after 0001_core."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_index'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=200), nullable=False),
    sa.Column('title_vi', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('check_id')
    )
    op.create_table('envelope_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data_z', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('inv_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_table('requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('req_id', sa.String(length=200), nullable=False),
    sa.Column('clause', sa.Text(), nullable=False),
    sa.Column('title_vi', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('req_id')
    )
    op.create_table('software_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('version', sa.String(length=200), nullable=False),
    sa.Column('publisher', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest')
    )
    with op.batch_alter_table('software_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_software_items_name'), ['name'], unique=False)

    op.create_table('inv_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['inv_sets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inv_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_addresses_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_addresses_mac'), ['mac'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_addresses_set_id'), ['set_id'], unique=False)

    op.create_table('inv_antivirus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=300), nullable=False),
    sa.Column('running', sa.Boolean(), nullable=True),
    sa.Column('realtime', sa.Boolean(), nullable=True),
    sa.Column('signature_time', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['set_id'], ['inv_sets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inv_antivirus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_antivirus_product'), ['product'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_antivirus_set_id'), ['set_id'], unique=False)

    op.create_table('inv_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('vendor', sa.String(length=300), nullable=False),
    sa.Column('names', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['inv_sets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inv_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_devices_set_id'), ['set_id'], unique=False)

    op.create_table('inv_ports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('proto', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('process', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['inv_sets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inv_ports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_ports_port'), ['port'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_ports_set_id'), ['set_id'], unique=False)

    op.create_table('inv_software',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['software_items.id'], ),
    sa.ForeignKeyConstraint(['set_id'], ['inv_sets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inv_software', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_software_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_software_set_id'), ['set_id'], unique=False)

    op.create_table('rollups',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('req_pk', sa.Integer(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('unit_id', 'req_pk', 'status')
    )
    op.create_table('sequence_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_pk', sa.Integer(), nullable=False),
    sa.Column('first', sa.BigInteger(), nullable=False),
    sa.Column('last', sa.BigInteger(), nullable=False),
    sa.Column('noted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_pk'], ['agents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sequence_gaps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sequence_gaps_agent_pk'), ['agent_pk'], unique=False)

    op.create_table('findings',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('check_pk', sa.Integer(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('severity', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['check_pk'], ['checks.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('report_id', 'check_pk')
    )
    op.create_table('hosts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('agent_pk', sa.Integer(), nullable=True),
    sa.Column('hostname', sa.String(length=300), nullable=False),
    sa.Column('os', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('last_report_id', sa.Integer(), nullable=True),
    sa.Column('last_sequence', sa.BigInteger(), nullable=True),
    sa.Column('last_generated_at', sa.DateTime(), nullable=True),
    sa.Column('playbook_id', sa.String(length=128), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('worst', sa.String(length=16), nullable=False),
    sa.Column('counted_path', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['agent_pk'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['last_report_id'], ['reports.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('hosts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hosts_agent_pk'), ['agent_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_hosts_hostname'), ['hostname'], unique=False)
        batch_op.create_index(batch_op.f('ix_hosts_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_hosts_unit_score', ['unit_id', 'score'], unique=False)

    op.create_table('requirement_results',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('req_pk', sa.Integer(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.ForeignKeyConstraint(['req_pk'], ['requirements.id'], ),
    sa.PrimaryKeyConstraint('report_id', 'req_pk')
    )
    op.create_table('host_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('first_report_id', sa.Integer(), nullable=False),
    sa.Column('last_report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], ),
    sa.ForeignKeyConstraint(['set_id'], ['inv_sets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('host_id', 'set_id')
    )
    with op.batch_alter_table('host_sets', schema=None) as batch_op:
        batch_op.create_index('ix_host_sets_set', ['set_id'], unique=False)

    op.create_table('report_index',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('n_pass', sa.Integer(), nullable=False),
    sa.Column('n_warn', sa.Integer(), nullable=False),
    sa.Column('n_fail', sa.Integer(), nullable=False),
    sa.Column('n_unknown', sa.Integer(), nullable=False),
    sa.Column('n_not_applicable', sa.Integer(), nullable=False),
    sa.Column('n_error', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('envelope_stored', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('report_id')
    )
    with op.batch_alter_table('report_index', schema=None) as batch_op:
        batch_op.create_index('ix_report_index_host', ['host_id', 'report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_index', schema=None) as batch_op:
        batch_op.drop_index('ix_report_index_host')

    op.drop_table('report_index')
    with op.batch_alter_table('host_sets', schema=None) as batch_op:
        batch_op.drop_index('ix_host_sets_set')

    op.drop_table('host_sets')
    op.drop_table('requirement_results')
    with op.batch_alter_table('hosts', schema=None) as batch_op:
        batch_op.drop_index('ix_hosts_unit_score')
        batch_op.drop_index(batch_op.f('ix_hosts_unit_id'))
        batch_op.drop_index(batch_op.f('ix_hosts_hostname'))
        batch_op.drop_index(batch_op.f('ix_hosts_agent_pk'))

    op.drop_table('hosts')
    op.drop_table('findings')
    with op.batch_alter_table('sequence_gaps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sequence_gaps_agent_pk'))

    op.drop_table('sequence_gaps')
    op.drop_table('rollups')
    with op.batch_alter_table('inv_software', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_software_set_id'))
        batch_op.drop_index(batch_op.f('ix_inv_software_item_id'))

    op.drop_table('inv_software')
    with op.batch_alter_table('inv_ports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_ports_set_id'))
        batch_op.drop_index(batch_op.f('ix_inv_ports_port'))

    op.drop_table('inv_ports')
    with op.batch_alter_table('inv_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_devices_set_id'))

    op.drop_table('inv_devices')
    with op.batch_alter_table('inv_antivirus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_antivirus_set_id'))
        batch_op.drop_index(batch_op.f('ix_inv_antivirus_product'))

    op.drop_table('inv_antivirus')
    with op.batch_alter_table('inv_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_addresses_set_id'))
        batch_op.drop_index(batch_op.f('ix_inv_addresses_mac'))
        batch_op.drop_index(batch_op.f('ix_inv_addresses_ip'))

    op.drop_table('inv_addresses')
    with op.batch_alter_table('software_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_software_items_name'))

    op.drop_table('software_items')
    op.drop_table('requirements')
    op.drop_table('inv_sets')
    op.drop_table('envelope_blobs')
    op.drop_table('checks')

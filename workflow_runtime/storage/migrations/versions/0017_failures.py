"""failures: dead letters, the runs, events and segment checks that failed alone, with their tracebacks

A batch that fails for a reason of its own is split until the item that fails alone is found;
that item is parked here (a run as `errored`, which needs no schema change: statuses are plain
strings) until someone retries or discards it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 05:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('run', 'event', 'segment_check', name='failurekind', native_enum=False, create_constraint=False, length=32), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('flow_version_id', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.String(length=64), nullable=True),
    sa.Column('run_status', sa.Enum('active', 'waiting', 'completed', 'exited', 'errored', name='runstatus', native_enum=False, create_constraint=False, length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('quarantined', 'retried', 'discarded', name='failurestate', native_enum=False, create_constraint=False, length=32), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failures')),
    sa.UniqueConstraint('kind', 'item_id', name=op.f('uq_failures_kind'))
    )
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.create_index('ix_failures_state', ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.drop_index('ix_failures_state')
    op.drop_table('failures')

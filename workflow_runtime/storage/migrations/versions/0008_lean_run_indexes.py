"""runs: only the indexes the runtime's look-ups need, the wake-up index partial

Every status change writes the run's entry in each index it touches, so fewer indexes
make each batch's UPDATE and INSERT of thousands of runs cheaper. The contact's runs are
read through (contact_id, flow_id); waiting-for and goal look-ups filter those rows.

Revision ID: 0008
Revises: 0007


"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_status_wake_at')
        batch_op.drop_index('ix_runs_contact_id_waiting_for')
        batch_op.drop_index('ix_runs_contact_id_goal_event')
        batch_op.drop_index('ix_runs_flow_id_contact_id')
        batch_op.create_index('ix_runs_wake_at', ['wake_at'], unique=False,
                              postgresql_where=sa.text('wake_at IS NOT NULL'),
                              sqlite_where=sa.text('wake_at IS NOT NULL'))
        batch_op.create_index('ix_runs_contact_id_flow_id', ['contact_id', 'flow_id'], unique=False)


def downgrade():
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_contact_id_flow_id')
        batch_op.drop_index('ix_runs_wake_at')
        batch_op.create_index('ix_runs_flow_id_contact_id', ['flow_id', 'contact_id'], unique=False)
        batch_op.create_index('ix_runs_contact_id_goal_event', ['contact_id', 'goal_event'], unique=False)
        batch_op.create_index('ix_runs_contact_id_waiting_for', ['contact_id', 'waiting_for'], unique=False)
        batch_op.create_index('ix_runs_status_wake_at', ['status', 'wake_at'], unique=False)

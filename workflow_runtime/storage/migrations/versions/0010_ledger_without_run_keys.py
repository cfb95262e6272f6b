"""messages and runs: no foreign keys a batch's writes would check for every row but never need

messages.run_id and messages.flow_version_id lose theirs (deleting a flow clears them in
lifecycle.delete_flow, as ON DELETE SET NULL did); runs.flow_id loses its own (the version's
key already cascades a deleted flow's runs).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 13:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_messages_run_id_runs', type_='foreignkey')
        batch_op.drop_constraint('fk_messages_flow_version_id_flow_versions', type_='foreignkey')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_constraint('fk_runs_flow_id_flows', type_='foreignkey')


def downgrade():
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_runs_flow_id_flows', 'flows', ['flow_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_messages_flow_version_id_flow_versions', 'flow_versions',
                                    ['flow_version_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_messages_run_id_runs', 'runs', ['run_id'], ['id'], ondelete='SET NULL')

"""messages by send node: the index the statistics' drill-down reads

Revision ID: 0005
Revises: 0004


"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_flow_version_id_node_id', ['flow_version_id', 'node_id'], unique=False)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_flow_version_id_node_id')

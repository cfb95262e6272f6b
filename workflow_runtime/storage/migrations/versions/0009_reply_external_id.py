"""message replies: the external id of an email answer (its Message-ID), kept once per message

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_message_replies_message_id'), ['message_id', 'external_id'])


def downgrade():
    with op.batch_alter_table('message_replies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_message_replies_message_id'), type_='unique')
        batch_op.drop_column('external_id')

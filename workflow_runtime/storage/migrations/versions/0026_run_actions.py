"""run_actions: the journey's audit log of what operators did to contacts' runs (move, skip a wait, exit, restart)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 05:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('run_actions',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('run_id', BIG_ID, nullable=False),
    sa.Column('new_run_id', BIG_ID, nullable=True),
    sa.Column('action', sa.Enum('move', 'skip_wait', 'exit', 'restart', name='operatoraction', native_enum=False,
                                create_constraint=False, length=32), nullable=False),
    sa.Column('from_node_id', sa.String(length=64), nullable=False),
    sa.Column('to_node_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_run_actions_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_run_actions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_actions'))
    )
    op.create_index(op.f('ix_run_actions_contact_id'), 'run_actions', ['contact_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_run_actions_contact_id'), table_name='run_actions')
    op.drop_table('run_actions')

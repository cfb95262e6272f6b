"""flow_migrations: moving the contacts who wait in a flow's older versions to the version just published

`POST /api/flows/<id>/publish` with a `move` plan records one with the version; jobs move the waiting
runs a chunk at a time, moving `cursor` on in each chunk's transaction.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # autogenerate writes JSONB(astext_type=Text())
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flow_migrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('to_version_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='migrationstatus', native_enum=False, create_constraint=False, length=32), nullable=False),
    sa.Column('to_move', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.BigInteger(), nullable=False),
    sa.Column('sweep', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=False),
    sa.Column('exited', sa.Integer(), nullable=False),
    sa.Column('stayed', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('touched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['flows.id'], name=op.f('fk_flow_migrations_flow_id_flows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_version_id'], ['flow_versions.id'], name=op.f('fk_flow_migrations_to_version_id_flow_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_migrations'))
    )
    with op.batch_alter_table('flow_migrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_migrations_flow_id'), ['flow_id'], unique=False)
        batch_op.create_index('ix_flow_migrations_status', ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('flow_migrations', schema=None) as batch_op:
        batch_op.drop_index('ix_flow_migrations_status')
        batch_op.drop_index(batch_op.f('ix_flow_migrations_flow_id'))
    op.drop_table('flow_migrations')

"""unapplied_events: a queue table of the events no job has applied, instead of events.processed_at

Setting processed_at rewrote the whole event row and all its index entries (the partial
index on it made the update non-HOT); taking a row out of a narrow queue table costs a
fraction of that. Events unprocessed at upgrade time are queued in it; at downgrade, the
events applied by then get the downgrade's time as their processed_at.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unapplied_events',
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_unapplied_events'))
    )
    op.execute('INSERT INTO unapplied_events (event_id) SELECT id FROM events WHERE processed_at IS NULL')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_unprocessed_received_at',
                            postgresql_where=sa.text('processed_at IS NULL'),
                            sqlite_where=sa.text('processed_at IS NULL'))
        batch_op.drop_column('processed_at')


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_events_unprocessed_received_at', ['received_at'], unique=False,
                              postgresql_where=sa.text('processed_at IS NULL'),
                              sqlite_where=sa.text('processed_at IS NULL'))
    op.execute('UPDATE events SET processed_at = CURRENT_TIMESTAMP '
               'WHERE id NOT IN (SELECT event_id FROM unapplied_events)')
    op.drop_table('unapplied_events')

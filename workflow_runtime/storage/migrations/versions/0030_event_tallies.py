"""event_tallies: each contact's number of events of each name and the latest's time, kept by triggers on events

A segment asking "page_viewed at least 3 times" probed every candidate contact's events, one index probe each
in one process (1.3–1.5 s at a million contacts, bench/README.md `segments.py`); the tallies answer it as one
index range. The table is filled from the events already stored; from then on the triggers on `events`
(workflow_runtime/storage/models/event_tally.py) keep it, whoever writes the events.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from workflow_runtime.storage.models.event_tally import create_triggers, drop_triggers

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_tallies',
        sa.Column('contact_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('contact_id', 'name', name=op.f('pk_event_tallies')),
    )
    op.create_index('ix_event_tallies_name_count', 'event_tallies', ['name', 'count', 'last_at', 'contact_id'],
                    unique=False)
    op.execute('INSERT INTO event_tallies (contact_id, name, count, last_at) '
               'SELECT contact_id, name, count(*), max(timestamp) FROM events GROUP BY contact_id, name')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE event_tallies')  # the segment counts' plans need its statistics from the first count on
    create_triggers(op.get_bind())


def downgrade():
    drop_triggers(op.get_bind())
    op.drop_index('ix_event_tallies_name_count', table_name='event_tallies')
    op.drop_table('event_tallies')

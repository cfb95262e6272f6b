"""events: no (name, timestamp) index; every query of events names its contact

Every event INSERT wrote an entry into ix_events_name_timestamp, and no query reads it:
the runtime, the segments and the contact card all look events up by contact, through
(contact_id, name, timestamp). A report by event name across contacts would bring it back
with the query that needs it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 17:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_name_timestamp')


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_name_timestamp', ['name', 'timestamp'], unique=False)

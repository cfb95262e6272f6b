"""events: the contact/name/time index ends with the id, so "the earliest event after this one" is one index probe

Funnels look for each step's earliest event after the step before's, ties in time broken by id
(`ORDER BY timestamp, id LIMIT 1`); with the id in the index PostgreSQL reads that first entry
instead of sorting each probe's rows (a 4-step funnel over a million events: 1.55 → 1.2 s). Every
query that used the index before still uses it: its columns are a prefix of the new one's.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 01:20:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_contact_id_name_timestamp_id', 'events', ['contact_id', 'name', 'timestamp', 'id'],
                    unique=False)
    op.drop_index('ix_events_contact_id_name_timestamp', table_name='events')


def downgrade():
    op.create_index('ix_events_contact_id_name_timestamp', 'events', ['contact_id', 'name', 'timestamp'], unique=False)
    op.drop_index('ix_events_contact_id_name_timestamp_id', table_name='events')

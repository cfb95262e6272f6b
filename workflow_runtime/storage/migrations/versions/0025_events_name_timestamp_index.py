"""events: an index by name and time, holding the contact, for segments asking "did X within P14D" of every contact

A segment's count asks each event rule of every contact. Through (contact_id, name, timestamp, id)
that is one index probe per contact; through (name, timestamp, contact_id) PostgreSQL reads the
window's events of that name once (an index-only range scan) and joins or hashes their contacts:
"did order_paid within P14D and did_not signed_up" over a million contacts and five million events,
1.5 → 0.5 s. Each event INSERT writes one more index entry; events arrive in time order, so for each
name that entry lands on the index's rightmost page (bench/README.md, `segments.py`, has the
ingestion figures before and after).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 03:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_name_timestamp_contact_id', 'events', ['name', 'timestamp', 'contact_id'], unique=False)


def downgrade():
    op.drop_index('ix_events_name_timestamp_contact_id', table_name='events')

"""contacts.properties: PostgreSQL gathers statistics on it again, now that segment counts filter on it in SQL

Migration 0012 turned them off when no query compared the document (filters ran in Python). The compiled
segment conditions now test it (`properties @> '{"plan": "trial"}'`), and without statistics PostgreSQL
guesses that one contact in a thousand matches any such test. With a third of a million contacts on the
plan, that guess made it probe "page_viewed at least 3 times" contact by contact instead of hashing the
tallies once: 1.1 s against 0.6 s at a million contacts (bench/README.md, `segments.py`). ANALYZE compares
a sample of the documents; the contacts' documents are small.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 18:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE contacts ALTER COLUMN properties SET STATISTICS -1')  # the server's default target
        op.execute('ANALYZE contacts')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE contacts ALTER COLUMN properties SET STATISTICS 0')

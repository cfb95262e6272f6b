"""PostgreSQL gathers no statistics on the JSON documents that no query filters on

ANALYZE (autovacuum's, or an operator's) builds most-common-value lists and histograms
for every column. For a JSONB document that means reading and comparing whole documents,
three quarters of the time ANALYZE spends on `events`, and no plan uses them: the runtime
reads these documents whole and evaluates filters on them in Python, and the drill-down's
test of `runs.path` is a function call, which the planner estimates without statistics.
The one JSON column a query compares as a whole, `messages.statuses` (the drill-down's
containment test), keeps its statistics. SQLite gathers none of these anyway.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 16:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

UNFILTERED_DOCUMENTS = {
    'events': ('properties', 'context'),
    'runs': ('path', 'node_state', 'context', 'waiting_where'),
    'messages': ('content',),
    'contacts': ('properties', 'tags'),
}


def _set_statistics(target: int) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, columns in UNFILTERED_DOCUMENTS.items():
        op.execute(f'ALTER TABLE {table} '
                   + ', '.join(f'ALTER COLUMN {column} SET STATISTICS {target}' for column in columns))


def upgrade():
    _set_statistics(0)


def downgrade():
    _set_statistics(-1)  # the server's default_statistics_target

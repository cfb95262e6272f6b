"""runs: on SQLite, ids never reused (AUTOINCREMENT), so a new run never takes a deleted one's ledger keys

A message's idempotency key names its run's id (`run:<id>:<node>:<visit>:<channel>`), and the send ledger keeps a
deleted flow's messages. SQLite gave a new row the largest id plus one, so after deleting the flow that held the
newest runs a new run could take an old id, meet its old key at a node of the same id, and have its message skipped
as already sent. PostgreSQL's sequence never goes back; SQLite's AUTOINCREMENT does the same (sqlite_sequence keeps
the largest id ever used), and the table is rebuilt to get it. Nothing changes on PostgreSQL.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    _rebuild_runs(autoincrement=True)


def downgrade():
    _rebuild_runs(autoincrement=False)


def _rebuild_runs(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    # The partial index is made again as it was: the rebuild would not carry its WHERE over.
    op.drop_index('ix_runs_wake_at', table_name='runs')
    with op.batch_alter_table('runs', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass
    op.create_index('ix_runs_wake_at', 'runs', ['wake_at'], unique=False, sqlite_where=sa.text('wake_at IS NOT NULL'))

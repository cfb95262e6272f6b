"""node_counters.amount and runs.revenue: numeric without a limit, not numeric(18, 2)

A node's revenue for a day is a sum of any number of conversions, so numeric(18, 2) overflowed
once it passed 10^16 (two orders of 9999999999999998), failing the whole batch that added to it.
PostgreSQL changes the type in place without rewriting the tables (numeric(18, 2) values are
valid numerics); SQLite, which never enforced the precision, copies the tables.

The downgrade has to fit every value back into numeric(18, 2): a sum beyond it is cut to
the largest numeric(18, 2) holds (the old schema cannot keep it), and an amount with more
than two decimals is rounded to cents.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-12 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# The largest value numeric(18, 2) holds.
LARGEST = '9999999999999999.99'
COLUMNS = (('node_counters', 'amount'), ('runs', 'revenue'))


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Numeric(precision=18, scale=2), type_=sa.Numeric())


def downgrade():
    for table, column in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = {LARGEST} WHERE {column} > {LARGEST}")
        op.execute(f"UPDATE {table} SET {column} = -{LARGEST} WHERE {column} < -{LARGEST}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Numeric(), type_=sa.Numeric(precision=18, scale=2))

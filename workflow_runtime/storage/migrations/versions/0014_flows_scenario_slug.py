"""flows: template_slug becomes scenario_slug, named apart from message templates

A flow loaded by `automap scenarios load` remembers which shipped scenario it is a copy of;
"template" now means only a message template.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 19:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


# Two steps each way: SQLite's batch mode copies the table, and a constraint on the new
# name can only be made once the copy has the renamed column.
def upgrade():
    with op.batch_alter_table('flows', schema=None) as batch_op:
        batch_op.drop_constraint('uq_flows_template_slug', type_='unique')
        batch_op.alter_column('template_slug', new_column_name='scenario_slug')
    with op.batch_alter_table('flows', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_flows_scenario_slug', ['scenario_slug'])


def downgrade():
    with op.batch_alter_table('flows', schema=None) as batch_op:
        batch_op.drop_constraint('uq_flows_scenario_slug', type_='unique')
        batch_op.alter_column('scenario_slug', new_column_name='template_slug')
    with op.batch_alter_table('flows', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_flows_template_slug', ['template_slug'])

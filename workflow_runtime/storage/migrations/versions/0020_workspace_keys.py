"""workspace_keys: the site key, server key and identity secret kept in the database, rotatable from the builder

Each row holds a key's current value and, for a grace period after a rotation, the value before
it. Rows are seeded on first use from AUTOMAP_WRITE_KEY / AUTOMAP_SERVER_KEY /
AUTOMAP_IDENTITY_SECRET or the embedded mode's generated secrets; a key an environment variable
sets is read from it and never from this table.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('workspace_keys',
    sa.Column('name', sa.Enum('write_key', 'server_key', 'identity_secret', name='keyname', native_enum=False, create_constraint=False, length=32), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('previous_value', sa.String(length=200), nullable=True),
    sa.Column('previous_valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_workspace_keys'))
    )


def downgrade():
    op.drop_table('workspace_keys')

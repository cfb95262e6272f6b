"""conversations: the operator inbox (one thread per contact, notes, response times); a visitor may write first

Also: users get a display name and an inbox access rule, and a reply may answer no message
(the visitor started the conversation).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 00:10:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=32)


def upgrade():
    op.create_table('conversations',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('status', _enum('open', 'snoozed', 'closed', name='conversationstatus'), nullable=False),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_item', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_conversations_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_conversations_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_conversations_contact_id'))
    )
    op.create_index('ix_conversations_assignee_id_status', 'conversations', ['assignee_id', 'status'], unique=False)
    op.create_index('ix_conversations_status_last_activity_at', 'conversations', ['status', 'last_activity_at'], unique=False)
    op.create_table('conversation_notes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('conversation_id', BIG_ID, nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_conversation_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_notes_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_notes'))
    )
    op.create_index(op.f('ix_conversation_notes_conversation_id'), 'conversation_notes', ['conversation_id'], unique=False)
    op.create_table('conversation_responses',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('conversation_id', BIG_ID, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('message_id', BIG_ID, nullable=False),
    sa.Column('waited_seconds', sa.Double(), nullable=False),
    sa.Column('first_in_opening', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_responses_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_responses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_responses'))
    )
    op.create_index(op.f('ix_conversation_responses_conversation_id'), 'conversation_responses', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_conversation_responses_created_at'), 'conversation_responses', ['created_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('inbox_access', _enum('all', 'assigned', name='inboxaccess'), server_default='all', nullable=False))
    with op.batch_alter_table('message_replies', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=BIG_ID, nullable=True)


def downgrade():
    with op.batch_alter_table('message_replies', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=BIG_ID, nullable=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('inbox_access')
        batch_op.drop_column('name')
    op.drop_index(op.f('ix_conversation_responses_created_at'), table_name='conversation_responses')
    op.drop_index(op.f('ix_conversation_responses_conversation_id'), table_name='conversation_responses')
    op.drop_table('conversation_responses')
    op.drop_index(op.f('ix_conversation_notes_conversation_id'), table_name='conversation_notes')
    op.drop_table('conversation_notes')
    op.drop_index('ix_conversations_status_last_activity_at', table_name='conversations')
    op.drop_index('ix_conversations_assignee_id_status', table_name='conversations')
    op.drop_table('conversations')

"""node_counters: a send node's message counters per channel (`email:read`), and each channel's queue

A popup node's popups and its fallback emails were counted under the same `sent`, `read`, …, so
a card showed "sent 390" for 240 runs. Counters are now named `<channel>:<status>`, and
`<channel>:queued` is a gauge of the messages recorded but not yet delivered nor failed.

The upgrade rebuilds these counters from the send ledger, which knows each message's channel and
statuses: `sent` and the queue's +1 fall on the day the message was recorded, its later statuses
(and the queue's -1) on the day it last changed, since the ledger keeps no date per status. Totals
are exact; only the day a past status is counted on may move. A message failed when it was recorded
(its personalisation failed) never entered the queue. `suppressed` was only ever counted for email.

The downgrade adds the channels' counters back up under the old names and drops the queue gauges.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 19:30:00.000000

"""
from collections import Counter

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

STATUSES = ('sent', 'delivered', 'read', 'clicked', 'replied', 'unsubscribed', 'dismissed', 'failed')
HANDED_OVER = {'delivered', 'failed'}
CHANNELS = ('email', 'chat', 'popup', 'webhook')

counters = sa.table(
    'node_counters', sa.column('flow_version_id', sa.Integer), sa.column('node_id', sa.String),
    sa.column('metric', sa.String), sa.column('day', sa.Date), sa.column('count', sa.BigInteger),
    sa.column('amount', sa.Numeric),
)
messages = sa.table(
    'messages', sa.column('flow_version_id', sa.Integer), sa.column('node_id', sa.String),
    sa.column('channel', sa.String), sa.column('statuses', sa.JSON), sa.column('created_at', sa.DateTime),
    sa.column('updated_at', sa.DateTime),
)


def upgrade():
    bind = op.get_bind()
    rebuilt: Counter = Counter()
    query = sa.select(messages).where(messages.c.flow_version_id.is_not(None), messages.c.node_id.is_not(None))
    for version_id, node_id, channel, statuses, created_at, updated_at in bind.execute(query):
        statuses = list(statuses or [])
        for status in statuses:
            day = created_at.date() if status == 'sent' else updated_at.date()
            rebuilt[version_id, node_id, f'{channel}:{status}', day] += 1
        failed_when_recorded = 'failed' in statuses and updated_at == created_at
        if not failed_when_recorded:
            rebuilt[version_id, node_id, f'{channel}:queued', created_at.date()] += 1
            if HANDED_OVER.intersection(statuses):
                rebuilt[version_id, node_id, f'{channel}:queued', updated_at.date()] -= 1
    op.execute(counters.delete().where(counters.c.metric.in_(STATUSES)))
    op.execute(counters.update().where(counters.c.metric == 'suppressed').values(metric='email:suppressed'))
    _insert(bind, rebuilt)


def downgrade():
    bind = op.get_bind()
    per_channel = [f'{channel}:{status}' for channel in CHANNELS for status in (*STATUSES, 'queued', 'suppressed')]
    folded: Counter = Counter()
    query = sa.select(counters.c.flow_version_id, counters.c.node_id, counters.c.metric, counters.c.day,
                      counters.c.count).where(counters.c.metric.in_(per_channel))
    for version_id, node_id, metric, day, count in bind.execute(query):
        status = metric.partition(':')[2]
        if status != 'queued':
            folded[version_id, node_id, status, day] += count
    op.execute(counters.delete().where(counters.c.metric.in_(per_channel)))
    _insert(bind, folded)


def _insert(bind, rows: Counter) -> None:
    values = [{'flow_version_id': version_id, 'node_id': node_id, 'metric': metric, 'day': day, 'count': count,
               'amount': 0} for (version_id, node_id, metric, day), count in rows.items() if count]
    for start in range(0, len(values), 5000):
        bind.execute(counters.insert(), values[start:start + 5000])

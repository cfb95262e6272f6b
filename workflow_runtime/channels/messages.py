"""Message status changes reported by the channels (delivered, read, clicked, …), counted per node and channel."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow_runtime.engine.counters import QUEUED, CounterBatch, message_metric
from workflow_runtime.storage.database import begin_writing
from workflow_runtime.storage.message_rows import AnyMessage
from workflow_runtime.storage.models import Contact, Message, MessageStatus

# Reaching a later status implies the earlier ones: a clicked email was also read.
IMPLIED = {
    MessageStatus.READ: (MessageStatus.DELIVERED,),
    MessageStatus.CLICKED: (MessageStatus.DELIVERED, MessageStatus.READ),
    MessageStatus.REPLIED: (MessageStatus.DELIVERED, MessageStatus.READ),
    # Closing a popup means the visitor saw it: no email fallback for it.
    MessageStatus.DISMISSED: (MessageStatus.DELIVERED, MessageStatus.READ),
}
# The first of these takes a message out of its channel's queue.
HANDED_OVER = frozenset({MessageStatus.DELIVERED.value, MessageStatus.FAILED.value})


def locked(session: Session, message_id: int) -> Message | None:
    """The message, locked until the caller commits, so two reports at once (a widget's `delivered` and `read`,
    an open and a click) count each status once: a row lock on PostgreSQL, SQLite's write lock taken first."""
    begin_writing(session)
    return session.get(Message, message_id, with_for_update=True)


def record_status(session: Session, message: AnyMessage, status: MessageStatus, now: datetime,
                  counters: CounterBatch | None = None) -> list[str]:
    """Add `status` (and what it implies) to the message, counting each new one once at its node and channel:
    at once, or in `counters` for the caller to flush with others (a delivery job records many outcomes at once).

    Returns the statuses that were new; a repeated report (a second click) counts nothing.
    """
    reached = set(message.statuses or [])
    new = [s.value for s in (*IMPLIED.get(status, ()), status) if s.value not in reached]
    if not new:
        return []
    message.statuses = [*(message.statuses or []), *new]
    message.status = status
    message.updated_at = now
    if message.flow_version_id is not None and message.node_id is not None:
        channel = message.channel.value
        batch = CounterBatch() if counters is None else counters
        for metric in new:
            batch.add(message.flow_version_id, message.node_id, message_metric(channel, metric), now)
        if HANDED_OVER.intersection(new) and not HANDED_OVER.intersection(reached):
            batch.add(message.flow_version_id, message.node_id, message_metric(channel, QUEUED), now, count=-1)
        if counters is None:
            batch.flush(session)
    return new


def unsubscribe(session: Session, message: Message, now: datetime) -> bool:
    """Stop marketing email to the message's contact, counting `unsubscribed` at its node once; True if new."""
    contact = session.get(Contact, message.contact_id)
    if contact is not None and contact.unsubscribed_at is None:
        contact.unsubscribed_at = now
    return bool(record_status(session, message, MessageStatus.UNSUBSCRIBED, now))

"""The statuses of the messages a batch's runs were sent at the node each waits in, read once per channel.

A popup with an email fallback wakes its run to ask whether the popup was seen; a webhook node
wakes it to ask how the call went. Asked run by run, a batch of 500 such runs costs 500
queries (each after writing what the batch recorded so far); asked for the batch's runs
together, it costs one per channel.

Only a status found is answered from what was read: a message is never deleted, and a batch
never changes a status (deliverers, the widget and tracking do, in their own transactions, and
reading them a moment earlier is as good as reading them now). A message not found may be one
this batch records after the read, so its key is looked up on its own (`RunContext.message_status`).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.storage.bulk import Prepared
from workflow_runtime.storage.models import Message, MessageStatus
from workflow_runtime.storage.models.run import step_key
from workflow_runtime.storage.run_rows import AnyRun

_STATUSES = Prepared(lambda in_list: select(Message.idempotency_key, Message.status)
                     .where(in_list(Message.idempotency_key, "keys")))


def message_key(run: AnyRun, channel: str) -> str:
    """The ledger key of the message the run sends on `channel` at its current node, in this visit."""
    return f"{step_key(run.id, run.node_id, run.visits)}:{channel}"


class ChunkStatuses:
    """The statuses of the messages of `runs` at their current nodes, fetched once per channel when first asked."""

    def __init__(self, session: Session, runs: Sequence[AnyRun]) -> None:
        self._session = session
        self._runs = runs
        self._loaded: dict[str, dict[str, MessageStatus]] = {}

    def found(self, run: AnyRun, channel: str) -> MessageStatus | None:
        """The status of the run's message on `channel` at its node, if it was stored when first asked."""
        if channel not in self._loaded:
            keys = [message_key(each, channel) for each in self._runs]
            statuses = _STATUSES.bound(self._session, keys=keys)
            self._loaded[channel] = {key: status for key, status in self._session.connection().execute(*statuses)}
        return self._loaded[channel].get(message_key(run, channel))

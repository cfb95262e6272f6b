"""Ledger messages as plain rows for the delivery jobs: read with Core, settled in Python, written back in bulk.

A delivery job reads every email it claimed to render it, and settles each after its hand-over
(delivered, failed, retried), hundreds a second; an ORM object costs several times a plain one
to load, and the unit of work an UPDATE per changed object. The claim protocol
(`channels.delivery`) and `channels.messages.record_status` read and set the same attributes on a
MessageRow as on an ORM `Message`, as the batches do for runs and contacts (see `run_rows`), so
the API and the status reports keep the ORM.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from workflow_runtime.storage import bulk
from workflow_runtime.storage.json_columns import load_json
from workflow_runtime.storage.models import Channel, DeliveryState, Message, MessageStatus

MESSAGES = Message.__table__
COLUMNS: tuple[str, ...] = tuple(column.key for column in MESSAGES.columns)
# What delivering and settling a message changes; the rest is written once, by its send node.
CHANGING = ("status", "statuses", "delivery_state", "next_attempt_at", "attempts", "last_error", "updated_at")
# What settling a hand-over's outcome reads: the changing columns, and the node and channel it is counted at.
SETTLING = ("id", "flow_version_id", "node_id", "channel", *CHANGING)


class MessageRow(bulk.StoredRow):
    """One message's row as a delivery job read it; remembers what it read, to write only changed messages."""

    __slots__ = COLUMNS
    COLUMNS = COLUMNS
    CHANGING = CHANGING

    id: int
    idempotency_key: str
    contact_id: int
    run_id: int | None
    flow_version_id: int | None
    node_id: str | None
    channel: Channel
    status: MessageStatus
    content: dict[str, Any]
    statuses: list[Any]
    delivery_state: DeliveryState
    next_attempt_at: datetime | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"MessageRow(id={self.id}, delivery_state={self.delivery_state})"


# What the claim protocol settles: a delivery job's MessageRow, or an ORM Message (the API, status reports).
AnyMessage = Message | MessageRow


# Every column, the content as its JSON text: the messages of one send node carry the same content (the node's whole
# email body, often kilobytes), so `load` parses each text once instead of once per message.
_MESSAGES = bulk.Prepared(lambda in_list: select(*(cast(column, Text) if column.key == "content" else column
                                                   for column in MESSAGES.columns)).where(in_list(MESSAGES.c.id, "ids")))
_SETTLING = bulk.Prepared(lambda in_list: select(*(MESSAGES.c[column] for column in SETTLING))
                          .where(in_list(MESSAGES.c.id, "ids")).order_by(MESSAGES.c.id).with_for_update())


class MessageRows:
    """The messages a delivery job read; `write` stores those it settled."""

    def __init__(self) -> None:
        self._rows: list[MessageRow] = []

    def load(self, session: Session, message_ids: Iterable[int]) -> dict[int, MessageRow]:
        """These messages by id, every column; messages with the same content share one (read-only) dict of it."""
        rows = self._load(session, _MESSAGES, message_ids, COLUMNS)
        parsed: dict[Any, dict[str, Any]] = {}  # by JSON text
        for row in rows.values():
            if row.content not in parsed:
                parsed[row.content] = load_json(row.content)
            row.content = parsed[row.content]
        return rows

    def load_for_settling(self, session: Session, message_ids: Iterable[int]) -> dict[int, MessageRow]:
        """These messages by id, only what settling them needs (`SETTLING`: not their content), their rows locked in
        id order until the commit, so a status reported meanwhile (`channels.messages.locked`) waits instead of being
        overwritten."""
        return self._load(session, _SETTLING, message_ids, SETTLING)

    def _load(self, session: Session, query: bulk.Prepared, message_ids: Iterable[int],
              columns: tuple[str, ...]) -> dict[int, MessageRow]:
        rows = [MessageRow.loaded(values, columns)
                for values in session.connection().execute(*query.bound(session, ids=set(message_ids))).all()]
        self._rows.extend(rows)
        return {row.id: row for row in rows}

    def write(self, session: Session) -> None:
        """UPDATE the messages whose delivery or statuses changed, in one statement."""
        bulk.update_changed(session, MESSAGES, self._rows)

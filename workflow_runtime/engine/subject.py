"""A contact as the filter language sees it, read from the database on demand."""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.engine.chunk_events import ChunkEvents
from workflow_runtime.engine.filters import evaluate
from workflow_runtime.storage.contact_rows import AnyContact
from workflow_runtime.storage.models import FlowVersion, Message, Segment

# A segment may refer to another; a cycle of segments must end rather than recurse forever.
MAX_SEGMENT_DEPTH = 8


class ContactSubject:
    """Implements filters.FilterSubject for one contact; message rules read the messages of one
    run (inside a flow) or of one flow. Event rules read the contact's events from `events`, the
    events of the batch's contacts read together, or on their own without it."""

    def __init__(self, session: Session, contact: AnyContact, now: datetime, flow_id: int | None = None,
                 segment_depth: int = 0, run_id: int | None = None,
                 before_messages: Callable[[], None] | None = None, events: ChunkEvents | None = None) -> None:
        self._session = session
        self._contact = contact
        self._now = now
        self._flow_id = flow_id
        self._segment_depth = segment_depth
        self._run_id = run_id
        # Writes the messages the caller's batch has recorded but not inserted yet, before they are read.
        self._before_messages = before_messages
        self._events = events if events is not None else ChunkEvents(session, ())

    @cached_property
    def properties(self) -> Mapping[str, Any]:
        return {**(self._contact.properties or {}), **self._contact.builtin_fields()}

    def events(self, name: str, since: datetime | None) -> Iterable[Mapping[str, Any]]:
        return self._events.of(self._contact.id, name, since)

    def in_segment(self, segment_id: int) -> bool:
        segment = self._session.get(Segment, segment_id)
        if segment is None or self._segment_depth >= MAX_SEGMENT_DEPTH:
            return False
        nested = ContactSubject(self._session, self._contact, self._now, self._flow_id, self._segment_depth + 1,
                                before_messages=self._before_messages, events=self._events)
        return evaluate(segment.filter, nested, self._now)

    def message_statuses(self, node_id: str) -> Collection[str]:
        if self._before_messages is not None:
            self._before_messages()
        if self._run_id is not None:
            query = select(Message.statuses).where(Message.run_id == self._run_id, Message.node_id == node_id)
            return {status for statuses in self._session.scalars(query) for status in statuses}
        if self._flow_id is None:
            return set()
        query = (
            select(Message.statuses)
            .join(FlowVersion, FlowVersion.id == Message.flow_version_id)
            .where(
                Message.contact_id == self._contact.id,
                Message.node_id == node_id,
                FlowVersion.flow_id == self._flow_id,
            )
        )
        return {status for statuses in self._session.scalars(query) for status in statuses}

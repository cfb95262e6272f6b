"""Many contacts as the filter language sees them: a chunk's events read once per (name, window) the
condition asks about, so a chunk of 500 costs a handful of queries, not 500 × rules.

Contact lists, segment counts and broadcasts evaluate the one condition language this way
(workflow_runtime.engine.filters), chunk by chunk in contact order.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from workflow_runtime.engine.chunk_events import ChunkEvents
from workflow_runtime.engine.filters import Predicate, compile_condition
from workflow_runtime.engine.subject import MAX_SEGMENT_DEPTH
from workflow_runtime.storage.models import Contact, Segment

CHUNK = 500


def matching(session: Session, predicate: Predicate, contacts: Sequence[Contact], now: datetime,
             segments: SegmentFilters | None = None) -> list[Contact]:
    """The contacts of one chunk that `predicate` (a compiled condition) selects at `now`, in their order."""
    events = ChunkEvents(session, [contact.id for contact in contacts])
    segments = segments or SegmentFilters(session)
    return [contact for contact in contacts if predicate(ChunkSubject(contact, events, segments, now), now)]


class SegmentFilters:
    """Segment conditions compiled once per search; a missing segment matches nobody."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._compiled: dict[int, Predicate | None] = {}

    def predicate(self, segment_id: int) -> Predicate | None:
        """The segment's compiled condition, or None if there is no such segment."""
        if segment_id not in self._compiled:
            segment = self._session.get(Segment, segment_id)
            self._compiled[segment_id] = compile_condition(segment.filter) if segment else None
        return self._compiled[segment_id]


class ChunkSubject:
    """filters.FilterSubject for one contact of a chunk: events from the chunk's prefetch.

    Like workflow_runtime.engine.subject.ContactSubject outside a flow, a segment rule evaluates
    the segment's condition now, and message rules (which name a send node of a flow) see
    no messages.
    """

    def __init__(self, contact: Contact, events: ChunkEvents, segments: SegmentFilters, now: datetime,
                 depth: int = 0) -> None:
        self._contact = contact
        self._events = events
        self._segments = segments
        self._now = now
        self._depth = depth

    @cached_property
    def properties(self) -> Mapping[str, Any]:
        return {**(self._contact.properties or {}), **self._contact.builtin_fields()}

    def events(self, name: str, since: datetime | None) -> Iterable[Mapping[str, Any]]:
        return self._events.of(self._contact.id, name, since)

    def in_segment(self, segment_id: int) -> bool:
        predicate = self._segments.predicate(segment_id)
        if predicate is None or self._depth >= MAX_SEGMENT_DEPTH:
            return False
        nested = ChunkSubject(self._contact, self._events, self._segments, self._now, self._depth + 1)
        return predicate(nested, self._now)

    def message_statuses(self, node_id: str) -> Collection[str]:
        return set()

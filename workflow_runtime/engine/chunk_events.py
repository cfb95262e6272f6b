"""The events of many contacts, read once per (name, window) for all of them.

An event rule ("did viewed_pricing twice within P30D") reads a contact's events of one
name since one moment. Asked contact by contact, a batch of 500 runs through such a
condition costs 500 queries; asked for the batch's contacts together, it costs one. A
batch evaluates every rule at one `now`, so the window start is the same for all of them.

Used by contact lists, segment counts and broadcasts (chunk_subject) and by the runtime's
batches (batches.advance_all, through subject.ContactSubject). The filter language re-checks
each event's window and `where` rules itself, so this only has to return what a query for
the one contact would return.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.storage.bulk import any_of
from workflow_runtime.storage.models import Event


class ChunkEvents:
    """The events of a chunk of contacts, fetched once per (name, window) for the whole chunk.

    What is stored is read when first asked. Whoever stores an event of one of these contacts
    while the chunk is in use (a flow's step that closes a conversation records
    `conversation_closed`) must `forget` that contact: from then on its events are read afresh
    each time, as they would have been without the chunk. So are those of a contact outside the
    chunk; a chunk of no contacts is how one contact's events are read on demand.
    """

    def __init__(self, session: Session, contact_ids: Collection[int]) -> None:
        self._session = session
        self._contact_ids = list(contact_ids)
        self._covered = set(self._contact_ids)
        self._loaded: dict[tuple[str, datetime | None], dict[int, list[Mapping[str, Any]]]] = {}

    def forget(self, contact_id: int) -> None:
        """The contact's stored events changed: read them afresh from now on."""
        self._covered.discard(contact_id)

    def of(self, contact_id: int, name: str, since: datetime | None) -> list[Mapping[str, Any]]:
        """The contact's events called `name` at or after `since`."""
        if contact_id not in self._covered:
            return self._read([contact_id], name, since).get(contact_id, [])
        key = (name, since)
        if key not in self._loaded:
            self._loaded[key] = self._read(self._contact_ids, name, since)
        return self._loaded[key].get(contact_id, [])

    def _read(self, contact_ids: list[int], name: str, since: datetime | None) -> dict[int, list[Mapping[str, Any]]]:
        query = select(Event.contact_id, Event.properties, Event.timestamp).where(
            any_of(self._session, Event.contact_id, contact_ids), Event.name == name
        )
        if since is not None:
            query = query.where(Event.timestamp >= since)
        by_contact: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for owner, properties, timestamp in self._session.execute(query):
            by_contact[owner].append({"properties": properties, "timestamp": timestamp})
        return by_contact

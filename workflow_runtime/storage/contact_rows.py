"""Contacts as plain rows for the batch jobs: read with Core, written back only if a step changed them.

A batch reads every contact its runs or events belong to, and an ORM object costs several
times a plain one to load; steps rarely change a contact (update_contact sets properties and
tags). The interpreter reads and sets the same attributes on a ContactRow as on an ORM
`Contact`, as it does for runs (see `run_rows`), so the API and ingestion keep the ORM.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.storage import bulk
from workflow_runtime.storage.models import Contact
from workflow_runtime.storage.models.contact import builtin_fields

CONTACTS = Contact.__table__
COLUMNS: tuple[str, ...] = tuple(column.key for column in CONTACTS.columns)
# What steps change (update_contact); the rest comes from ingestion and the API.
CHANGING = ("properties", "tags")


class ContactRow(bulk.StoredRow):
    """One contact's row as a batch read it; remembers what it read, to write only changed contacts."""

    __slots__ = COLUMNS
    COLUMNS = COLUMNS
    CHANGING = CHANGING

    id: int
    user_id: str | None
    email: str | None
    phone: str | None
    name: str | None
    time_zone: str | None
    properties: dict[str, Any]
    tags: list[Any]
    first_seen_at: datetime
    last_seen_at: datetime
    unsubscribed_at: datetime | None

    def builtin_fields(self) -> dict[str, Any]:
        """The first-class fields, as the filter language sees them next to `properties`."""
        return builtin_fields(self)

    def __repr__(self) -> str:
        return f"ContactRow(id={self.id})"


# What the interpreter reads a contact from: a batch's ContactRow, or an ORM Contact (the bench's baseline).
AnyContact = Contact | ContactRow


_CONTACTS = bulk.Prepared(lambda in_list: select(*CONTACTS.columns).where(in_list(CONTACTS.c.id, "ids")))
_LOCKED_CONTACTS = bulk.Prepared(lambda in_list: select(*CONTACTS.columns).where(in_list(CONTACTS.c.id, "ids"))
                                 .order_by(CONTACTS.c.id).with_for_update(key_share=True))


class ContactRows:
    """The contacts a batch read; `write` stores those a step changed."""

    def __init__(self) -> None:
        self._rows: list[ContactRow] = []

    def load(self, session: Session, contact_ids: Iterable[int], lock: bool = False) -> dict[int, ContactRow]:
        """These contacts by id; with `lock`, their rows locked in id order (one statement: a fixed
        order cannot deadlock).

        FOR NO KEY UPDATE: it keeps two jobs (or a job and an ingestion batch rewriting the
        contact) apart, while ingestion goes on inserting the contacts' new events, whose
        foreign-key checks only wait for FOR UPDATE (see identity.py for the whole protocol).
        """
        contacts = (_LOCKED_CONTACTS if lock else _CONTACTS).bound(session, ids=set(contact_ids))
        rows = [ContactRow.loaded(values) for values in session.connection().execute(*contacts).all()]
        self._rows.extend(rows)
        return {row.id: row for row in rows}

    def write(self, session: Session) -> None:
        """UPDATE the contacts whose properties or tags changed, in one statement."""
        bulk.update_changed(session, CONTACTS, self._rows)

"""Merging one contact into another: every row that points at the source moves to the target.

The rows are found through the tables' foreign keys to `contacts.id`, so a table added
later (by any part of automap) moves too. Where a unique key includes the contact
(a segment membership), a row the target already has wins and the source's copy goes
with the source. The caller holds both contacts' row locks and merges their fields.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Column, Table, and_, delete, exists, update
from sqlalchemy.orm import Session

from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import Base, Contact


def contact_references() -> Iterator[tuple[Table, Column]]:
    """Every (table, column) with a foreign key to contacts.id."""
    contacts_id = Contact.__table__.c.id
    for table in Base.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column is contacts_id:
                yield table, foreign_key.parent


def _unique_keys(table: Table, column: Column) -> list[list[Column]]:
    """The unique column sets of `table` that include `column`."""
    keys = [list(table.primary_key.columns)]
    keys += [list(constraint.columns) for constraint in table.constraints
             if constraint.__visit_name__ == "unique_constraint"]
    keys += [list(index.columns) for index in table.indexes if index.unique]
    keys += [[c] for c in table.columns if c.unique]
    return [key for key in keys if any(c is column for c in key)]


def _move(session: Session, table: Table, column: Column, source_id: int, target_id: int) -> None:
    """Point the source's rows at the target, except those a unique key says the target already has."""
    conditions = [column == source_id]
    for key in _unique_keys(table, column):
        theirs = table.alias()
        conditions.append(~exists().where(
            theirs.c[column.name] == target_id,
            *[theirs.c[other.name] == other for other in key if other is not column],
        ))
    session.execute(update(table).where(and_(*conditions)).values({column.name: target_id}))


def merge_contact_rows(session: Session, source_id: int, target_id: int) -> list[int]:
    """Move everything of contact `source_id` to `target_id` and delete the source.

    Returns the moved events no job has applied yet: a job that was about to apply them
    finds their old contact gone and leaves them, so the caller queues them again.
    """
    unapplied = unapplied_events.event_ids(session, contact_id=source_id)
    for table, column in contact_references():
        _move(session, table, column, source_id, target_id)
    session.execute(delete(Contact).where(Contact.id == source_id))
    return unapplied

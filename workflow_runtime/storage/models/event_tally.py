"""How many times each contact did each event, and when last: kept by the database itself.

A segment asking "page_viewed at least 3 times" of a million contacts used to count each candidate's events,
one index probe per contact in one process; with the tallies it reads one index range, `(name, count, ...)`,
and hashes the contacts found (bench/README.md, `segments.py`). Braze and Customer.io keep the same per-user
event counts for their segments.

Triggers on `events` keep the tallies, so every way an event is written or removed (ingestion, imports, a
contact merge moving its events, erasing a contact, a forecast's scratch copy) keeps them right without knowing
of them: an INSERT adds to each contact and name it touched (one upsert per statement on PostgreSQL, per row on
SQLite); a DELETE or an UPDATE counts its pairs again (PostgreSQL) or takes one off and puts one on (SQLite).
There is no foreign key to contacts: a merge moves a contact's rows table by table, and the tallies follow the
events instead.

A tally counts events of any time, but filters count those up to now: the compiler reads a tally only when its
last event is not after now, and counts the few others again from `events` (workflow_runtime.engine.filter_sql).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base


class EventTally(Base):
    """A contact's number of events of one name, and the time of the latest."""

    __tablename__ = "event_tallies"
    __table_args__ = (
        # "At least 3 times" is the range count >= 3 of one name; the rest of the columns make it index-only.
        Index("ix_event_tallies_name_count", "name", "count", "last_at", "contact_id"),
    )

    contact_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int]
    last_at: Mapped[datetime]


_POSTGRESQL_TRIGGERS = (
    # The events an INSERT added, grouped, in key order so that concurrent inserts lock tallies in one order.
    """CREATE FUNCTION event_tallies_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO event_tallies AS tally (contact_id, name, count, last_at)
        SELECT contact_id, name, count(*), max(timestamp) FROM added_events
        GROUP BY contact_id, name ORDER BY contact_id, name
        ON CONFLICT (contact_id, name) DO UPDATE
        SET count = tally.count + excluded.count, last_at = greatest(tally.last_at, excluded.last_at);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER event_tallies_add AFTER INSERT ON events REFERENCING NEW TABLE AS added_events
    FOR EACH STATEMENT EXECUTE FUNCTION event_tallies_add()""",
    # The tallies of distinct (contact, name) pairs counted again from what `events` holds now.
    """CREATE FUNCTION event_tallies_recount(pair_contacts integer[], pair_names text[]) RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM event_tallies tally USING unnest(pair_contacts, pair_names) AS pair (contact_id, name)
        WHERE tally.contact_id = pair.contact_id AND tally.name = pair.name;
        INSERT INTO event_tallies (contact_id, name, count, last_at)
        SELECT events.contact_id, events.name, count(*), max(events.timestamp)
        FROM events JOIN unnest(pair_contacts, pair_names) AS pair (contact_id, name)
        ON events.contact_id = pair.contact_id AND events.name = pair.name
        GROUP BY events.contact_id, events.name;
    $$""",
    """CREATE FUNCTION event_tallies_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM event_tallies_recount(array_agg(contact_id), array_agg(name))
        FROM (SELECT DISTINCT contact_id, name FROM removed_events) AS pairs;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER event_tallies_removed AFTER DELETE ON events REFERENCING OLD TABLE AS removed_events
    FOR EACH STATEMENT EXECUTE FUNCTION event_tallies_removed()""",
    # Only the rows whose contact, name or time changed: a merge moving a contact's events.
    """CREATE FUNCTION event_tallies_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM event_tallies_recount(array_agg(contact_id), array_agg(name)) FROM (
            SELECT DISTINCT pair.contact_id, pair.name
            FROM moved_from AS before JOIN moved_to AS after USING (id),
                 LATERAL (VALUES (before.contact_id, before.name), (after.contact_id, after.name))
                 AS pair (contact_id, name)
            WHERE (before.contact_id, before.name, before.timestamp)
                  IS DISTINCT FROM (after.contact_id, after.name, after.timestamp)
        ) AS pairs;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER event_tallies_moved AFTER UPDATE ON events
    REFERENCING OLD TABLE AS moved_from NEW TABLE AS moved_to
    FOR EACH STATEMENT EXECUTE FUNCTION event_tallies_moved()""",
)

# SQLite has row triggers only: one event on, one event off (the latest time found again through the
# (contact_id, name, timestamp) index).
_SQLITE_ADD = """INSERT INTO event_tallies (contact_id, name, count, last_at) VALUES ({row}.contact_id, {row}.name, 1,
        {row}.timestamp)
        ON CONFLICT (contact_id, name) DO UPDATE SET count = count + 1, last_at = max(last_at, excluded.last_at);"""
_SQLITE_REMOVE = """UPDATE event_tallies SET count = count - 1, last_at = coalesce((SELECT max(timestamp) FROM events
        WHERE contact_id = {row}.contact_id AND name = {row}.name), last_at)
        WHERE contact_id = {row}.contact_id AND name = {row}.name;
        DELETE FROM event_tallies WHERE contact_id = {row}.contact_id AND name = {row}.name AND count <= 0;"""
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER event_tallies_add AFTER INSERT ON events BEGIN {_SQLITE_ADD.format(row='NEW')} END",
    f"CREATE TRIGGER event_tallies_removed AFTER DELETE ON events BEGIN {_SQLITE_REMOVE.format(row='OLD')} END",
    f"""CREATE TRIGGER event_tallies_moved AFTER UPDATE OF contact_id, name, timestamp ON events
    WHEN OLD.contact_id IS NOT NEW.contact_id OR OLD.name IS NOT NEW.name OR OLD.timestamp IS NOT NEW.timestamp
    BEGIN {_SQLITE_REMOVE.format(row='OLD')} {_SQLITE_ADD.format(row='NEW')} END""",
)

_DROP = {
    "postgresql": ("DROP TRIGGER event_tallies_add ON events", "DROP TRIGGER event_tallies_removed ON events",
                   "DROP TRIGGER event_tallies_moved ON events", "DROP FUNCTION event_tallies_add()",
                   "DROP FUNCTION event_tallies_removed()", "DROP FUNCTION event_tallies_moved()",
                   "DROP FUNCTION event_tallies_recount(integer[], text[])"),
    "sqlite": ("DROP TRIGGER event_tallies_add", "DROP TRIGGER event_tallies_removed",
               "DROP TRIGGER event_tallies_moved"),
}


def create_triggers(connection: Connection) -> None:
    """Make the triggers on `events` that keep the tallies (the tables must exist)."""
    _run(connection, _POSTGRESQL_TRIGGERS if connection.dialect.name == "postgresql" else _SQLITE_TRIGGERS)


def drop_triggers(connection: Connection) -> None:
    """Remove what create_triggers made."""
    _run(connection, _DROP[connection.dialect.name])


def _run(connection: Connection, statements: Iterable[str]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)


@event.listens_for(Base.metadata, "after_create")
def _triggers_with_the_tables(metadata: Any, connection: Connection, **kw: Any) -> None:
    """`create_all` (a forecast's scratch database) makes the triggers with the two tables, as migration 0030 does."""
    created = {table.name for table in kw.get("tables", ())}
    if {"events", "event_tallies"} <= created:
        create_triggers(connection)

"""The event tallies (a contact's number of events of a name, and the latest's time) stay what `events` holds, however
events are written, removed or moved: with the schema the migrations build and with the one `create_all` builds (a
forecast's scratch database), on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import schema_sessions
from workflow_runtime.ingest.contact_merge import merge_contact_rows
from workflow_runtime.storage.bulk import insert_rows
from workflow_runtime.storage.models import Contact, Event, EventTally
from workflow_runtime.storage.schema import downgrade, upgrade

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def created(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """Sessions on contacts, events and tallies made by `create_all`, as a forecast's scratch database is."""
    yield from schema_sessions(request, tmp_path_factory, "event_tallies", (Contact, Event, EventTally))


def _counted_from_events(session: Session) -> dict[tuple[int, str], tuple[int, datetime]]:
    rows = session.execute(select(Event.contact_id, Event.name, func.count(), func.max(Event.timestamp))
                           .group_by(Event.contact_id, Event.name))
    return {(contact_id, name): (count, _utc(last)) for contact_id, name, count, last in rows}


def _tallies(session: Session) -> dict[tuple[int, str], tuple[int, datetime]]:
    return {(tally.contact_id, tally.name): (tally.count, tally.last_at) for tally in session.scalars(select(EventTally))}


def _utc(value: datetime | str) -> datetime:
    """max() of a SQLite DATETIME column is the stored text."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _event(contact_id: int, name: str, hours_ago: float, **fields: object) -> Event:
    return Event(contact_id=contact_id, name=name, timestamp=NOW - hours_ago * HOUR, properties={}, **fields)


def _assert_tallied(session: Session, expected: dict[tuple[int, str], tuple[int, datetime]]) -> None:
    session.flush()
    session.expire_all()
    assert _tallies(session) == _counted_from_events(session) == expected


def _write_and_remove(session: Session) -> None:
    """Inserts one at a time and many in a statement, out of time order; deletes that leave a pair or end it."""
    session.add_all([Contact(id=number, first_seen_at=NOW, last_seen_at=NOW) for number in (1, 2)])
    session.flush()
    session.add_all([_event(1, "page_viewed", 5), _event(1, "page_viewed", 1), _event(2, "order_paid", 3)])
    session.flush()
    insert_rows(session, Event.__table__, [
        {"contact_id": 1, "name": "page_viewed", "timestamp": NOW - 9 * HOUR, "properties": {}, "context": {},
         "received_at": NOW},
        {"contact_id": 2, "name": "order_paid", "timestamp": NOW + HOUR, "properties": {}, "context": {},
         "received_at": NOW},
        {"contact_id": 2, "name": "signed_up", "timestamp": NOW - 20 * HOUR, "properties": {}, "context": {},
         "received_at": NOW},
    ])
    _assert_tallied(session, {(1, "page_viewed"): (3, NOW - HOUR), (2, "order_paid"): (2, NOW + HOUR),
                              (2, "signed_up"): (1, NOW - 20 * HOUR)})

    session.execute(delete(Event).where(Event.contact_id == 1, Event.timestamp == NOW - HOUR))  # the latest
    session.execute(delete(Event).where(Event.name == "signed_up"))  # a pair's only event
    _assert_tallied(session, {(1, "page_viewed"): (2, NOW - 5 * HOUR), (2, "order_paid"): (2, NOW + HOUR)})

    session.execute(update(Event).values(page_title="Pricing"))  # nothing a tally holds
    session.execute(update(Event).where(Event.contact_id == 2, Event.timestamp == NOW + HOUR)
                    .values(timestamp=NOW - 30 * HOUR))
    _assert_tallied(session, {(1, "page_viewed"): (2, NOW - 5 * HOUR), (2, "order_paid"): (2, NOW - 3 * HOUR)})


def test_tallies_follow_inserts_deletes_and_updates_in_a_created_schema(created: sessionmaker[Session]) -> None:
    with created() as session:
        _write_and_remove(session)
        session.rollback()


def test_tallies_follow_a_merge_and_an_erased_contact_in_the_migrated_schema(session: Session) -> None:
    _write_and_remove(session)
    session.add(Contact(id=3, first_seen_at=NOW, last_seen_at=NOW))
    session.flush()
    session.add_all([_event(3, "page_viewed", 2), _event(3, "login", 4)])
    session.flush()

    merge_contact_rows(session, source_id=3, target_id=1)  # contact 3's events move to contact 1
    _assert_tallied(session, {(1, "page_viewed"): (3, NOW - 2 * HOUR), (1, "login"): (1, NOW - 4 * HOUR),
                              (2, "order_paid"): (2, NOW - 3 * HOUR)})

    session.execute(delete(Contact).where(Contact.id == 1))  # erased: its events go with it, and so do its tallies
    _assert_tallied(session, {(2, "order_paid"): (2, NOW - 3 * HOUR)})


def test_the_migration_tallies_the_events_already_stored_and_its_downgrade_removes_the_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrating.db'}"
    engine = create_engine(url)
    upgrade(url, "0029")
    event_sql = ("INSERT INTO events (contact_id, name, properties, timestamp, received_at, context) "
                 "VALUES (1, :name, '{}', :at, '2026-12-07 12:00:00.000000', '{}')")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO contacts (id, properties, tags, first_seen_at, last_seen_at) "
                                "VALUES (1, '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        for name, at in (("page_viewed", "2026-12-01 10:00:00.000000"), ("page_viewed", "2026-12-03 10:00:00.000000"),
                         ("login", "2026-12-02 10:00:00.000000")):
            connection.execute(text(event_sql), {"name": name, "at": at})

    upgrade(url, "0030")
    tallies = "SELECT contact_id, name, count, last_at FROM event_tallies ORDER BY name"
    with engine.begin() as connection:
        assert connection.execute(text(tallies)).all() == [(1, "login", 1, "2026-12-02 10:00:00.000000"),
                                                           (1, "page_viewed", 2, "2026-12-03 10:00:00.000000")]
        connection.execute(text(event_sql), {"name": "login", "at": "2026-12-04 10:00:00.000000"})
        assert connection.execute(text(tallies)).all()[0] == (1, "login", 2, "2026-12-04 10:00:00.000000")

    downgrade(url, "0029")
    with engine.begin() as connection:
        connection.execute(text(event_sql), {"name": "login", "at": "2026-12-05 10:00:00.000000"})  # no trigger left
        assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == 5
    engine.dispose()

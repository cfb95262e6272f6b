"""Writes sent without waiting (workflow_runtime.storage.write_behind): seen by the next statement, committed
with the transaction, and their errors raised before anything else runs or commits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_runtime.storage import write_behind
from workflow_runtime.storage.models import Contact

INSERT = ("INSERT INTO contacts (user_id, properties, tags, first_seen_at, last_seen_at) "
          "VALUES (%(user_id)s, '{}', '[]', now(), now())")
INSERT_EVENT = ("INSERT INTO events (contact_id, name, properties, timestamp, received_at, context) "
                "VALUES (%(contact_id)s, 'page', '{}', now(), now(), '{}')")


@pytest.fixture
def pg_session(session: Session) -> Session:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("write-behind pipelines PostgreSQL writes only (set AUTOMAP_DATABASE_URL)")
    return session


def contacts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Contact))


def test_sent_writes_are_read_back_in_the_transaction_and_committed(pg_session: Session) -> None:
    for user_id in ("a", "b", "c"):
        write_behind.send(pg_session, INSERT, {"user_id": user_id})
    assert contacts(pg_session) == 3
    write_behind.send(pg_session, INSERT, {"user_id": "d"})
    pg_session.commit()
    assert contacts(pg_session) == 4


def test_a_failed_write_is_raised_by_the_next_statement_and_rolled_back(pg_session: Session) -> None:
    write_behind.send(pg_session, INSERT, {"user_id": "a"})
    write_behind.send(pg_session, INSERT, {"user_id": "a"})
    with pytest.raises(IntegrityError, match="uq_contacts_user_id"):
        contacts(pg_session)
    pg_session.rollback()
    assert contacts(pg_session) == 0  # the connection left pipeline mode and works on


def test_a_failed_write_fails_the_commit(pg_session: Session) -> None:
    write_behind.send(pg_session, INSERT, {"user_id": "a"})
    write_behind.send(pg_session, INSERT_EVENT, {"contact_id": 2**31 - 1})  # no such contact
    with pytest.raises(IntegrityError, match="fk_events_contact_id_contacts"):
        pg_session.commit()
    pg_session.rollback()
    assert contacts(pg_session) == 0

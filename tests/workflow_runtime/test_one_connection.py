"""database.one_connection: a thread's transactions on one held connection, replaced once the server drops it."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.storage.database import one_connection, session_factory

BACKEND = text("SELECT pg_backend_pid()")
HELD = text("SELECT count(*) FROM contacts WHERE name = 'held'")
ADD = text("INSERT INTO contacts (name, properties, tags, first_seen_at, last_seen_at) "
           "VALUES ('held', '{}', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")


def _connection_of(session: Session) -> object:
    return session.connection().connection.dbapi_connection


def test_every_transaction_runs_on_the_one_connection_and_commits_or_rolls_back_alone(session: Session) -> None:
    engine = session.get_bind()
    sessions = session_factory(engine)
    checked_out = engine.pool.checkedout()
    with one_connection(sessions) as held:
        with held.begin() as first:
            connection = _connection_of(first)
        assert engine.pool.checkedout() == checked_out + 1  # kept between transactions, not given back to the pool
        with pytest.raises(RuntimeError), held.begin() as failing:
            failing.execute(ADD)
            raise RuntimeError("rolled back")
        with held.begin() as committing:
            assert _connection_of(committing) is connection
            assert not committing.expire_on_commit  # the options of `sessions` kept
            assert committing.scalar(HELD) == 0
            committing.execute(ADD)
    assert engine.pool.checkedout() == checked_out
    with sessions() as other:
        assert other.scalar(HELD) == 1


def test_a_connection_the_server_drops_fails_one_transaction_and_the_next_reconnects(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("only a server database drops a connection (AUTOMAP_DATABASE_URL; CI sets it)")
    sessions: sessionmaker[Session] = session_factory(session.get_bind())
    with one_connection(sessions) as held:
        with held.begin() as before:
            dropped = before.scalar(BACKEND)
        with sessions.begin() as admin:
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        with pytest.raises(OperationalError), held.begin() as failing:
            failing.scalar(BACKEND)
        with held.begin() as after:
            assert after.scalar(BACKEND) not in (None, dropped)

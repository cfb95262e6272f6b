"""A batch's bulk writes sent without waiting for them, so PostgreSQL stores one chunk of runs
while the worker advances the next.

In psycopg's pipeline mode a statement goes to the server at once and `execute` returns
without its result: the server executes it on its own core while Python goes on. The
writes sent this way (a batch's runs, messages, contacts and counters) have no result
anyone reads; their errors are raised when the pipeline settles. It settles before the
connection runs any other statement and before it commits (listeners `install` puts on
the engine), so the rest of the code, SQLAlchemy included, never sees a pipeline, and a
batch still commits all or nothing. A rollback abandons it: whatever it held is rolled back with the rest.
"""
from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# The open pipeline's ExitStack, in the DBAPI connection's info (one per connection).
_PIPELINE = "automap.write_behind"
# What an error names as its statement: the writes sent are not known one by one any more.
_SENT = "(writes sent without waiting, see workflow_runtime.storage.write_behind)"


def install(engine: Engine) -> None:
    """Settle a connection's pipeline before anything else runs on it and before it commits."""
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "before_cursor_execute", _settle_before_statement)
    event.listen(engine, "commit", settle)
    event.listen(engine, "rollback", _abandon)


def send(session: Session, statement: str, params: dict[str, Any]) -> None:
    """Send a PostgreSQL write whose result nobody reads, without waiting for it (psycopg's paramstyle)."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if _PIPELINE not in connection.info:
        pipeline = ExitStack()
        pipeline.enter_context(driver.pipeline())
        connection.info[_PIPELINE] = pipeline
    driver.cursor().execute(statement, params)


def settle(connection: Connection) -> None:
    """Wait for every write sent and leave pipeline mode; raises the first write's error, if any,
    as SQLAlchemy's exception for it (IntegrityError, …), as if the write had waited."""
    pipeline = connection.info.pop(_PIPELINE, None)
    if pipeline is None:
        return
    try:
        pipeline.close()
    except psycopg.Error as error:
        raise DBAPIError.instance(_SENT, None, error, psycopg.Error) from error


def _settle_before_statement(connection: Connection, *_args: Any) -> None:
    settle(connection)


def _abandon(connection: Connection) -> None:
    """Leave pipeline mode before a rollback; an error of a write sent is the rollback's reason, not news.
    A connection the server dropped has nothing to leave (and reading it would hide why it was dropped)."""
    if connection.invalidated:
        return
    try:
        settle(connection)
    except DBAPIError as error:
        log.debug("a write sent without waiting failed before the rollback: %s", error.orig)

"""Engines and sessions for code that runs outside a web request (workers, CLI, tests)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Select, Table, column, create_engine, event, func, select, text
from sqlalchemy import table as table_
from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.storage import write_behind
from workflow_runtime.storage.json_columns import load_json


def configure_engine(engine: Engine) -> Engine:
    """Make SQLite behave like a server database (foreign keys on, WAL, wait on locks); let
    PostgreSQL batches write behind (`write_behind`)."""
    write_behind.install(engine)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def engine_options(url: str) -> dict[str, Any]:
    """create_engine() options for `url`, shared by Flask-SQLAlchemy and the workers."""
    if url.startswith("sqlite"):
        # The embedded server shares the file between request and worker threads.
        return {"connect_args": {"check_same_thread": False, "timeout": 5}, "json_deserializer": load_json}
    # In UTC, psycopg hands timestamps back already in `timezone.utc`: UTCDateTime has nothing to convert.
    return {"pool_pre_ping": True, "json_deserializer": load_json, "connect_args": {"options": "-c TimeZone=UTC"}}


def make_engine(url: str) -> Engine:
    """An engine for `url`, configured as the app's is."""
    return configure_engine(create_engine(url, **engine_options(url)))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (jobs read results back)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def one_connection(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """`sessions` for a thread's run of short transactions, all on one connection held until the block ends.

    A pooled session checks a connection out and pings it for every transaction: on PostgreSQL a round trip, and
    about a tenth of the CPU of a delivery ledger's group commit. A connection the server drops meanwhile fails the
    transaction under way, and the next one reconnects (SQLAlchemy replaces an invalidated connection once it is
    rolled back).
    """
    options = {key: value for key, value in sessions.kw.items() if key != "bind"}
    with sessions.kw["bind"].connect() as connection:
        yield sessionmaker(connection, class_=sessions.class_, **options)


def begin_writing(session: Session) -> None:
    """On SQLite, take the database's one write lock now (BEGIN IMMEDIATE), so what this transaction
    reads stays true until it commits; PostgreSQL's row locks and sequences need nothing here.

    The sqlite3 driver opens a transaction only at a transaction's first write, which takes the lock:
    a transaction already open holds it, and needs no second BEGIN."""
    if session.get_bind().dialect.name == "sqlite" and not session.connection().connection.dbapi_connection.in_transaction:
        session.execute(text("BEGIN IMMEDIATE"))


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` new primary keys for `table`, in order, so rows can be INSERTed with a plain executemany.

    PostgreSQL takes them from the table's serial sequence. SQLite counts on from the
    largest id (for an AUTOINCREMENT table, the largest ever used: a deleted run's id is
    never given again), which needs the transaction to hold the write lock (`begin_writing`).
    """
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # One row holding an array: no per-row result work.
        return sorted(session.connection().scalar(_reserving(session, table), {"count": count}))
    largest = session.connection().scalar(_largest_id(table))
    return list(range(largest + 1, largest + 1 + count))


@lru_cache(maxsize=64)
def _largest_id(table: Table) -> Select[Any]:
    """The largest id stored in `table` (0 if none) on SQLite; for an AUTOINCREMENT table, the largest ever used."""
    largest = select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
    if not table.dialect_options["sqlite"]["autoincrement"]:
        return select(largest)
    sequence = table_("sqlite_sequence", column("name"), column("seq"))
    used = select(sequence.c.seq).where(sequence.c.name == table.name).scalar_subquery()
    return select(func.max(largest, func.coalesce(used, 0)))


_RESERVING: dict[str, Any] = {}


def _reserving(session: Session, table: Table) -> Any:
    """The statement that takes `:count` values of the table's id sequence. The sequence is named
    in it as a constant: looking it up in the statement (pg_get_serial_sequence) cost a catalog
    search for every value, five times the cost of the value itself."""
    statement = _RESERVING.get(table.name)
    if statement is None:
        sequence = session.connection().scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        literal = "'" + sequence.replace("'", "''") + "'"
        statement = _RESERVING[table.name] = text(
            f"SELECT array_agg(nextval({literal}::regclass)) FROM generate_series(1, :count)")
    return statement

"""Engines and sessions for code that runs outside a web request (workers, CLI, tests)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.json_columns import load_json


def configure_engine(engine: Engine) -> Engine:
    """Make SQLite behave like a server database: foreign keys on, WAL, wait on locks."""
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
    return {"pool_pre_ping": True, "json_deserializer": load_json}


def make_engine(url: str) -> Engine:
    """An engine for `url`, configured as the app's is."""
    return configure_engine(create_engine(url, **engine_options(url)))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (jobs read results back)."""
    return sessionmaker(engine, expire_on_commit=False)

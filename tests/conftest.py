"""Shared fixtures: one app per session on the configured database, clean tables per test.

AUTOMAP_DATABASE_URL / AUTOMAP_REDIS_URL pick real servers (CI sets both); without
them the suite runs on a SQLite file and the embedded queue.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from builder_api.app import create_app
from builder_api.cli import main
from builder_api.extensions import db
from builder_api.settings import normalise_database_url
from tests.mail_server import MailServer
from workflow_runtime.storage import schema
from workflow_runtime.storage.database import make_engine, session_factory
from workflow_runtime.storage.models import Base

ADMIN_TOKEN = "test-admin-token"
WRITE_KEY = "test-write-key"  # the public site key
SERVER_KEY = "test-server-key"
IDENTITY_SECRET = "test-identity-secret"
INBOUND_SECRET = "test-inbound-secret"
INBOUND_DOMAIN = "in.shop.example"


@contextmanager
def _own_database(instance: Path) -> Iterator[str]:
    """A database for this test session alone, so concurrent sessions on one server never collide.

    On PostgreSQL: a fresh database next to AUTOMAP_DATABASE_URL's, dropped afterwards.
    """
    configured = os.environ.get("AUTOMAP_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{instance / 'test.db'}"
        return
    with scratch_postgres_database(configured, str(os.getpid())) as url:
        yield url


@contextmanager
def scratch_postgres_database(configured: str, suffix: str) -> Iterator[str]:
    """An empty database `<configured name>_<suffix>` on the PostgreSQL server of `configured`, dropped afterwards."""
    server_url = make_url(normalise_database_url(configured))
    name = f"{server_url.database}_{suffix}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str,
                    tables: Iterable[type[Base]]) -> Iterator[sessionmaker[Session]]:
    """For a module fixture parametrized over sqlite and postgresql: sessions on an empty schema of `tables` of the
    module's own, a SQLite file or a database on AUTOMAP_DATABASE_URL's server (skipped without one)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}"
        with _schema(url, tables) as sessions:
            yield sessions
        return
    configured = os.environ.get("AUTOMAP_DATABASE_URL", "")
    if not configured.startswith("postgres"):
        pytest.skip("set AUTOMAP_DATABASE_URL to a PostgreSQL server to compare there too")
    with scratch_postgres_database(configured, f"{name}_{os.getpid()}") as url, _schema(url, tables) as sessions:
        yield sessions


@contextmanager
def _schema(url: str, tables: Iterable[type[Base]]) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url)
    Base.metadata.create_all(engine, tables=[table.__table__ for table in tables])
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _redis_url() -> str | None:
    return os.environ.get("AUTOMAP_REDIS_URL") or None


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = normalise_database_url(os.environ.get("AUTOMAP_DATABASE_URL") or "sqlite (file per run)")
    return [f"automap backends: database={database.split('@')[-1]} redis={_redis_url() or 'embedded'}"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of this session's own database (see _own_database)."""
    with _own_database(tmp_path_factory.mktemp("database")) as url:
        yield url


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "instance_path": instance,
            "database_url": database_url,
            "redis_url": _redis_url(),
            "admin_token": ADMIN_TOKEN,
            "write_key": WRITE_KEY,
            "server_key": SERVER_KEY,
            "identity_secret": IDENTITY_SECRET,
            "secret_key": "test-secret-key",
            "inbound_secret": INBOUND_SECRET,
            "inbound_domain": INBOUND_DOMAIN,
        }
    )
    app.config["TESTING"] = True
    # Tests ask for many visitor sessions from one address; test_widget_streams checks the production rate.
    app.config["AUTOMAP_WIDGET_SESSION_RATE"] = "100000 per minute"
    app.config["AUTOMAP_WIDGET_MESSAGE_RATE"] = "100000 per minute"
    app.config["AUTOMAP_WIDGET_ADDRESS_MESSAGE_RATE"] = "100000 per minute"
    schema.upgrade(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The app's session inside an app context; every table is emptied afterwards."""
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()
        _empty_tables()


def _empty_tables(attempts: int = 3) -> None:
    """Empty every table. A live server shared by the browser tests may still be answering a
    request (a widget's stream looking up its messages); should PostgreSQL pick the TRUNCATE as
    the victim of a deadlock with it, the TRUNCATE is tried again once that request is done."""
    tables = list(reversed(Base.metadata.sorted_tables))
    for attempt in range(1, attempts + 1):
        try:
            with db.engine.begin() as connection:
                if db.engine.dialect.name == "postgresql":
                    names = ", ".join(table.name for table in tables)
                    connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                else:
                    for table in tables:
                        connection.execute(table.delete())
            return
        except OperationalError as error:
            if not isinstance(error.orig, psycopg.errors.DeadlockDetected) or attempt == attempts:
                raise


@pytest.fixture
def client(app: Flask, session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def cli(app: Flask, session: Session) -> Callable[..., Result]:
    """Invoke the `automap` command against the test app."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False)

    return invoke


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server (aiosmtpd) on a free port, stopped after the test."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright, one for the session (Playwright's sync API allows one per thread).

    Without chromium or the playwright package the browser tests skip, saying why; CI sets
    AUTOMAP_REQUIRE_BROWSER so that there they fail instead.
    """
    def unavailable(reason: str) -> None:
        if os.environ.get("AUTOMAP_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}, and AUTOMAP_REQUIRE_BROWSER is set")
        pytest.skip(reason)

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (dev extra)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def broadcast_document() -> dict[str, Any]:
    """A valid flow started by hand: manual trigger → wait a day → exit."""
    return {
        "schema_version": 2,
        "name": "Webinar invite",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"on": "manual"}},
            {"id": "later", "type": "wait", "config": {"duration": "P1D"}},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [{"from": "start", "port": "next", "to": "later"}, {"from": "later", "port": "next", "to": "done"}],
    }

"""Shared fixtures: one app per session on the configured database, clean tables per test.

AUTOMAP_DATABASE_URL / AUTOMAP_REDIS_URL pick real servers (CI sets both); without
them the suite runs on a SQLite file and the embedded queue.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.orm import Session

from builder_api.app import MIGRATIONS_DIR, create_app
from builder_api.cli import main
from builder_api.extensions import db
from builder_api.settings import normalise_database_url
from workflow_runtime.models import Base

ADMIN_TOKEN = "test-admin-token"
WRITE_KEY = "test-write-key"


def _database_url(instance: Path) -> str:
    return os.environ.get("AUTOMAP_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"


def _redis_url() -> str | None:
    return os.environ.get("AUTOMAP_REDIS_URL") or None


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = normalise_database_url(os.environ.get("AUTOMAP_DATABASE_URL") or "sqlite (file per run)")
    return [f"automap backends: database={database.split('@')[-1]} redis={_redis_url() or 'embedded'}"]


def _drop_everything(app: Flask) -> None:
    """Start from an empty database, so the migrations themselves are what builds it."""
    with db.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "instance_path": instance,
            "database_url": _database_url(instance),
            "redis_url": _redis_url(),
            "admin_token": ADMIN_TOKEN,
            "write_key": WRITE_KEY,
            "secret_key": "test-secret-key",
        }
    )
    app.config["TESTING"] = True
    with app.app_context():
        _drop_everything(app)
        upgrade(directory=str(MIGRATIONS_DIR))
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
        tables = list(reversed(Base.metadata.sorted_tables))
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(table.name for table in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())


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

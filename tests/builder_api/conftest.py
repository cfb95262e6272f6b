"""Fixtures of the API tests: valid flow documents, a logged-in browser session, the runtime harness
(real runs, counters and messages) where a test needs them, and the app served over real HTTP for
clients that need a socket (the Segment library, a browser)."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from builder_api import accounts, login_throttle
from builder_api.login_throttle import LoginThrottle
from tests.live_server import live_server
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401 - fixtures shared by import
from workflow_runtime.engine.definition import forget_definitions

SCENARIOS = Path(__file__).resolve().parents[2] / "flows" / "scenarios"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_definitions() -> Iterator[None]:
    """Tables are emptied between tests, so version ids come back: forget definitions cached by id."""
    yield
    forget_definitions()


@pytest.fixture
def cart_document() -> dict[str, Any]:
    """The abandoned-cart template: a valid document with an event trigger and a goal."""
    return json.loads((SCENARIOS / "abandoned_cart.json").read_text(encoding="utf-8"))


@pytest.fixture
def make_flow(client: FlaskClient, admin_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create a flow through the API (publishing it if asked) and return its JSON."""

    def make(document: dict[str, Any], *, publish: bool = False) -> dict[str, Any]:
        created = client.post("/api/flows", json={"name": document["name"], "document": copy.deepcopy(document)},
                              headers=admin_headers)
        assert created.status_code == 201, created.json
        if publish:
            published = client.post(f"/api/flows/{created.json['id']}/publish", headers=admin_headers)
            assert published.status_code == 201, published.json
        return client.get(f"/api/flows/{created.json['id']}", headers=admin_headers).json

    return make


@dataclass
class StoppedClock:
    """A clock that moves only when the test moves it: the login throttle's waits pass without sleeping."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle(app: Flask) -> Iterator[LoginThrottle]:
    """The app's login throttle with no failure counted and a StoppedClock (`throttle.clock.now += 1`).

    The app lives for the whole session, and so would its counts: without this, failed logins
    of one test (or schemathesis') could make another's login wait.
    """
    with app.app_context():
        current = login_throttle.current()

    def forget() -> None:
        for key in current.redis.scan_iter(match=login_throttle.KEY_PREFIX + "*"):
            current.redis.delete(key)

    forget()
    real_clock, current.clock = current.clock, StoppedClock()
    yield current
    current.clock = real_clock
    forget()


@pytest.fixture
def logged_in(client: FlaskClient, session: Session, throttle: LoginThrottle) -> str:
    """A user logged in through POST /api/session on `client`; returns the session's CSRF token."""
    accounts.create_user(session, "marketer@example.com", PASSWORD)
    session.commit()
    response = client.post("/api/session", json={"email": "marketer@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["csrf_token"]


@pytest.fixture
def server_url(app: Flask, harness) -> Iterator[str]:  # noqa: F811 - the harness configures the runtime
    """The app on a free port of a real threaded HTTP server, for as long as the test runs."""
    with live_server(app) as server:
        yield server.url


@pytest.fixture
def site_client(app: Flask, session: Session, harness) -> Iterator[httpx.Client]:  # noqa: F811 - the runtime's Redis
    """A client of the site as `automap serve` serves it (builder_api.asgi: the widget's streams and the Flask app)."""
    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client

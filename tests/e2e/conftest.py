"""Browser tests: the real app (built canvas + API) on a free port, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.live_server import live_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    """frontend/dist, rebuilt by `make frontend` when a source changed (the same step `make run` takes)."""
    if shutil.which("npm") is None:
        pytest.skip("Node.js/npm is not installed: the canvas cannot be built")
    subprocess.run(["make", "frontend"], cwd=ROOT, check=True, capture_output=True, timeout=900)
    return ROOT / "frontend" / "dist"


@pytest.fixture(scope="session")
def server(app: Flask, built_frontend: Path) -> Iterator[str]:
    """The Flask app serving the built canvas, in a werkzeug server thread on a free port."""
    with live_server(app, FRONTEND_DIST=str(built_frontend)) as server:
        yield server.url


@dataclass
class ConsoleLog:
    """What the page reported: console errors, uncaught exceptions and failed HTTP answers."""

    errors: list[str] = field(default_factory=list)
    failed_responses: list[tuple[int, str]] = field(default_factory=list)


@pytest.fixture
def page(browser: object, server: str, session: Session) -> Iterator[tuple[object, ConsoleLog]]:
    """A fresh browser page on the app, with its console errors and failed requests recorded."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=server)
    page = context.new_page()
    log = ConsoleLog()
    page.on("console", lambda message: message.type == "error" and log.errors.append(message.text))
    page.on("pageerror", lambda error: log.errors.append(f"uncaught: {error}"))
    page.on("response", lambda response: response.status >= 400 and log.failed_responses.append((response.status, response.url)))
    yield page, log
    context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the README's screenshots go: AUTOMAP_SCREENSHOTS_DIR (`make screenshots`), else a temporary folder,
    so a test run changes no tracked file."""
    folder = os.environ.get("AUTOMAP_SCREENSHOTS_DIR")
    if not folder:
        return tmp_path
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)

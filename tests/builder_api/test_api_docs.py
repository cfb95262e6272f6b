"""`/api/docs` serves the API reference from an installed package, and the pages carry a Content-Security-Policy.

The reference loaded Redoc from a public CDN with no integrity check and no policy: whoever
controlled that script ran it on the API's origin, and offline the page was blank. Now every
file it loads comes from this server, and both pages allow scripts from this origin only.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from builder_api.docs.routes import swagger_ui_dir


class Links(HTMLParser):
    """The src and href of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"] or "")
            else:
                self.inline_scripts += 1
        if tag == "link" and values.get("href"):
            self.links.append(values["href"] or "")


def policy(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


def test_the_reference_loads_only_files_this_server_serves(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "cdn" not in html.lower() and "http" not in html
    parsed = Links()
    parsed.feed(html)
    assert parsed.inline_scripts == 0
    assert parsed.scripts == ["/api/docs/swagger-ui/swagger-ui-bundle.js", "/api/docs/docs.js"]
    for url in parsed.scripts + parsed.links:
        assert url.startswith("/api/docs/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert "Content-Security-Policy" not in asset.headers
    bundle = client.get("/api/docs/swagger-ui/swagger-ui-bundle.js")
    assert bundle.get_data() == (swagger_ui_dir() / "swagger-ui-bundle.js").read_bytes()
    assert bundle.mimetype == "text/javascript"
    start = client.get("/api/docs/docs.js").get_data(as_text=True)
    assert "SwaggerUIBundle" in start and "validatorUrl: null" in start  # no document sent to validator.swagger.io
    assert 'data-spec-url="/api/openapi.json"' in html
    assert client.get("/api/openapi.json").status_code == 200


def test_only_the_files_the_reference_uses_are_served(client: FlaskClient) -> None:
    for name in ("index.html", "oauth2-redirect.html", "../__init__.py", "LICENSE"):
        response = client.get(f"/api/docs/swagger-ui/{name}")
        assert response.status_code == 404 and response.is_json, name


def test_the_reference_allows_scripts_from_this_origin_only(client: FlaskClient) -> None:
    header = client.get("/api/docs").headers["Content-Security-Policy"]
    rules = policy(header)
    assert rules["script-src"] == ["'self'"]
    assert rules["default-src"] == ["'self'"] and rules["connect-src"] == ["'self'"]
    assert rules["object-src"] == ["'none'"] and rules["frame-ancestors"] == ["'none'"]
    assert rules["base-uri"] == ["'self'"]
    assert not re.search(r"https?:|\*|cdn", header)


@pytest.fixture
def dist(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id=root></div><script type=module src="/assets/app.js">')
    (tmp_path / "assets" / "app.js").write_text("console.log('canvas')")
    monkeypatch.setitem(app.config, "FRONTEND_DIST", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/flows", "/flows/12", "/contacts/3"])
def test_every_canvas_page_carries_the_policy(client: FlaskClient, dist: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    rules = policy(response.headers["Content-Security-Policy"])
    # Scripts from this origin only (Ajv, which builds the config forms, compiles schemas with new Function).
    assert rules["script-src"] == ["'self'", "'unsafe-eval'"]
    assert rules["object-src"] == ["'none'"] and rules["frame-ancestors"] == ["'none'"]
    assert rules["base-uri"] == ["'self'"] and rules["connect-src"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_data_and_scripts_get_no_page_policy(client: FlaskClient, admin_headers: dict[str, str], dist: Path) -> None:
    for path in ("/assets/app.js", "/widget.js", "/healthz", "/api/openapi.json", "/api/node-types"):
        response = client.get(path, headers=admin_headers)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" not in response.headers, path
    assert "Content-Security-Policy" not in client.post("/v1/track", json={}).headers

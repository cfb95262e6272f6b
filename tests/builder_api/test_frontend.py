"""The canvas is served at `/`: built files as they are, client routes get index.html, server paths stay JSON."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

INDEX = "<!doctype html><div id=root></div>"


@pytest.fixture
def dist(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small build output standing where the app looks for frontend/dist."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('canvas')")
    monkeypatch.setitem(app.config, "FRONTEND_DIST", str(tmp_path))
    return tmp_path


def test_the_root_serves_the_app(client: FlaskClient, dist: Path) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == INDEX
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("route", ["/flows", "/flows/12", "/contacts/3", "/templates"])
def test_client_routes_fall_back_to_index_html(client: FlaskClient, dist: Path, route: str) -> None:
    response = client.get(route)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == INDEX


def test_hashed_assets_are_served_with_a_long_cache(client: FlaskClient, dist: Path) -> None:
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "console.log('canvas')"
    assert "max-age=31536000" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/api/nope", "/v1/nope", "/widget/nope"])
def test_server_paths_never_get_the_app(client: FlaskClient, dist: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_a_missing_build_says_how_to_make_it(app: Flask, client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "FRONTEND_DIST", str(tmp_path / "absent"))
    response = client.get("/flows")
    assert response.status_code == 503
    assert "make frontend" in response.json["message"]


def test_the_catalogue_serves_the_flow_settings_schema(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    schemas = client.get("/api/node-types", headers=admin_headers).json["schemas"]
    settings = schemas["https://automap.dev/schema/flow.schema.json"]["$defs"]["settings"]
    assert {"goal", "exit_when", "reentry", "frequency_cap", "quiet_hours"} <= set(settings["properties"])

"""The canvas is served at `/`: built files as they are or as the build compressed them, client routes get
index.html, server paths stay JSON."""
from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

INDEX = "<!doctype html><div id=root></div>"
SCRIPT = b"console.log('canvas');" * 50
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture
def dist(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small build output standing where the app looks for frontend/dist: its files, and the brotli and gzip
    copies the build writes beside them (none for a file too small to gain from it)."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    (tmp_path / "assets" / "tiny-def456.js").write_text("1")
    for name in ("index.html", "assets/index-abc123.js"):
        data = (tmp_path / name).read_bytes()
        (tmp_path / f"{name}.br").write_bytes(brotli.compress(data))
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(data))
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
    assert response.data == SCRIPT
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_assets_are_sent_as_the_build_compressed_them(client: FlaskClient, dist: Path, coding: str) -> None:
    identity = client.get("/assets/index-abc123.js")
    response = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": f"{coding}, deflate"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == coding
    assert response.data == (dist / f"assets/index-abc123.js{'.br' if coding == 'br' else '.gz'}").read_bytes()
    assert DECODE[coding](response.data) == SCRIPT
    assert response.headers["Content-Length"] == str(len(response.data)) and len(response.data) < len(SCRIPT)
    for header in ("Content-Type", "Cache-Control", "Vary", "Content-Disposition"):
        assert response.headers.get(header) == identity.headers.get(header), header
    # Each coding is a representation of its own, so a cache never answers one's ETag with another's bytes.
    assert response.headers["ETag"] != identity.headers["ETag"]
    again = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": coding,
                                                            "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("accepted", "sent"), [
    ("gzip, deflate, br", "br"), ("br;q=0.5, gzip", "gzip"), ("*", "br"), ("identity", None), ("br;q=0, gzip;q=0", None),
])
def test_the_coding_is_the_one_the_client_prefers(client: FlaskClient, dist: Path, accepted: str, sent: str | None) -> None:
    response = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": accepted})
    assert response.headers.get("Content-Encoding") == sent
    assert (DECODE[sent](response.data) if sent else response.data) == SCRIPT


def test_a_file_the_build_left_uncompressed_is_sent_as_it_is(client: FlaskClient, dist: Path) -> None:
    response = client.get("/assets/tiny-def456.js", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.data == b"1"
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers
    assert response.cache_control.immutable


def test_a_missing_asset_is_not_answered_with_the_app(client: FlaskClient, dist: Path) -> None:
    response = client.get("/assets/EditorPage-old.js")
    assert response.status_code == 404
    assert "reload the page" in response.json["message"]


@pytest.mark.parametrize("route", ["/", "/flows/12"])
def test_the_app_page_is_compressed_and_revalidated(client: FlaskClient, dist: Path, route: str) -> None:
    response = client.get(route, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data).decode() == INDEX
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_paths_out_of_the_build_are_never_sent(client: FlaskClient, dist: Path) -> None:
    outside = Path(__file__).resolve()  # climbing out of the build to this very file
    response = client.get(f"/assets/{'../' * 40}{outside.as_posix().lstrip('/')}", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 404
    assert outside.read_bytes()[:40] not in response.data


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

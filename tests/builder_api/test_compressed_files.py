"""widget.js and the built canvas sent brotli- or gzip-encoded to the clients that accept it: the bytes decode to
the file's, each coding revalidates by its own ETag, and over a real HTTP server the build's own chunks arrive
compressed, the editor in a chunk of its own."""
from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import brotli
import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from builder_api.widget import routes as widget_routes
from tests.live_server import live_server

WIDGET = widget_routes.STATIC / "widget.js"
BUILD = Path(__file__).resolve().parents[2] / "frontend" / "dist"
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_widget_js_is_sent_compressed(client: FlaskClient, coding: str) -> None:
    identity = client.get("/widget.js")
    response = client.get("/widget.js", headers={"Accept-Encoding": f"{coding}, deflate"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == coding
    assert DECODE[coding](response.data) == WIDGET.read_bytes() == identity.data
    assert response.headers["Content-Length"] == str(len(response.data)) and len(response.data) < len(identity.data)
    assert response.mimetype == "text/javascript"
    for header in ("Content-Type", "Cache-Control", "Vary", "Last-Modified", "Content-Disposition"):
        assert response.headers.get(header) == identity.headers.get(header), header
    assert response.cache_control.public and response.cache_control.max_age == 3600
    assert response.headers["ETag"] != identity.headers["ETag"]
    again = client.get("/widget.js", headers={"Accept-Encoding": coding, "If-None-Match": response.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    # The identity body's ETag names other bytes: the compressed ones are sent in full.
    other = client.get("/widget.js", headers={"Accept-Encoding": coding, "If-None-Match": identity.headers["ETag"]})
    assert other.status_code == 200 and DECODE[coding](other.data) == identity.data


def test_widget_js_without_accept_encoding_is_the_file(client: FlaskClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.data == WIDGET.read_bytes()
    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
    assert client.get("/widget.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get("/widget.js", headers={"If-Modified-Since": response.headers["Last-Modified"]}).status_code == 304


def test_an_edited_widget_js_is_compressed_anew(client: FlaskClient, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widget_routes, "STATIC", tmp_path)
    script = tmp_path / "widget.js"
    script.write_text("/* automap */ one();" * 20)
    first = client.get("/widget.js", headers={"Accept-Encoding": "br"})
    script.write_text("/* automap */ two();" * 20)
    os.utime(script, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns + 1_000_000_000))
    second = client.get("/widget.js", headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert brotli.decompress(second.data) == script.read_bytes()
    assert second.headers["ETag"] != first.headers["ETag"]


def test_the_build_and_widget_js_arrive_compressed_over_http(app: Flask) -> None:
    if not (BUILD / "index.html").is_file():
        pytest.skip("frontend/dist is not built: `make frontend` builds it (`make test` does first)")
    with live_server(app, FRONTEND_DIST=str(BUILD)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        page = http.get("/flows", headers={"Accept-Encoding": "br"})
        assert page.headers["Content-Encoding"] == "br" and page.headers["Cache-Control"] == "no-cache"
        scripts = re.findall(r'src="/(assets/[^"]+\.js)"', page.text)
        assert len(scripts) == 1, scripts
        files = {f"/{scripts[0]}": BUILD / scripts[0], "/widget.js": WIDGET}
        for path, file in files.items():
            for coding in ("br", "gzip"):
                with http.stream("GET", path, headers={"Accept-Encoding": coding}) as response:
                    raw = b"".join(response.iter_raw())
                assert response.headers["Content-Encoding"] == coding, path
                assert response.headers["Vary"] == "Accept-Encoding", path
                assert DECODE[coding](raw) == file.read_bytes(), path
            identity = http.get(path, headers={"Accept-Encoding": "identity"})
            assert "Content-Encoding" not in identity.headers and identity.content == file.read_bytes(), path
        assert http.get(f"/{scripts[0]}").headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The editor is loaded when a flow is opened, not with the flows list and the sign-in page.
    editor_chunks = [chunk.name for chunk in (BUILD / "assets").glob("EditorPage-*.js")]
    assert len(editor_chunks) == 1 and editor_chunks[0] not in page.text

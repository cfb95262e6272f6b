"""`/`: the browser canvas, served from the Vite build in frontend/dist with index.html for client routes, brotli- or
gzip-encoded from the files the build compressed."""
from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, current_app
from werkzeug.routing import PathConverter

from builder_api.content_policy import CANVAS_POLICY, protect_page
from builder_api.errors import ApiError
from builder_api.frontend.compressed import is_file_in, send_precompressed

DEFAULT_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
# First path segments that belong to the server, so an unknown /api/… answers a JSON 404, not the app.
SERVER_PREFIXES = frozenset({"api", "v1", "widget", "widget.js", "t", "healthz", "static"})
# Vite puts a content hash in every asset name, so browsers may keep them for good (and never revalidate them).
ASSET_MAX_AGE = 365 * 24 * 3600


class ClientPath(PathConverter):
    """A path the canvas's router owns: never one under a server prefix, so any method there gets the server's 404."""

    regex = rf"(?!(?:{'|'.join(re.escape(prefix) for prefix in sorted(SERVER_PREFIXES))})(?:/|$))[^/].*?"


blueprint = Blueprint("frontend", __name__)
blueprint.record_once(lambda state: state.app.url_map.converters.update(client_path=ClientPath))
blueprint.after_request(lambda response: protect_page(response, CANVAS_POLICY))


def dist_dir() -> Path:
    """Where the built app is; tests and packagers may point FRONTEND_DIST elsewhere."""
    return Path(current_app.config.get("FRONTEND_DIST", DEFAULT_DIST))


@blueprint.get("/", defaults={"path": ""})
@blueprint.get("/<client_path:path>")
def app_shell(path: str) -> Response:
    """A built file when one exists at `path`, else index.html so the app's router shows the page."""
    dist = dist_dir()
    if not (dist / "index.html").is_file():
        raise ApiError(503, f"The web app is not built: run `make frontend` (it writes {dist}).")
    if path.startswith("assets/"):
        if not is_file_in(dist, path):  # a script or stylesheet asked for gets no HTML page in its place
            raise ApiError(404, f"This build has no {path}: reload the page to load the current one.")
        response = send_precompressed(dist, path, max_age=ASSET_MAX_AGE)
        response.cache_control.immutable = True
    elif path and is_file_in(dist, path):
        response = send_precompressed(dist, path, max_age=0)
    else:
        response = send_precompressed(dist, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"  # revalidated on every load, so a deploy is picked up at once
    return response

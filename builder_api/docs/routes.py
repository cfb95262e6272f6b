"""`/api/docs`: the API reference, rendered by Swagger UI from the installed flask-swagger-ui package.

No file comes from a CDN, so the reference works offline and behind a firewall, and the page
loads scripts from this origin only (its Content-Security-Policy says so): the Swagger UI
bundle, and `docs.js`, which starts it on `/api/openapi.json` (an inline script would need
the policy to allow inline scripts).
"""
from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Response, send_from_directory, url_for
from markupsafe import escape
from werkzeug.exceptions import NotFound

from builder_api.content_policy import DOCS_POLICY, protect_page

blueprint = Blueprint("docs", __name__, url_prefix="/api/docs")
blueprint.after_request(lambda response: protect_page(response, DOCS_POLICY))

STATIC = Path(__file__).parent / "static"
# The Swagger UI files, bundled with their fonts and icons, that the package keeps beside its code.
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")

PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>automap API</title>
    <link rel="icon" type="image/png" href="{favicon}">
    <link rel="stylesheet" href="{stylesheet}">
  </head>
  <body>
    <div id="swagger-ui" data-spec-url="{spec}"></div>
    <script src="{bundle}"></script>
    <script src="{start}"></script>
  </body>
</html>
"""


@cache
def swagger_ui_dir() -> Path:
    """Where flask-swagger-ui keeps the Swagger UI distribution."""
    return Path(str(files("flask_swagger_ui") / "dist"))


@blueprint.get("")
def reference() -> Response:
    """The API reference page: same-origin scripts only."""
    links = {
        "favicon": url_for(".swagger_ui", filename="favicon-32x32.png"),
        "stylesheet": url_for(".swagger_ui", filename="swagger-ui.css"),
        "bundle": url_for(".swagger_ui", filename="swagger-ui-bundle.js"),
        "start": url_for(".start_script"),
        "spec": url_for("api-docs.openapi_json"),
    }
    response = Response(PAGE.format(**{name: escape(link) for name, link in links.items()}), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/docs.js")
def start_script() -> Response:
    """The script that starts Swagger UI on the OpenAPI document the page names."""
    return send_from_directory(STATIC, "docs.js", mimetype="text/javascript")


@blueprint.get("/swagger-ui/<filename>")
def swagger_ui(filename: str) -> Response:
    """A file of the bundled Swagger UI (only those the page uses)."""
    if filename not in SWAGGER_UI_FILES:
        raise NotFound()
    return send_from_directory(swagger_ui_dir(), filename)

"""The canvas's files generated from the Python code are current: the API types and the node catalogue its tests read."""
from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from builder_api.cli import main
from tests.frontend.conftest import FRONTEND, Npm

NODE_CATALOGUE = FRONTEND / "src" / "test" / "node-catalogue.json"


def test_the_api_types_are_generated_from_the_openapi_document(npm: Npm, cli: Callable[..., Result]) -> None:
    document = cli("openapi", "print").stdout
    checked = npm("run", "--silent", "api-types", "--", "--check", stdin=document)
    assert checked.returncode == 0, (
        "frontend/src/api-schema.d.ts differs from what the API's OpenAPI document gives: "
        f"regenerate it with `make api-types`.\n{checked.stdout}\n{checked.stderr}"
    )


def test_the_node_catalogue_fixture_is_what_the_api_serves(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    printed = CliRunner().invoke(main, ["node-types"], catch_exceptions=False).stdout
    assert NODE_CATALOGUE.read_text() == printed, (
        f"{NODE_CATALOGUE.relative_to(FRONTEND.parent)} is not the node registry's catalogue: "
        "regenerate it with `make node-catalogue`."
    )
    assert json.loads(printed) == client.get("/api/node-types", headers=admin_headers).json

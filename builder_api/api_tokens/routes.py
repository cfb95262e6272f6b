"""`/api/api-tokens`: bearer tokens for scripts calling /api — list, create (the token is shown once), revoke.

The rules are builder_api.accounts', the same the `automap tokens` commands follow: only a token's SHA-256
is kept, and a revoked token's row stays so the list shows when it stopped working.
"""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from builder_api import accounts
from builder_api.account_errors import account_api_error
from builder_api.api_tokens.schemas import (
    ApiTokenListSchema,
    ApiTokenSchema,
    NewApiTokenRequestSchema,
    NewApiTokenSchema,
)
from builder_api.auth import require_full_access
from builder_api.errors import ErrorSchema
from builder_api.extensions import db
from workflow_runtime.storage.models import ApiToken

blueprint = Blueprint("api_tokens", __name__, description="Bearer tokens for scripts calling /api.")
blueprint.before_request(require_full_access)


@blueprint.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # a new token's answer must not stay in the browser's cache
    return response


@blueprint.get("")
@blueprint.response(200, ApiTokenListSchema)
def list_tokens() -> dict[str, Any]:
    """Every token ever made, revoked ones included, oldest first (never the tokens themselves)."""
    return {"items": accounts.list_tokens(db.session)}


@blueprint.post("")
@blueprint.arguments(NewApiTokenRequestSchema)
@blueprint.response(201, NewApiTokenSchema)
def create_token(body: dict[str, Any]) -> dict[str, Any]:
    """Make a token: the answer holds it this once; afterwards only its first characters are known."""
    try:
        row, token = accounts.create_token(db.session, body["name"])
    except accounts.AccountError as error:
        raise account_api_error(error) from error
    db.session.commit()
    return {"token": row, "secret": token}


@blueprint.post("/<int:token_id>/revoke")
@blueprint.response(200, ApiTokenSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No token has this id.")
def revoke_token(token_id: int) -> ApiToken:
    """Make the token stop working at once."""
    try:
        row = accounts.revoke_token(db.session, token_id)
    except accounts.AccountError as error:
        raise account_api_error(error) from error
    db.session.commit()
    return row

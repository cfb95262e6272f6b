"""Who may call the admin API: bearer tokens checked in constant time."""
from __future__ import annotations

import hmac

from flask import current_app, request

from builder_api.errors import ApiError


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def require_admin() -> None:
    """Refuse the request unless it carries the admin token (a blueprint before_request hook)."""
    token = bearer_token()
    if token is None:
        raise ApiError(401, "Authentication required: send 'Authorization: Bearer <admin token>'.")
    expected = current_app.config["AUTOMAP"].admin_token
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(403, "This token is not valid for the admin API.")

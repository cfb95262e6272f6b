"""`/api/session`: log in with an email and password, see who is logged in, log out."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask_smorest import Blueprint

from builder_api import accounts, auth
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.session.schemas import LoginArgs, SessionSchema

blueprint = Blueprint("session", __name__, description="Log in to the builder with a session cookie.")


@blueprint.post("")
@blueprint.arguments(LoginArgs)
@blueprint.response(200, SessionSchema)
@blueprint.alt_response(401, schema=ErrorSchema, description="Wrong email or password.")
@blueprint.doc(security=[])
def log_in(credentials: dict[str, str]) -> dict[str, Any]:
    """Check the email and password and set the session cookie; returns the CSRF token for writes."""
    user = accounts.authenticate(db.session, credentials["email"], credentials["password"])
    if user is None:
        raise ApiError(401, "The email or password is wrong.")
    user.last_login_at = datetime.now(timezone.utc)
    db.session.commit()
    return {"user": user, "csrf_token": auth.log_in(user)}


@blueprint.get("")
@blueprint.response(200, SessionSchema)
@blueprint.alt_response(401, schema=ErrorSchema, description="Nobody is logged in.")
@blueprint.doc(security=[])
def current_session() -> dict[str, Any]:
    """The logged-in user and the session's CSRF token, or 401."""
    user = auth.session_user()
    if user is None:
        raise ApiError(401, "Nobody is logged in: POST /api/session with an email and password.")
    return {"user": user, "csrf_token": auth.csrf_token()}


@blueprint.delete("")
@blueprint.response(204)
@blueprint.alt_response(403, schema=ErrorSchema, description="A logged-in session did not send its CSRF token.")
@blueprint.doc(security=[])
def log_out() -> None:
    """Log out: the session cookie is cleared (a logged-in session must send its CSRF token)."""
    if auth.session_user() is not None:
        auth.require_csrf()
    auth.log_out()

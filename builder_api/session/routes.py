"""`/api/session`: log in with an email and password, see who is logged in, log out."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import request
from flask_smorest import Blueprint

from builder_api import accounts, auth, login_throttle
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.session.schemas import LoginArgs, SessionSchema

blueprint = Blueprint("session", __name__, description="Log in to the builder with a session cookie.")

RETRY_AFTER = {
    "description": "Whole seconds to wait before the next login attempt.",
    "schema": {"type": "integer", "minimum": 1},
}


@blueprint.post("")
@blueprint.arguments(LoginArgs)
@blueprint.response(200, SessionSchema)
@blueprint.alt_response(401, schema=ErrorSchema, description="Wrong email or password.")
@blueprint.alt_response(
    429,
    schema=ErrorSchema,
    description="Too many failed logins for this email or from this address: try again after Retry-After seconds.",
    headers={"Retry-After": RETRY_AFTER},
)
@blueprint.doc(security=[])
def log_in(credentials: dict[str, str]) -> dict[str, Any]:
    """Check the email and password and set the session cookie; returns the CSRF token for writes."""
    email, address = credentials["email"], request.remote_addr or "unknown"
    throttle = login_throttle.current()
    # Before the password is hashed: a refused attempt costs a Redis round trip, not ~100 ms of scrypt.
    wait = throttle.admit(email, address)
    if wait is not None:
        seconds = "1 second" if wait == 1 else f"{wait} seconds"
        raise ApiError(
            429,
            f"Too many failed logins for this email or from this address: try again in {seconds}.",
            headers={"Retry-After": str(wait)},
        )
    user = accounts.authenticate(db.session, email, credentials["password"])
    if user is None:
        raise ApiError(401, "The email or password is wrong.")
    throttle.succeeded(email, address)
    user.last_login_at = datetime.now(timezone.utc)
    login = auth.log_in(user)
    db.session.commit()
    return {"user": user, "csrf_token": login.csrf_token}


@blueprint.get("")
@blueprint.response(200, SessionSchema)
@blueprint.alt_response(401, schema=ErrorSchema, description="Nobody is logged in.")
@blueprint.doc(security=[])
def current_session() -> dict[str, Any]:
    """The logged-in user and the session's CSRF token, or 401."""
    login = auth.current_login()
    if login is None:
        raise ApiError(401, "Nobody is logged in: POST /api/session with an email and password.")
    return {"user": login.user, "csrf_token": login.csrf_token}


@blueprint.delete("")
@blueprint.response(204)
@blueprint.alt_response(403, schema=ErrorSchema, description="A logged-in session did not send its CSRF token.")
@blueprint.doc(security=[])
def log_out() -> None:
    """Log out: the session ends on the server, so a copy of the cookie no longer works (send the CSRF token)."""
    login = auth.current_login()
    if login is not None:
        auth.require_csrf(login)
    auth.log_out(login)
    db.session.commit()

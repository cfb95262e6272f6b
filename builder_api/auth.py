"""Who may call the admin API: a bearer token, or a logged-in user's session cookie plus a CSRF token.

Bearer tokens are the settings' admin token (compared in constant time) or an API
token made by `automap tokens create`. The browser logs in with POST /api/session and
is then known by Flask's signed session cookie (HttpOnly, SameSite=Lax); every write
it makes must repeat the session's CSRF token in the X-CSRF-Token header, which a
page on another site cannot read.
"""
from __future__ import annotations

import hmac
import secrets

from flask import current_app, request, session

from builder_api import accounts
from builder_api.errors import ApiError
from builder_api.extensions import db
from workflow_runtime.storage.models import User

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_USER_KEY = "user_id"
_CSRF_KEY = "csrf_token"


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def require_admin() -> None:
    """Refuse the request unless it carries a valid bearer token or session (a blueprint before_request hook)."""
    if "Authorization" in request.headers:
        _check_bearer()
        return
    user = session_user()
    if user is None:
        raise ApiError(
            401, "Authentication required: send 'Authorization: Bearer <token>', or log in with POST /api/session."
        )
    if request.method not in SAFE_METHODS:
        require_csrf()


def _check_bearer() -> None:
    token = bearer_token()
    if token is None:
        raise ApiError(401, "Authentication required: send 'Authorization: Bearer <token>'.")
    expected = current_app.config["AUTOMAP"].admin_token
    if hmac.compare_digest(token.encode(), expected.encode()):
        return
    if accounts.find_token(db.session, token) is None:
        raise ApiError(403, "This token is not valid for the admin API: it is unknown or was revoked.")


def session_user() -> User | None:
    """The user this request's session cookie belongs to, if it is still a user."""
    user_id = session.get(_USER_KEY)
    if not isinstance(user_id, int):
        return None
    return db.session.get(User, user_id)


def require_csrf() -> None:
    """Refuse a cookie-authenticated write whose X-CSRF-Token header is not the session's token."""
    sent = request.headers.get(CSRF_HEADER, "")
    expected = session.get(_CSRF_KEY, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(
            403, f"This write needs the {CSRF_HEADER} header with the csrf_token from POST or GET /api/session."
        )


def log_in(user: User) -> str:
    """Start a fresh session for `user` (dropping any earlier one) and return its CSRF token."""
    session.clear()
    session[_USER_KEY] = user.id
    session[_CSRF_KEY] = secrets.token_urlsafe(32)
    return session[_CSRF_KEY]


def csrf_token() -> str:
    """The CSRF token of the current session."""
    return str(session.get(_CSRF_KEY, ""))


def log_out() -> None:
    """Forget the session: the cookie is cleared in the response."""
    session.clear()

"""Who may call the admin API: a bearer token, or a logged-in user's session cookie plus a CSRF token.

Bearer tokens are the settings' admin token (compared in constant time) or an API
token made by `automap tokens create`. The browser logs in with POST /api/session and
is then known by Flask's signed session cookie (HttpOnly, SameSite=Lax), which holds
only the id of a server-side login session (builder_api.login_sessions): deleting that
row logs the browser out, copies of the cookie included. Every write it makes must
repeat the session's CSRF token in the X-CSRF-Token header, which a page on another
site cannot read.
"""
from __future__ import annotations

import hmac
from datetime import timedelta

from flask import current_app, request, session

from builder_api import accounts, login_sessions
from builder_api.errors import ApiError
from builder_api.extensions import db
from workflow_runtime.audience.journey_actions import Actor
from workflow_runtime.storage.models import InboxAccess, LoginSession, User

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SESSION_ID_KEY = "session_id"


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
    login = current_login()
    if login is None:
        raise ApiError(
            401, "Authentication required: send 'Authorization: Bearer <token>', or log in with POST /api/session."
        )
    if request.method not in SAFE_METHODS:
        require_csrf(login)


def require_full_access() -> None:
    """require_admin, and refuse a user whose inbox access is `assigned` (a team member who answers the
    conversations given to them): managing users, API tokens and the workspace's keys would let them past it."""
    require_admin()
    user = current_user()
    if user is not None and user.inbox_access is InboxAccess.ASSIGNED:
        raise ApiError(403, "Users who see only the conversations assigned to them cannot manage users, API tokens "
                            "or the workspace's keys: ask someone who sees the whole inbox.")


def current_user() -> User | None:
    """The user this browser is logged in as; None for a request authenticated by a bearer token (which speaks for
    no one, whatever cookie comes with it)."""
    if "Authorization" in request.headers:
        return None
    login = current_login()
    return login.user if login is not None else None


def acting() -> Actor:
    """Who makes this (authenticated) request, as audit logs name them: the logged-in user by email, or the bearer
    token by its name."""
    user = current_user()
    if user is not None:
        return Actor(user.id, user.email)
    token = accounts.find_token(db.session, bearer_token() or "")
    return Actor(None, f"API token {token.name!r}" if token is not None else "the admin token")


def _check_bearer() -> None:
    token = bearer_token()
    if token is None:
        raise ApiError(401, "Authentication required: send 'Authorization: Bearer <token>'.")
    expected = current_app.config["AUTOMAP"].admin_token
    if hmac.compare_digest(token.encode(), expected.encode()):
        return
    if accounts.find_token(db.session, token) is None:
        raise ApiError(403, "This token is not valid for the admin API: it is unknown or was revoked.")


def login_lifetime() -> timedelta:
    """How long a login session lasts: as long as Flask accepts the signed cookie (31 days by default); logging
    out ends it sooner."""
    return current_app.permanent_session_lifetime


def current_login() -> LoginSession | None:
    """The live login session this request's cookie names, if any."""
    session_id = session.get(_SESSION_ID_KEY)
    if not isinstance(session_id, str):
        return None
    return login_sessions.find(db.session, session_id, login_lifetime())


def require_csrf(login: LoginSession) -> None:
    """Refuse a cookie-authenticated write whose X-CSRF-Token header is not the session's token."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), login.csrf_token.encode()):
        raise ApiError(
            403, f"This write needs the {CSRF_HEADER} header with the csrf_token from POST or GET /api/session."
        )


def log_in(user: User) -> LoginSession:
    """Start a server-side session for `user`, ending the one this browser had, and point the cookie at it."""
    # A fresh id at every login: an id planted in the browser beforehand never becomes a logged-in one.
    previous = current_login()
    if previous is not None:
        login_sessions.end(db.session, previous)
    login, session_id = login_sessions.start(db.session, user, login_lifetime())
    session.clear()
    session[_SESSION_ID_KEY] = session_id
    return login


def log_out(login: LoginSession | None) -> None:
    """End the session (if the cookie named a live one) and clear the cookie in the response."""
    if login is not None:
        login_sessions.end(db.session, login)
    session.clear()

"""Tokens for the inbox's live stream: EventSource sends neither an Authorization header nor the CSRF token,
and the stream may be served by another process (`automap widget-stream`) that knows no login session.

A token is signed with the app's secret (itsdangerous, its own salt, so a widget's visitor token
is no inbox token) and names the user (None for a bearer token's holder) and the credential it was
issued on: the browser's login session (and when that session expires) or the API token. The stream
checks both when it opens (`StreamGrant.check`): logging out, an expired login, a revoked API token,
a disabled user or narrowed access hold from the next stream, never an hour later. (A token issued
on the deployment's own AUTOMAP_ADMIN_TOKEN names no row; it lasts its hour.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from builder_api.errors import ApiError
from workflow_runtime.storage.models import ApiToken, LoginSession, User

TOKEN_MAX_AGE = 3600  # the inbox asks for a new one when its stream is refused
_SALT = "automap.inbox.stream"
_FIELDS = {"u": "user_id", "s": "login_session_id", "e": "login_expires", "t": "api_token_id"}


@dataclass(frozen=True)
class StreamGrant:
    """Who a stream token speaks for, and on what credential (see the module docstring)."""

    user_id: int | None
    login_session_id: int | None = None
    login_expires: int | None = None  # when the login session ends, in seconds since the epoch
    api_token_id: int | None = None

    def check(self, session: Session, now: datetime) -> User | None:
        """The user (None for a bearer token's holder) while the credential still holds; 403 once it does not."""
        if self.login_session_id is not None:
            login = session.get(LoginSession, self.login_session_id)
            if login is None or login.user_id != self.user_id or now.timestamp() >= (self.login_expires or 0):
                raise ApiError(403, "This inbox stream token's login has ended: log in again.")
        if self.api_token_id is not None:
            token = session.get(ApiToken, self.api_token_id)
            if token is None or token.revoked_at is not None:
                raise ApiError(403, "The API token this inbox stream token was issued on has been revoked.")
        if self.user_id is None:
            return None
        user = session.get(User, self.user_id)
        if user is None or user.disabled_at is not None:
            raise ApiError(403, "This user can no longer use the inbox.")
        return user


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def issue_token(grant: StreamGrant) -> str:
    """A stream token for this grant."""
    payload = {key: getattr(grant, name) for key, name in _FIELDS.items() if getattr(grant, name) is not None}
    return _serializer(current_app.config["AUTOMAP"].secret_key).dumps({"u": None, **payload})


def grant_from_token(token: str | None, secret_key: str) -> StreamGrant:
    """What a stream token grants; 403 if it is missing, forged or expired."""
    if not token:
        raise ApiError(403, "An inbox stream token is required: ask POST /api/conversations/stream-token for one.")
    try:
        payload = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as error:
        raise ApiError(403, "This inbox stream token has expired: ask POST /api/conversations/stream-token "
                            "for a new one.") from error
    except BadSignature as error:
        raise ApiError(403, "This inbox stream token is not valid.") from error
    if not isinstance(payload, dict) or not set(payload) <= set(_FIELDS) or "u" not in payload or any(
            value is not None and type(value) is not int for value in payload.values()):
        raise ApiError(403, "This inbox stream token is not valid.")
    return StreamGrant(**{name: payload.get(key) for key, name in _FIELDS.items()})


def login_expiry(login: LoginSession, lifetime_seconds: float) -> int:
    """When a login session ends, for its grant."""
    return int(login.created_at.astimezone(UTC).timestamp() + lifetime_seconds)

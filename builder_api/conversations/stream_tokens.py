"""Tokens for the inbox's live stream: EventSource sends neither an Authorization header nor the CSRF token,
and the stream may be served by another process (`automap widget-stream`) that knows no login session.

A token is signed with the app's secret (itsdangerous, its own salt, so a widget's visitor token
is no inbox token) and names only the user (None for an API token); the stream reads that user's
access when it opens, so disabling a user or narrowing their access holds from their next stream.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from builder_api.errors import ApiError

TOKEN_MAX_AGE = 3600  # the inbox asks for a new one when its stream is refused
_SALT = "automap.inbox.stream"
_TOKEN_USER = "u"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def issue_token(user_id: int | None) -> str:
    """A stream token for this user (None: an API token's holder, who sees every conversation)."""
    return _serializer(current_app.config["AUTOMAP"].secret_key).dumps({_TOKEN_USER: user_id})


def user_from_token(token: str | None, secret_key: str) -> int | None:
    """The user a stream token names (None: an API token's holder); 403 if it is missing, forged or expired."""
    if not token:
        raise ApiError(403, "An inbox stream token is required: ask POST /api/conversations/stream-token for one.")
    try:
        payload = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as error:
        raise ApiError(403, "This inbox stream token has expired: ask POST /api/conversations/stream-token "
                            "for a new one.") from error
    except BadSignature as error:
        raise ApiError(403, "This inbox stream token is not valid.") from error
    user_id = payload.get(_TOKEN_USER, "") if isinstance(payload, dict) else ""
    if user_id is not None and type(user_id) is not int:
        raise ApiError(403, "This inbox stream token is not valid.")
    return user_id

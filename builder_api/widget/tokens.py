"""Who a widget request speaks for: the site's write key, and signed visitor tokens.

The widget runs on the customer's site, so its write key is public: it only proves which
site the browser is on. What a visitor may read is decided by a token this server signed
for the browser's anonymous id (itsdangerous, with the app's secret key); the contact is
looked up from that id on every request, so an identify that merges it is followed.
User ids sent by the browser are never trusted: anyone could claim one.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from builder_api.errors import ApiError
from builder_api.workspace.keys import request_keys
from workflow_runtime.storage.models import KeyName

# A page load asks for a fresh token; a day covers a tab left open.
TOKEN_MAX_AGE = 24 * 3600
_SALT = "automap.widget.visitor"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def require_write_key() -> None:
    """Refuse the request unless its HTTP Basic user name is the site's write key (or its predecessor, in the
    grace period after a rotation), as Segment clients send it."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise ApiError(401, "Send the site's write key as the HTTP Basic user name.")
    if not request_keys()[KeyName.WRITE_KEY].matches(auth.username):
        raise ApiError(401, "This write key is not valid.")


def write_key_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Check the write key before the body is parsed: a stranger learns nothing about the payload's shape."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        require_write_key()
        return view(*args, **kwargs)

    return checked


def issue_token(anonymous_id: str) -> str:
    """A token that lets the browser holding `anonymous_id` read its own messages."""
    return _serializer(current_app.config["AUTOMAP"].secret_key).dumps({"a": anonymous_id})


def visitor_from_token(token: str | None, secret_key: str) -> str:
    """The anonymous id a token was issued for; 403 if it is missing, forged or expired."""
    if not token:
        raise ApiError(403, "A visitor token is required: ask POST /widget/session for one.")
    try:
        payload = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as error:
        raise ApiError(403, "This visitor token has expired: ask POST /widget/session for a new one.") from error
    except BadSignature as error:
        raise ApiError(403, "This visitor token is not valid.") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), str):
        raise ApiError(403, "This visitor token is not valid.")
    return payload["a"]


def token_from_headers(headers: Mapping[str, str]) -> str | None:
    """The token of `Authorization: Bearer <token>`, if sent so."""
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def request_visitor() -> str:
    """The visitor of this request: `Authorization: Bearer <token>`, or `?token=` where headers cannot
    be set (EventSource)."""
    token = token_from_headers(request.headers) or request.args.get("token")
    return visitor_from_token(token, current_app.config["AUTOMAP"].secret_key)

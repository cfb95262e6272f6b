"""Reading a tracking request: the size limits, gzip, JSON whatever the content type, and the key it carries.

Segment's limits: 32 KB a call, 500 KB a batch request (each of its messages at most
32 KB). Browsers that send with `navigator.sendBeacon` cannot set headers: their body
is `text/plain` JSON and carries the write key as `writeKey`, as Segment accepts.
A call's traits and properties may nest at most MAX_PROPERTY_DEPTH levels of objects and
lists, counting the traits (or properties) object itself: contacts and events keep them as
sent, and the flows that read, copy and change them should not meet a value deeper than any
real one. (Every JSON body, context included, nests at most request_values.MAX_DEPTH levels.)
"""
from __future__ import annotations

import json
import zlib
from typing import Any

from flask import g, request
from werkzeug.exceptions import RequestEntityTooLarge

from builder_api.errors import ApiError
from builder_api.request_values import _too_deep, refuse_unstorable_body
from builder_api.workspace.keys import request_keys
from flows.errors import pointer
from workflow_runtime.storage.models import KeyName

MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_PROPERTY_DEPTH = 32
PROPERTY_FIELDS = ("traits", "properties")  # a call's values that become contact and event properties
_CONTAINERS = (dict, list)


def _too_large(size: str, limit: int) -> ApiError:
    what = "a batch request" if limit == MAX_BATCH_BYTES else "a single call (send more in one /v1/batch)"
    return ApiError(413, f"The request body is {size}; {what} may be at most {limit // 1024} KB ({limit:,} bytes).")


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing one that would grow past `limit` bytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise ApiError(400, f"The body says Content-Encoding: gzip but does not decompress: {error}.") from None
    if len(plain) > limit:
        raise _too_large("larger once decompressed", limit)
    return plain


def read_body(limit: int) -> tuple[dict[str, Any], bytes]:
    """The request's JSON object and its text, at most `limit` bytes (after gzip), whatever its Content-Type."""
    request.max_content_length = limit
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        size = f"{request.content_length:,} bytes" if request.content_length else "too large"
        raise _too_large(size, limit) from None
    if len(data) > limit:  # read before the limit was set (the app-wide value checks read JSON bodies first)
        raise _too_large(f"{len(data):,} bytes", limit)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        data = _gunzip(data, limit)
    elif encoding not in ("", "identity"):
        raise ApiError(415, f"Content-Encoding {encoding!r} is not supported: send gzip or no encoding.")
    body = request.get_json(silent=True) if request.is_json and encoding != "gzip" else None
    if body is None:  # a gzip or text/plain body was not JSON to the app-wide check: parse and check it here
        try:
            body = json.loads(data)
        except RecursionError:  # nested past what Python's parser reads
            raise ApiError(400, "The JSON body is nested too deeply to read.") from None
        except ValueError as error:  # bad bytes or syntax, a 5,000-digit number
            raise ApiError(400, f"The body is not valid JSON: {error}.") from None
        refuse_unstorable_body(body, data)
    # else: parsed and checked by the app-wide refuse_unstorable_values already (Flask caches the JSON)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body, data


def authenticate(body: dict[str, Any]) -> bool:
    """Refuse the request unless it carries a key (the HTTP Basic user name, or `writeKey` in the body);
    True if it is the secret server key, whose calls are trusted, False for the public site key (either one's
    predecessor is accepted during its grace period after a rotation)."""
    credentials = request.authorization
    key = credentials.username if credentials is not None and credentials.type == "basic" else body.get("writeKey")
    if not isinstance(key, str) or not key:
        raise ApiError(401, "Send the write key as the HTTP Basic user name (or as writeKey in the JSON body).")
    keys = request_keys()
    if keys[KeyName.SERVER_KEY].matches(key):
        return True
    if not keys[KeyName.WRITE_KEY].matches(key):
        raise ApiError(401, "This write key is not valid: use the site's write key (or, from a backend, the "
                            "server key) that the builder's Settings page shows.")
    return False


def check_message_sizes(body: dict[str, Any], body_size: int) -> None:
    """400 naming each batch message over 32 KB (only a body over 32 KB can hold one)."""
    messages = body.get("batch")
    if body_size <= MAX_MESSAGE_BYTES or not isinstance(messages, list):
        return
    errors = []
    for index, message in enumerate(messages):
        size = len(json.dumps(message, separators=(",", ":")).encode())
        if size > MAX_MESSAGE_BYTES:
            errors.append({"field": f"batch.{index}", "pointer": f"/batch/{index}", "location": "json",
                           "message": f"This message is {size:,} bytes; a message may be at most 32 KB "
                                      f"({MAX_MESSAGE_BYTES:,} bytes)."})
    if errors:
        names = ", ".join(error["pointer"].lstrip("/") for error in errors)
        raise ApiError(400, f"Messages over 32 KB in the batch: {names}.", errors)


def check_nesting(body: dict[str, Any], text: bytes) -> None:
    """400 naming each call's traits or properties that nest more than MAX_PROPERTY_DEPTH levels, at the
    pointer of the first container too deep."""
    if text.count(b"{") + text.count(b"[") <= MAX_PROPERTY_DEPTH:
        return  # too few brackets to be that deep: most single calls end here
    messages = body.get("batch")
    calls = [(("batch", index), message) for index, message in enumerate(messages) if type(message) is dict] \
        if isinstance(messages, list) else [((), body)]
    fields = [(base, name, call.get(name)) for base, call in calls for name in PROPERTY_FIELDS]
    if not _any_deeper([value for _, _, value in fields], MAX_PROPERTY_DEPTH):
        return  # every batch ends here but a refused one: no path to work out
    errors = []
    for base, name, value in fields:
        path = _too_deep(value, MAX_PROPERTY_DEPTH) if type(value) in _CONTAINERS else None
        if path is not None:
            full = (*base, name, *path)
            errors.append({"field": _printable(".".join(map(str, full))), "pointer": _printable(pointer(full)),
                           "location": "json",
                           "message": f"This value nests more than {MAX_PROPERTY_DEPTH} levels of objects and "
                                      f"lists inside {name}."})
    names = ", ".join(error["pointer"] for error in errors[:3]) + (", …" if len(errors) > 3 else "")
    raise ApiError(400, f"Traits and properties may nest at most {MAX_PROPERTY_DEPTH} levels of objects and "
                        f"lists: flatten the value at {names}.", errors)


def _any_deeper(values: list[Any], limit: int) -> bool:
    """Whether any of `values` nests more than `limit` levels of objects and lists (itself the first): one
    level at a time, without the paths `_too_deep` keeps, as every batch request is checked."""
    level = [value for value in values if type(value) in _CONTAINERS]
    depth = 1
    while level:
        if depth > limit:
            return True
        inner = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) in _CONTAINERS:
                    inner.append(child)
        level = inner
        depth += 1
    return False


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode()  # a key may hold a lone surrogate


def load_tracking_request() -> None:
    """Read, size-check and authenticate the body once, before the view's schema validates it."""
    limit = MAX_BATCH_BYTES if request.path.endswith("/batch") else MAX_MESSAGE_BYTES
    body, text = read_body(limit)
    g.trusted_key = authenticate(body)
    check_message_sizes(body, len(text))
    check_nesting(body, text)
    g.tracking_body = body

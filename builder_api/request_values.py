"""Refuse request values no database can store: NUL characters, unpaired surrogates, NaN and infinities.

PostgreSQL rejects them in text and JSONB (SQLite would keep some), so without this
check such a request would fail half-way through a write instead of answering 422.
Reading the body here also refuses, with a 400 naming the place, JSON nested deeper than
MAX_DEPTH levels: Python's parser reads about 900, but copying, validating or storing such
a value recurses once per level and would fail half-way with a RecursionError.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from flask import request

from builder_api.errors import ApiError
from flows.errors import Path, pointer

TEXT_PROBLEM = "This text has a NUL character or an unpaired surrogate, which cannot be stored: remove it."
NUMBER_PROBLEM = "NaN and Infinity are not numbers JSON can store: send a finite number."

# What an unstorable value looks like in JSON text: a NUL byte (only a UTF-16 or UTF-32 body,
# where the escapes below look different, holds one), the NaN and Infinity literals Python's
# parser accepts, a surrogate (a \\u escape, or its UTF-8 bytes, which the parser lets through),
# or a number that may overflow a float: an exponent of three digits, or 200 digits in a row
# (a float of 309 digits overflows, and a two-digit exponent makes up at most 99 of them).
# A body with none of these is storable as it stands and is not walked: at thousands of
# tracking calls a second, the walk was a tenth of the API's CPU. Plain substring searches
# (one pass over the text with digits mapped to 0) take a tenth of the walk's time, where a
# regular expression with character classes takes longer than the walk.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf]")
_NUMBER_SHAPES = bytes.maketrans(b"123456789E", b"000000000e")
_LONG_DIGIT_RUN = b"0" * 200

# No request needs more: a flow document's deepest filter is some twenty levels below its top.
MAX_DEPTH = 64


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON "\ud800" escape
        return False
    return True


def may_hold_unstorable(text: bytes) -> bool:
    """Whether a JSON text could hold a value `unstorable` finds (see the comment above _UNSTORABLE_ESCAPE)."""
    if b"\x00" in text or b"NaN" in text or b"Infinity" in text:
        return True
    if b"\\u" in text and _UNSTORABLE_ESCAPE.search(text):
        return True
    if b"\xed" in text and _SURROGATE_BYTES.search(text):
        return True
    numbers = text.translate(_NUMBER_SHAPES)
    return b"0e000" in numbers or b"0e+000" in numbers or _LONG_DIGIT_RUN in numbers


def unstorable(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """(path, problem) for every string (object keys included) or number in a JSON value that cannot be stored."""
    if isinstance(value, str):
        if not _storable(value):
            yield path, TEXT_PROBLEM
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, NUMBER_PROBLEM
    elif isinstance(value, dict):
        for key, item in value.items():
            if not _storable(key):
                yield (*path, key), TEXT_PROBLEM
            yield from unstorable(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable(item, (*path, index))


def _too_deep(value: Any, limit: int) -> Path | None:
    """The path of a container more than `limit` levels deep in a JSON value, or None (a walk with a stack, not
    recursion, remembering each container's parent so the path is built only for the one found)."""
    keys: list[tuple[int, Any]] = [(-1, None)]  # (parent's index, key) of every container met
    stack = [(value, 1, 0)]
    while stack:
        item, depth, index = stack.pop()
        if depth > limit:
            path = []
            while index > 0:
                index, key = keys[index]
                path.append(key)
            return tuple(reversed(path))
        for key, child in item.items() if isinstance(item, dict) else enumerate(item):
            if isinstance(child, (dict, list)):
                keys.append((index, key))
                stack.append((child, depth + 1, len(keys) - 1))
    return None


def refuse_deep_json(value: Any, text: bytes) -> None:
    """400 naming the place where a JSON value (parsed from `text`) nests more than MAX_DEPTH levels."""
    if text.count(b"[") + text.count(b"{") <= MAX_DEPTH or not isinstance(value, (dict, list)):
        return  # too few brackets to be that deep: most bodies end here
    path = _too_deep(value, MAX_DEPTH)
    if path is not None:
        where = _printable(pointer(path))
        raise ApiError(400, f"The JSON body is nested more than {MAX_DEPTH} levels deep at {where}: no request "
                            "needs that many, so send a flatter value.",
                       [{"field": _printable(".".join(map(str, path))), "pointer": where, "location": "json",
                         "message": f"This value is nested more than {MAX_DEPTH} levels deep."}])


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode()


def refuse_unstorable_values() -> None:
    """A before_request hook: 422 naming each query parameter or body field that cannot be stored."""
    found = [("query", (name,), TEXT_PROBLEM) for name, values in request.args.lists()
             if not _storable(name) or not all(_storable(value) for value in values)]
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            raise ApiError(400, "The JSON body is nested too deeply to read.") from None
        text = request.get_data(cache=True)
        refuse_deep_json(body, text)
        if may_hold_unstorable(text):
            found += [("json", path, problem) for path, problem in unstorable(body)]
    _refuse(found)


def refuse_unstorable_body(body: Any, text: bytes) -> None:
    """400 for a body its view parsed itself from `text` (gzip, text/plain JSON) that nests too deeply, 422 naming
    each field of it that cannot be stored."""
    refuse_deep_json(body, text)
    if may_hold_unstorable(text):
        _refuse([("json", path, problem) for path, problem in unstorable(body)])


def _refuse(found: list[tuple[str, Path, str]]) -> None:
    if found:
        errors = [{"field": _printable(".".join(map(str, path))) or None, "pointer": _printable(pointer(path)),
                   "location": location, "message": problem} for location, path, problem in found[:20]]
        raise ApiError(422, f"The request is not valid: {errors[0]['message']}", errors)

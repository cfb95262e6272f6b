"""Refuse request values no database can store: NUL characters, unpaired surrogates, NaN and infinities.

PostgreSQL rejects them in text and JSONB (SQLite would keep some), so without this
check such a request would fail half-way through a write instead of answering 422.
Reading the body here also turns JSON nested too deeply for Python into a 400.
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


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode()


def refuse_unstorable_values() -> None:
    """A before_request hook: 422 naming each query parameter or body field that cannot be stored."""
    found = [("query", (name,), TEXT_PROBLEM) for name, values in request.args.lists()
             if not _storable(name) or not all(_storable(value) for value in values)]
    if request.is_json:
        try:
            body = request.get_json(silent=True)
            if may_hold_unstorable(request.get_data(cache=True)):
                found += [("json", path, problem) for path, problem in unstorable(body)]
        except RecursionError:
            raise ApiError(400, "The JSON body is nested too deeply to read.") from None
    _refuse(found)


def refuse_unstorable_body(body: Any, text: bytes) -> None:
    """422 naming each field of a body its view parsed itself from `text` (gzip, text/plain JSON)
    that cannot be stored."""
    if may_hold_unstorable(text):
        _refuse([("json", path, problem) for path, problem in unstorable(body)])


def _refuse(found: list[tuple[str, Path, str]]) -> None:
    if found:
        errors = [{"field": _printable(".".join(map(str, path))) or None, "pointer": _printable(pointer(path)),
                   "location": location, "message": problem} for location, path, problem in found[:20]]
        raise ApiError(422, f"The request is not valid: {errors[0]['message']}", errors)

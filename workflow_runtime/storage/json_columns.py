"""JSON column values parsed and serialised with orjson, with the standard json module for what
orjson would not keep exact.

A worker reads and writes several JSON columns for every run and contact it touches;
orjson does it in a fraction of the time, which the runtime benchmark shows.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

# 20 digits in a row may be an integer beyond 64 bits, which orjson.loads would turn into a float.
# Found as a substring once digits are mapped to 0: a regular expression's character class
# costs several times that on documents of a few hundred bytes.
_LONG_NUMBER_LENGTH = 20
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * _LONG_NUMBER_LENGTH


def load_json(data: str | bytes | bytearray | memoryview) -> Any:
    """A JSON document as Python values, exactly as json.loads gives them."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) >= _LONG_NUMBER_LENGTH and _LONG_NUMBER in raw.translate(_DIGITS_AS_ZERO):
        return json.loads(raw)
    return orjson.loads(raw)


def dump_json(value: Any) -> str:
    """`value` as JSON text, datetimes in ISO 8601 and decimals as strings (as PostgreSQL reads them);
    what orjson refuses (an integer beyond 64 bits, a non-string key) goes to json.dumps, which
    converts it or raises."""
    try:
        return orjson.dumps(value, default=_json_value).decode()
    except TypeError:
        return json.dumps(value, default=_json_value)


def _json_value(value: Any) -> Any:
    """What orjson and json leave to the caller: datetimes (json only) and decimals."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

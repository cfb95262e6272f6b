"""Ids in URLs and payloads: every table's id is a 32-bit integer, so a larger number names nothing."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` of at most 18 digits, so any id it passes fits a 64-bit parameter on every database.

    The bound is in the regex, not in `max=`: werkzeug answers 405 instead of 404 when a
    converter refuses a value on a path that another method's rule also matches.
    """

    regex = r"\d{1,18}"


def bound_url_ids(app: Flask) -> None:
    """Make every `<int:…>` URL part an IdConverter (call before registering blueprints)."""
    app.url_map.converters["int"] = IdConverter

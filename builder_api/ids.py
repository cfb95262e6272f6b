"""Ids in URLs and payloads: every table's id is a 32-bit integer, so a larger number names nothing."""
from __future__ import annotations

from typing import Any

from flask import Flask

from builder_api.errors import ApiError
from flows.schemas import MAX_ID


def refuse_ids_beyond_the_tables(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A URL id above MAX_ID is a 404 naming it, before any query (PostgreSQL would refuse the parameter)."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and value > MAX_ID:
            raise ApiError(404, f"There is nothing with {name} {value}: ids go up to {MAX_ID}.")


def bound_url_ids(app: Flask) -> None:
    """Check every `<int:…>` URL value of every view against MAX_ID."""
    app.url_value_preprocessor(refuse_ids_beyond_the_tables)

"""Contacts as CSV text, produced a chunk at a time so an export of any size never holds the whole list.

Cells a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) are prefixed with a single quote, as OWASP advises against CSV injection: an
exported name like `=HYPERLINK(...)` is shown as text, not run. Numbers are written as
numbers (a negative revenue stays -5), datetimes in ISO 8601, objects and lists as JSON.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow_runtime.audience.contact_columns import Column, derived
from workflow_runtime.audience.contact_search import ContactOrder, matching_chunks
from workflow_runtime.storage.json_columns import dump_json

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str | int | float:
    """One value as a CSV cell: text made safe from formula injection, numbers as they are, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    text = value if isinstance(value, str) else dump_json(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as CSV text (quoted where needed, CRLF line ends), every cell through csv_cell."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def export_csv(session: Session, now: datetime, columns: Sequence[Column], *, text: str | None = None,
               condition: Mapping[str, Any] | None = None, order: ContactOrder | None = None) -> Iterator[str]:
    """The header row, then the matching contacts' rows in `order`, one chunk of contacts per piece of text.

    Check the condition first (segment_store.condition_errors): a response already under way cannot turn into a 400.
    """
    chunks = matching_chunks(session, now, text=text, condition=condition, order=order)
    yield csv_lines([[header for column in columns for header in column.headers]])
    for chunk in chunks:
        found = derived(session, columns, chunk)
        yield csv_lines([[cell for column in columns for cell in column.cells(contact, found[contact.id])]
                         for contact in chunk])

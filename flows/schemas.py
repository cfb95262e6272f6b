"""The project's JSON Schemas, loaded once and resolvable by `$id`.

Node config schemas and the flow schema share definitions (durations, the filter
language) by `$ref`-ing them through one `referencing.Registry`, so each definition
is written once.
"""
from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import isodate
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).parent / "schema"
BASE_URI = "https://automap.dev/schema/"
# The largest id a stored row has (the tables' ids are 32-bit integers): a schema's `maximum` for an id, which
# the JSON files spell out as 2147483647, so a larger one is refused as invalid rather than looked up.
MAX_ID = 2**31 - 1

# The longest duration a flow may hold (a wait, a time-out, a window, a cap's period): ten years, a year
# counted as 365.25 days and a month as a twelfth of it, so P10Y, P120M and P3652DT12H are the longest.
# A datetime cannot hold a wait of P99999999D; nodes.timing reads a longer one that a document stored
# before this bound still holds as MAX_DURATION.
MAX_DURATION_TEXT = "P10Y"
MAX_DURATION = timedelta(days=3652, hours=12)
_SECONDS_PER_MONTH = MAX_DURATION.total_seconds() / 120

format_checker = FormatChecker()


def duration_seconds(duration: timedelta | isodate.Duration) -> float:
    """A parsed duration's nominal length in seconds: a year 365.25 days, a month a twelfth of a year."""
    if isinstance(duration, isodate.Duration):  # months/years: calendar-relative
        months = float(duration.years) * 12 + float(duration.months)
        return months * _SECONDS_PER_MONTH + duration.tdelta.total_seconds()
    return duration.total_seconds()


def duration_problem(value: str) -> str | None:
    """Why `value` is not a duration a flow may hold (it does not parse, is not longer than zero, or is
    longer than MAX_DURATION_TEXT), as the end of a sentence; None when it is one."""
    try:
        duration = isodate.parse_duration(value)
    except OverflowError:  # isodate's own limit, far beyond ours
        return f"is longer than {MAX_DURATION_TEXT} (ten years), the longest a flow may wait: shorten it"
    except Exception:  # isodate raises several types (ISO8601Error, ValueError, TypeError)
        return "is not a duration: use ISO 8601 like PT1H or P7D"
    seconds = duration_seconds(duration)
    if seconds <= 0:
        return "is not longer than zero: use a duration like PT1H or P7D"
    if seconds > MAX_DURATION.total_seconds():
        return f"is longer than {MAX_DURATION_TEXT} (ten years), the longest a flow may wait: shorten it"
    return None


@format_checker.checks("duration")
def is_positive_duration(value: object) -> bool:
    """An ISO 8601 duration (PT1H, P7D, P1DT12H) longer than zero and at most MAX_DURATION_TEXT."""
    return not isinstance(value, str) or duration_problem(value) is None


def ref(file: str, definition: str) -> dict[str, str]:
    """A `$ref` to a shared definition, e.g. ``ref("filter.schema.json", "condition")``."""
    return {"$ref": f"{BASE_URI}{file}#/$defs/{definition}"}


@cache
def load(file: str) -> dict[str, Any]:
    """One schema file of flows/schema/, parsed."""
    return json.loads((SCHEMA_DIR / file).read_text(encoding="utf-8"))


@cache
def registry() -> Registry:
    """Every schema file, registered under its `$id`."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = load(path.name)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema` that resolves shared `$ref`s and checks formats."""
    return Draft202012Validator(schema, registry=registry(), format_checker=format_checker)

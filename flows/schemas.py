"""The project's JSON Schemas, loaded once and resolvable by `$id`.

Node config schemas and the flow schema share definitions (durations, the filter
language) by `$ref`-ing them through one `referencing.Registry`, so each definition
is written once.
"""
from __future__ import annotations

import json
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

format_checker = FormatChecker()


@format_checker.checks("duration", raises=(isodate.ISO8601Error, ValueError, OverflowError))
def is_positive_duration(value: object) -> bool:
    """An ISO 8601 duration (PT1H, P7D, P1DT12H) longer than zero."""
    if not isinstance(value, str):
        return True
    duration = isodate.parse_duration(value)
    if isinstance(duration, isodate.Duration):  # months/years: calendar-relative
        return duration.years > 0 or duration.months > 0 or duration.tdelta.total_seconds() > 0
    return duration.total_seconds() > 0


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

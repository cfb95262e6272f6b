"""JSON columns read with orjson, exactly as the json module reads them."""
from __future__ import annotations

import json

import pytest

from workflow_runtime.storage.json_columns import load_json


@pytest.mark.parametrize("text", [
    '{"order": 123456789012345678901234567890}',  # beyond 64 bits: orjson would make it a float
    '[18446744073709551616, -18446744073709551617]',
    '{"id": 12345678901234567890, "note": "the id is 20 digits"}',
    '{"amount": 12.5, "sku": "A-1", "tags": []}',
    '{}',
])
def test_load_json_gives_what_json_loads_gives(text: str) -> None:
    assert load_json(text) == json.loads(text)
    assert load_json(text.encode()) == json.loads(text)
    assert [type(value) for value in _leaves(load_json(text))] == [type(value) for value in _leaves(json.loads(text))]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]

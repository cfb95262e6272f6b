"""validate_flow never raises: on arbitrary JSON and on valid documents with random damage."""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.document import canonical
from flows.validation import ErrorCode, FlowError, FlowInvalid, ensure_valid, validate_flow

Doc = dict[str, Any]
Path = tuple[str | int, ...]

# words the validator looks for, so random documents reach deep into every layer
VOCABULARY = [
    "schema_version", "name", "description", "settings", "nodes", "edges", "id", "type", "label",
    "position", "config", "from", "port", "to", "next", "yes", "no", "a", "b", "event", "timeout",
    "failed", "trigger", "wait", "split", "exit", "condition", "variants", "weight", "duration",
    "P1D", "PT0S", "P1X", "start", "done", "check", "goal", "within", "filter", "where",
]

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(VOCABULARY)
)
keys = st.sampled_from(VOCABULARY) | st.text(max_size=10)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_reported_not_raised(doc: Any) -> list[FlowError]:
    """Validate `doc`, checking the answer is well formed, stable and leaves `doc` alone."""
    before = copy.deepcopy(doc)
    errors = validate_flow(doc)
    assert doc == before
    assert isinstance(errors, list)
    for error in errors:
        assert isinstance(error, FlowError) and isinstance(error.code, ErrorCode)
        assert error.pointer == "" or error.pointer.startswith("/")
        assert error.node_id is None or isinstance(error.node_id, str)
        assert isinstance(error.message, str) and error.message
    assert validate_flow(doc) == errors
    return errors


def paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path into `value`, containers and leaves alike."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, path + (index,))


def damage(data: st.DataObject, doc: Doc) -> None:
    """Replace, delete or add one value somewhere in `doc`."""
    path = data.draw(st.sampled_from(list(paths(doc))[1:]))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = data.draw(json_values)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(keys)] = data.draw(json_values)
    else:
        parent.append(data.draw(json_values | st.sampled_from(parent)))


@FUZZ
@given(json_values)
def test_arbitrary_json_is_reported_not_raised(doc: Any) -> None:
    assert_reported_not_raised(doc)


@FUZZ
@given(st.dictionaries(keys, json_values, max_size=8))
def test_arbitrary_objects_are_reported_not_raised(doc: Doc) -> None:
    assert assert_reported_not_raised(doc)  # no object of random keys is a valid flow


@FUZZ
@given(data=st.data())
def test_damaged_flows_are_reported_not_raised(flow_factory: Callable[[], Doc], data: st.DataObject) -> None:
    doc = flow_factory()
    for _ in range(data.draw(st.integers(1, 3))):
        damage(data, doc)
    errors = assert_reported_not_raised(doc)
    try:
        result = ensure_valid(doc)
    except FlowInvalid as invalid:
        assert invalid.errors == errors
    else:
        assert errors == [] and canonical(result) == result


def test_huge_duration_is_reported_not_raised(flow: Doc) -> None:
    flow["nodes"][5]["config"] = {"duration": "P999999999999D"}
    assert [error.code for error in validate_flow(flow)] == [ErrorCode.DURATION]


def test_deeply_nested_values_are_not_walked() -> None:
    junk: Any = "leaf"
    for _ in range(900):  # about as deep as json.loads goes
        junk = [junk]
    doc = {"name": "x", "nodes": [{"id": "a", "type": "trigger", "config": {"event": junk}}], "edges": []}
    assert [(error.code, error.pointer) for error in validate_flow(doc)] == [(ErrorCode.CONFIG, "/nodes/0/config/event")]

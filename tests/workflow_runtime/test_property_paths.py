"""Property paths: set and unset by dotted path, with a loop whatever the depth of the stored values."""
from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow_runtime.engine.property_paths import set_path, unset_path, with_changes


def nest(levels: int, leaf: Any = 1) -> Any:
    """{"a": {"a": … leaf}} with `levels` objects."""
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def test_with_changes_sets_and_unsets_by_path_and_leaves_the_original_alone() -> None:
    original = {"plan": "trial", "address": {"city": "Paris", "zip": "75001"}, "score": 3, "tags": {"x": 1}, "kept": {"x": 1}}
    before = copy.deepcopy(original)
    changed = with_changes(original, {"plan": "pro", "address.city": "Berlin", "score.value": 4, "new.deep.key": True},
                           ["address.zip", "missing.path", "tags.y"])
    assert changed == {"plan": "pro", "address": {"city": "Berlin"}, "score": {"value": 4},
                       "new": {"deep": {"key": True}}, "tags": {"x": 1}, "kept": {"x": 1}}
    assert original == before
    assert changed["kept"] is original["kept"], "an untouched value is shared, not copied"


def test_a_value_nested_far_deeper_than_the_stack_allows_is_changed_without_recursion() -> None:
    deep = {"profile": nest(50_000), "plan": "trial"}
    path = ".".join(["profile"] + ["a"] * 99)
    changed = with_changes(deep, {path + ".b": "x", "plan": "pro"}, [".".join(["profile"] + ["a"] * 98) + ".c"])
    node = changed["profile"]
    for _ in range(99):
        node = node["a"]
    assert node["b"] == "x" and changed["plan"] == "pro"
    assert "b" not in deep["profile"]["a"], "the stored value is left as it was"
    with pytest.raises(RecursionError):
        copy.deepcopy(deep)  # what the interpreter did before


PATHS = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4).map(".".join)
VALUES: st.SearchStrategy[Any] = st.recursive(st.integers(0, 3) | st.text(max_size=2),
                                              lambda inner: st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
                                              max_leaves=8)


@given(properties=st.dictionaries(st.sampled_from("abc"), VALUES, max_size=3),
       to_set=st.dictionaries(PATHS, VALUES, max_size=3), to_unset=st.lists(PATHS, max_size=3))
def test_with_changes_gives_what_set_path_and_unset_path_give_on_a_deep_copy(
        properties: dict[str, Any], to_set: dict[str, Any], to_unset: list[str]) -> None:
    expected = copy.deepcopy(properties)
    for path, value in to_set.items():
        set_path(expected, path, value)
    for path in to_unset:
        unset_path(expected, path)
    before = copy.deepcopy(properties)
    assert with_changes(properties, to_set, to_unset) == expected
    assert properties == before

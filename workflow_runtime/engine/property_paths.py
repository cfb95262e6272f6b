"""Writing contact properties by dotted path (address.city), as the filter language reads them.

Every function here walks a path with a loop, never recursion, so a stored value of any
depth (a contact identified before ingestion capped nesting) cannot raise RecursionError.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def set_path(properties: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path, creating (or replacing non-object) parents on the way."""
    *parents, leaf = path.split(".")
    target = properties
    for name in parents:
        child = target.get(name)
        if not isinstance(child, dict):
            child = target[name] = {}
        target = child
    target[leaf] = value


def unset_path(properties: dict[str, Any], path: str) -> None:
    """Remove the value at a dotted path, if there is one."""
    *parents, leaf = path.split(".")
    target: Any = properties
    for name in parents:
        target = target.get(name) if isinstance(target, dict) else None
    if isinstance(target, dict):
        target.pop(leaf, None)


def with_changes(properties: Mapping[str, Any] | None, set_properties: Mapping[str, Any],
                 unset: Sequence[str]) -> dict[str, Any]:
    """`properties` with `set_properties` set and `unset` removed, by dotted path, leaving `properties` as it was.

    Copy on write: only the objects on the changed paths are copied (at most one per
    path segment), and the untouched values are shared with `properties`, so the cost
    and the stack do not grow with how deep the contact's stored values nest, as a
    `copy.deepcopy` of them would (it recurses once per level).
    """
    result = dict(properties or {})
    copied = {id(result)}  # the objects this call made, which may change in place
    changes = [(path, True, value) for path, value in set_properties.items()] + [(path, False, None) for path in unset]
    for path, setting, value in changes:
        *parents, leaf = path.split(".")
        target = result
        for name in parents:
            child = target.get(name)
            if not isinstance(child, dict):
                if not setting:
                    break  # nothing to remove below a missing or non-object parent
                child = {}
            elif id(child) not in copied:
                child = dict(child)
            else:
                target = child
                continue
            copied.add(id(child))
            target[name] = child
            target = child
        else:
            if setting:
                target[leaf] = value
            else:
                target.pop(leaf, None)
    return result

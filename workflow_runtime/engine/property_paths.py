"""Writing contact properties by dotted path (address.city), as the filter language reads them."""
from __future__ import annotations

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

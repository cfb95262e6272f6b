"""The catalogue of node types, keyed by their `type` string.

Each module in NODE_MODULES registers its NodeType on import; importing them
lazily keeps `import nodes.registry` cheap and free of cycles.
"""
from __future__ import annotations

import importlib
from functools import cache

from nodes.base import NodeType

NODE_MODULES = (
    "trigger",
    "wait",
    "wait_for_event",
    "condition",
    "split",
    "send_email",
    "send_chat",
    "send_popup",
    "webhook",
    "update_contact",
    "update_conversation",
    "goal",
    "exit",
)

_types: dict[str, type[NodeType]] = {}


def register(node_type: type[NodeType]) -> type[NodeType]:
    """Add a node type to the catalogue; use as a class decorator."""
    if node_type.type in _types and _types[node_type.type] is not node_type:
        raise ValueError(f"node type {node_type.type!r} is registered twice")
    _types[node_type.type] = node_type
    return node_type


@cache
def _load_all() -> None:
    for name in NODE_MODULES:
        importlib.import_module(f"nodes.{name}")


def get(type_name: str) -> type[NodeType] | None:
    """The node type named `type_name`, or None if there is none."""
    _load_all()
    return _types.get(type_name)


def all_types() -> list[type[NodeType]]:
    """Every node type, in palette order."""
    _load_all()
    return [_types[name] for name in NODE_MODULES]

"""What changed between two flow documents: nodes and edges added, removed or changed, settings changed.

Both documents are canonical (stored drafts and versions are), so nodes are matched
by id and edges by (from, port, to); a draft may still be invalid, so nothing here
assumes more than its shape. Every change names a JSON pointer: for an added or
changed node into the newer document, for a removed one into the older.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.errors import Path, pointer

DOCUMENT_FIELDS = ("name", "description")


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The differences from `old` to `new`, each list in the newer (or, for removals, older) document's order."""
    old_nodes = _by_id(old.get("nodes", []))
    new_nodes = _by_id(new.get("nodes", []))
    changed = []
    for node_id, (index, node) in new_nodes.items():
        if node_id in old_nodes and old_nodes[node_id][1] != node:
            changes = value_changes(old_nodes[node_id][1], node, ("nodes", index))
            changed.append({"id": node_id, "type": node.get("type"), "pointer": pointer(("nodes", index)),
                            "changes": changes})
    old_edges = [_edge_key(edge) for edge in old.get("edges", [])]
    new_edges = [_edge_key(edge) for edge in new.get("edges", [])]
    return {
        "nodes": {
            "added": [_node_entry(node, index) for node_id, (index, node) in new_nodes.items() if node_id not in old_nodes],
            "removed": [_node_entry(node, index) for node_id, (index, node) in old_nodes.items()
                        if node_id not in new_nodes],
            "changed": changed,
        },
        "edges": {
            "added": [_edge_entry(edge) for edge in new_edges if edge not in old_edges],
            "removed": [_edge_entry(edge) for edge in old_edges if edge not in new_edges],
        },
        "settings": value_changes(old.get("settings", {}), new.get("settings", {}), ("settings",)),
        "document": [change for field in DOCUMENT_FIELDS
                     for change in value_changes(old.get(field), new.get(field), (field,))],
    }


def value_changes(old: Any, new: Any, path: Path) -> list[dict[str, Any]]:
    """Changes from `old` to `new` at `path`: objects are compared key by key, anything else as a whole."""
    if old == new:
        return []
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found = []
        for key in [*old, *(key for key in new if key not in old)]:
            found += value_changes(old.get(key), new.get(key), (*path, key))
        return found
    if old is None:
        return [{"op": "added", "pointer": pointer(path), "to": new}]
    if new is None:
        return [{"op": "removed", "pointer": pointer(path), "from": old}]
    return [{"op": "changed", "pointer": pointer(path), "from": old, "to": new}]


def _by_id(nodes: list[Any]) -> dict[Any, tuple[int, Mapping[str, Any]]]:
    return {node.get("id"): (index, node) for index, node in enumerate(nodes)}


def _node_entry(node: Mapping[str, Any], index: int) -> dict[str, Any]:
    return {"id": node.get("id"), "type": node.get("type"), "pointer": pointer(("nodes", index))}


def _edge_key(edge: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    return edge.get("from"), edge.get("port"), edge.get("to")


def _edge_entry(key: tuple[Any, Any, Any]) -> dict[str, Any]:
    return {"from": key[0], "port": key[1], "to": key[2]}

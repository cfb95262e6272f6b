"""Bring a flow document saved in an older format up to CURRENT_VERSION.

Each step takes a document of version N to N + 1 and is registered in STEPS;
`upgrade` applies them in order. Anything it cannot interpret it leaves as it is,
so validation can say what is wrong.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodes import registry

CURRENT_VERSION = 2
FIRST_VERSION = 1  # documents without schema_version predate the field


def node_ports(node: Any) -> list[str] | None:
    """The output ports of a node of the document, or None when its type or config is unusable."""
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return None
    node_type = registry.get(node["type"])
    config = node.get("config", {})
    if node_type is None or not isinstance(config, dict):
        return None
    return node_type.output_ports(config)


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Name the port of every edge whose source node has exactly one output port."""
    doc = dict(doc)
    nodes = doc.get("nodes")
    edges = doc.get("edges")
    if isinstance(nodes, list) and isinstance(edges, list):
        by_id: dict[str, Any] = {}
        for node in nodes:
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                by_id.setdefault(node["id"], node)
        doc["edges"] = [_with_port(edge, by_id) for edge in edges]
    doc["schema_version"] = 2
    return doc


def _with_port(edge: Any, by_id: dict[str, Any]) -> Any:
    """The edge with `port` filled in when the source node leaves no doubt which one."""
    if not isinstance(edge, dict) or "port" in edge or not isinstance(edge.get("from"), str):
        return edge
    ports = node_ports(by_id.get(edge["from"]))
    if ports is None or len(ports) != 1:
        return edge  # validation asks the user to name the port
    filled = {"from": edge["from"], "port": ports[0]}
    filled.update(edge)
    return filled


# A step returns a new document and copies whatever it changes; it never mutates its input.
STEPS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def document_version(doc: dict[str, Any]) -> Any:
    """The document's declared schema_version (FIRST_VERSION when absent)."""
    return doc.get("schema_version", FIRST_VERSION)


def upgrade(doc: Any) -> Any:
    """`doc` upgraded to CURRENT_VERSION as a new dict; never mutates `doc` and never raises.

    Parts no step changes are shared with `doc`, not copied. A document that is
    not an object, or whose version is unknown, comes back as it is for
    validation to reject.
    """
    if not isinstance(doc, dict):
        return doc
    doc = dict(doc)
    version = document_version(doc)
    # bool is an int subclass, but `true` is no version
    while type(version) is int and version in STEPS:
        doc = STEPS[version](doc)
        version = doc["schema_version"]
    return doc

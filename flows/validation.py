"""Check a flow document and say, in sentences, everything that is wrong with it.

Three layers, run from here: the document's JSON Schema, each node's config against
its node type (its schema, then its `check_config`), and the graph (flows.graph).
schema_messages words the schema errors; every error carries a JSON pointer and the
node id so the canvas can mark the spot. `flow_warnings` finds, apart, what does not stop
publishing but probably is not meant (a message printing a name the contact may not have).
"""
from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from flows.document import canonical
from flows.errors import ErrorCode, FlowError, FlowInvalid, Path, Severity, pointer
from flows.graph import graph_errors
from flows.schema_messages import (
    SchemaLayer,
    node_id_at,
    node_name,
    place,
    sentence,
    show,
    value_at,
)
from flows.schemas import load, validator
from flows.upgrade import CURRENT_VERSION, node_ports, upgrade
from nodes import registry
from nodes.base import ConfigProblem, NodeType

__all__ = ["ErrorCode", "FlowError", "FlowInvalid", "Severity", "ensure_valid", "flow_warnings", "pointer", "validate_flow"]


def _pointer_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts errors in document order (list indexes compared as numbers)."""
    parts = text.split("/")[1:]
    return tuple((0, int(part)) if part.isascii() and part.isdigit() else (1, part) for part in parts)


def validate_flow(doc: Any) -> list[FlowError]:
    """Every problem in the flow document `doc` (any JSON value), in document order; [] if it is valid."""
    try:
        doc = upgrade(doc)
        version_errors = _version_errors(doc)
        if version_errors:
            return version_errors  # a document of another version cannot be read field by field
        schema_errors = SchemaLayer(doc).errors(_flow_validator(), doc, (), ErrorCode.SCHEMA)
        ports, node_errors = _node_errors(doc)
        wiring_errors = graph_errors(doc, ports)
        # the graph layer's port message lists the node's ports, so it replaces the schema's
        port_pointers = {error.pointer for error in wiring_errors if error.code is ErrorCode.MISSING_PORT}
        errors = [error for error in schema_errors if error.pointer not in port_pointers]
        errors += node_errors + _settings_errors(doc) + wiring_errors
    except RecursionError:
        return [FlowError("", None, "The flow is nested too deeply to read: it is not an automap flow.", ErrorCode.SCHEMA)]
    return sorted(errors, key=lambda error: _pointer_key(error.pointer))


def flow_warnings(doc: Any) -> list[FlowError]:
    """What in the flow document `doc` does not stop it from being published but probably is not meant,
    in document order, each with Severity.WARNING; [] when there is nothing or `doc` cannot be read.

    Only nodes whose config passes its type's schema are read, so no warning repeats an error."""
    try:
        doc = upgrade(doc)
        nodes = doc.get("nodes") if isinstance(doc, dict) else None
        if _version_errors(doc) or not isinstance(nodes, list):
            return []
        warnings = []
        for index, node in enumerate(nodes):
            node_type = registry.get(node["type"]) if isinstance(node, dict) and isinstance(node.get("type"), str) else None
            config = node.get("config", {}) if isinstance(node, dict) else None
            if node_type is not None and isinstance(config, dict) and _config_validator(node_type).is_valid(config):
                warnings += _problem_errors(doc, index, node_type.config_warnings(config), Severity.WARNING)
    except RecursionError:
        return []
    return sorted(warnings, key=lambda warning: _pointer_key(warning.pointer))


def ensure_valid(doc: Any) -> dict[str, Any]:
    """The canonical form of `doc`; raises FlowInvalid with every problem if it is not valid."""
    errors = validate_flow(doc)
    if errors:
        raise FlowInvalid(errors)
    return canonical(doc)


def _version_errors(doc: Any) -> list[FlowError]:
    """An error if the (upgraded) document declares a version this code cannot read."""
    if not isinstance(doc, dict) or "schema_version" not in doc:
        return []
    version = doc["schema_version"]
    if type(version) is int and version == CURRENT_VERSION:
        return []
    if type(version) is int and version > CURRENT_VERSION:
        message = (
            f"This flow was saved in format version {version}, newer than this automap reads "
            f"(up to {CURRENT_VERSION}): update automap to open it."
        )
    else:
        message = (
            f"{show(version)} is not a flow format version automap knows: set schema_version "
            f"to {CURRENT_VERSION}, or leave it out for a version 1 document."
        )
    return [FlowError("/schema_version", None, message, ErrorCode.VERSION)]


@cache
def _flow_validator() -> Draft202012Validator:
    """The validator of the whole document, built once."""
    return validator(load("flow.schema.json"))


@cache
def _config_validator(node_type: type[NodeType]) -> Draft202012Validator:
    """The validator of `node_type`'s config, built once per type."""
    return validator(node_type.config_schema)


def _node_errors(doc: Any) -> tuple[dict[int, list[str]], list[FlowError]]:
    """Errors of node types and configs, and the ports of every node sound enough to wire."""
    ports: dict[int, list[str]] = {}
    errors: list[FlowError] = []
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        return ports, errors
    layer = SchemaLayer(doc)
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            continue  # the document schema reports it
        node_type = registry.get(node["type"])
        config = node.get("config", {})
        if node_type is None:
            known = ", ".join(known_type.type for known_type in registry.all_types())
            errors.append(FlowError(
                f"/nodes/{index}/type", node_id_at(doc, ("nodes", index)),
                f"{node_name(doc, index)} has type {show(node['type'])}, which automap does not know: use one of {known}.",
                ErrorCode.UNKNOWN_NODE_TYPE,
            ))
        elif isinstance(config, dict):
            config_errors = layer.errors(_config_validator(node_type), config, ("nodes", index, "config"), ErrorCode.CONFIG)
            if not config_errors:  # check_config may rely on everything the schema promises
                config_errors = _problem_errors(doc, index, node_type.check_config(config), Severity.ERROR)
            errors += config_errors
            if not config_errors:
                ports[index] = node_ports(node) or []
    return ports, errors


def _problem_errors(doc: Any, index: int, problems: list[ConfigProblem], severity: Severity) -> list[FlowError]:
    """The ConfigProblems of the node at /nodes/`index` as FlowErrors of `severity`, each message led by the node's name."""
    name, node_id = node_name(doc, index), node_id_at(doc, ("nodes", index))
    return [
        FlowError(
            pointer(("nodes", index, "config", *problem.path)), node_id,
            f"{name}: {problem.message[:1].lower()}{problem.message[1:]}",
            ErrorCode(problem.code),
            severity,
        )
        for problem in problems
    ]


@cache
def _time_zones() -> frozenset[str]:
    """Every IANA time zone name this system knows, read once."""
    return frozenset(zoneinfo.available_timezones())


def _settings_errors(doc: Any) -> list[FlowError]:
    """What the settings schema cannot say: the quiet-hours time zone exists."""
    zone = value_at(doc, ("settings", "quiet_hours", "time_zone"))
    if not isinstance(zone, str) or not zone or zone in _time_zones():
        return []
    problem = (
        f"{show(zone)} is not a time zone automap knows: use an IANA name like Europe/Berlin "
        "or America/New_York, or leave it out to use each contact's own"
    )
    path: Path = ("settings", "quiet_hours", "time_zone")
    return [FlowError(pointer(path), None, sentence(place(doc, path), problem), ErrorCode.TIME_ZONE)]

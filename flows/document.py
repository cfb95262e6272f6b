"""The canonical form of a flow document, and reading and writing it as a file.

Canonical means: upgraded to the current version, keys in one order, `settings`
and every node's `config` present, every edge's port named. Storing and exporting
the canonical form makes `export(import(doc))` equal `canonical(doc)` and keeps
diffs between versions small.
"""
from __future__ import annotations

import copy
import json
from os import PathLike
from pathlib import Path
from typing import Any

from flows.errors import ErrorCode, FlowError, FlowInvalid
from flows.upgrade import upgrade
from nodes import registry

DOCUMENT_KEYS = ("schema_version", "name", "description", "settings", "nodes", "edges")
NODE_KEYS = ("id", "type", "label", "position", "config")
EDGE_KEYS = ("from", "port", "to")


def node_label(document: dict[str, Any], node_id: str) -> str:
    """What the canvas calls a node of a document: its label, else its node type's name, else its id."""
    node = next((node for node in document.get("nodes", []) if node.get("id") == node_id), None)
    if node is None:
        return node_id
    node_type = registry.get(node.get("type", ""))
    return node.get("label") or (node_type.label if node_type is not None else node_id)


def _ordered(mapping: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """`mapping` with `keys` first, in that order, then any others as they came."""
    ordered = {key: mapping[key] for key in keys if key in mapping}
    ordered.update((key, value) for key, value in mapping.items() if key not in ordered)
    return ordered


def canonical(doc: Any) -> dict[str, Any]:
    """The canonical form of a valid flow document, as a new dict that shares nothing with `doc`.

    Raises:
        TypeError: `doc` is not a JSON object (validate it first).
    """
    doc = upgrade(doc)
    if not isinstance(doc, dict):
        raise TypeError(f"a flow document is a JSON object, not {type(doc).__name__}")
    doc = copy.deepcopy(doc)
    doc.setdefault("settings", {})
    doc["nodes"] = [_ordered({"config": {}, **node}, NODE_KEYS) for node in doc.get("nodes", [])]
    doc["edges"] = [_ordered(edge, EDGE_KEYS) for edge in doc.get("edges", [])]
    return _ordered(doc, DOCUMENT_KEYS)


def shape_errors(doc: Any) -> list[FlowError]:
    """What keeps `doc` from being stored even as an unfinished draft: it must be an object whose
    `nodes` and `edges`, when present, are lists of objects. Everything else may wait for publishing."""
    doc = upgrade(doc)
    if not isinstance(doc, dict):
        return [FlowError("", None, "A flow document is a JSON object with nodes and edges.", ErrorCode.SCHEMA)]
    errors = []
    for key in ("nodes", "edges"):
        items = doc.get(key, [])
        if not isinstance(items, list):
            errors.append(FlowError(f"/{key}", None, f"'{key}' must be a list of objects.", ErrorCode.SCHEMA))
            continue
        errors += [
            FlowError(f"/{key}/{index}", None, f"Item {index} of '{key}' must be an object.", ErrorCode.SCHEMA)
            for index, item in enumerate(items)
            if not isinstance(item, dict)
        ]
    return errors


def dumps(doc: Any) -> str:
    """`doc` as the JSON text automap writes: two-space indent, UTF-8 characters kept, a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def load_file(path: str | PathLike[str]) -> Any:
    """The JSON value in the file at `path`, not yet validated.

    Raises:
        FlowInvalid: the file is not UTF-8 JSON; the error says where it breaks.
        OSError: the file cannot be read.
    """
    data = Path(path).read_bytes()
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        message = f"The file is not UTF-8 text (byte {error.start + 1} cannot be read): save it as UTF-8."
    except json.JSONDecodeError as error:
        message = (
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}. "
            "Fix it there, or export the flow again."
        )
    except RecursionError:
        message = "The file is nested too deeply to be a flow."
    raise FlowInvalid([FlowError("", None, message, ErrorCode.JSON)])

"""Check a flow document and say, in sentences, everything that is wrong with it.

Three layers, each in one place: the document's JSON Schema, each node's config
against its node type's schema, and the graph (networkx). Every error carries a
JSON pointer and the node id so the canvas can mark the spot.
"""
from __future__ import annotations

import enum
import json
import math
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import isodate
import networkx as nx
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import STRONG_MATCHES, WEAK_MATCHES, best_match

from flows.schemas import load, validator
from flows.upgrade import CURRENT_VERSION, node_ports, upgrade
from nodes import registry
from nodes.base import NodeType

Path = tuple[str | int, ...]


class ErrorCode(str, enum.Enum):
    """What kind of problem a FlowError is; stable values the API and canvas can key on.

    json: the file is not JSON; version: unknown schema_version; schema: the document
    breaks the flow schema; duration: a value is not an ISO 8601 duration longer than zero;
    time_zone: an unknown IANA time zone; unknown_node_type: no such node type;
    config: a node's config breaks its type's schema; duplicate_id: two nodes share an id;
    missing_node: an edge names a node that does not exist; missing_port: an edge leaves
    by a port its node does not have, or names none where the node has several;
    port_used_twice: two edges leave the same port; unwired_port: an output port leads
    nowhere; no_trigger: nothing starts the flow; trigger_has_input: an edge leads into a
    trigger; unreachable: no trigger leads to a node; loop_without_wait: a cycle
    with no waiting node in it; split_weights: split weights do not add up to 100;
    duplicate_variant: two split variants share an id.
    """

    JSON = "json"
    VERSION = "version"
    SCHEMA = "schema"
    DURATION = "duration"
    TIME_ZONE = "time_zone"
    UNKNOWN_NODE_TYPE = "unknown_node_type"
    CONFIG = "config"
    DUPLICATE_ID = "duplicate_id"
    MISSING_NODE = "missing_node"
    MISSING_PORT = "missing_port"
    PORT_USED_TWICE = "port_used_twice"
    UNWIRED_PORT = "unwired_port"
    NO_TRIGGER = "no_trigger"
    TRIGGER_HAS_INPUT = "trigger_has_input"
    UNREACHABLE = "unreachable"
    LOOP_WITHOUT_WAIT = "loop_without_wait"
    SPLIT_WEIGHTS = "split_weights"
    DUPLICATE_VARIANT = "duplicate_variant"


@dataclass(frozen=True)
class FlowError:
    """One problem in a flow document, located by a JSON pointer into the upgraded document."""

    pointer: str
    node_id: str | None
    message: str
    code: ErrorCode

    def to_dict(self) -> dict[str, Any]:
        """The error as plain JSON for the API."""
        return {"pointer": self.pointer, "node_id": self.node_id, "message": self.message, "code": self.code.value}


class FlowInvalid(Exception):
    """A flow document failed validation; `errors` lists every problem found."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        count = f"{len(errors)} problems" if len(errors) != 1 else "1 problem"
        super().__init__(f"The flow has {count}. " + " ".join(error.message for error in errors[:3]))

    def to_dict(self) -> dict[str, Any]:
        """The errors as plain JSON for an API error body."""
        return {"errors": [error.to_dict() for error in self.errors]}


def pointer(path: Iterable[str | int]) -> str:
    """The RFC 6901 JSON pointer of `path`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


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
        schema_errors = _SchemaLayer(doc).errors(_flow_validator(), doc, (), ErrorCode.SCHEMA)
        ports, node_errors = _node_errors(doc)
        graph_errors = _graph_errors(doc, ports)
        # the graph layer's port message lists the node's ports, so it replaces the schema's
        port_pointers = {error.pointer for error in graph_errors if error.code is ErrorCode.MISSING_PORT}
        errors = [error for error in schema_errors if error.pointer not in port_pointers]
        errors += node_errors + _settings_errors(doc) + graph_errors
    except RecursionError:
        return [FlowError("", None, "The flow is nested too deeply to read: it is not an automap flow.", ErrorCode.SCHEMA)]
    return sorted(errors, key=lambda error: _pointer_key(error.pointer))


def ensure_valid(doc: Any) -> dict[str, Any]:
    """The canonical form of `doc`; raises FlowInvalid with every problem if it is not valid."""
    # document.py imports this module for FlowError, so this import waits until needed
    from flows.document import canonical

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
            f"{_show(version)} is not a flow format version automap knows: set schema_version "
            f"to {CURRENT_VERSION}, or leave it out for a version 1 document."
        )
    return [FlowError("/schema_version", None, message, ErrorCode.VERSION)]


# --- layer (a) and (b): JSON Schema errors as sentences -------------------------------

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object (a group of fields)",
    "null": "null",
}
_VERB_LED = {"is", "has", "needs", "lists", "matches", "should"}  # problems that read on from the place's name
_COMMON = load("common.schema.json")["$defs"]
_PATTERN_HINTS = {
    _COMMON["time_of_day"]["pattern"]: "is not a time of day: use 24-hour HH:MM like 09:00",
    _COMMON["node_id"]["pattern"]: "is not a valid id: use only letters, digits, _ and -",
    _COMMON["property_path"]["pattern"]: "is not a property name: it may not contain spaces or start with a dot",
}


@cache
def _flow_validator() -> Draft202012Validator:
    return validator(load("flow.schema.json"))


@cache
def _config_validator(node_type: type[NodeType]) -> Draft202012Validator:
    return validator(node_type.config_schema)


def _show(value: Any) -> str:
    """A short rendering of a JSON value for a message."""
    if isinstance(value, (list, dict)):
        return "[…]" if isinstance(value, list) else "{…}"  # a container could be huge or deep
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _kind(value: Any) -> str:
    """The JSON type of `value` in words."""
    # bool before int: True is an int to Python but not to JSON
    for name, python in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                         ("array", list), ("object", dict), ("null", type(None))):
        if isinstance(value, python):
            return _TYPE_NAMES[name]
    return type(value).__name__


def _at(doc: Any, path: Path) -> Any:
    """The value of `doc` at `path`, or None where the path leads nowhere."""
    for part in path:
        if isinstance(doc, dict) and isinstance(part, str):
            doc = doc.get(part)
        elif isinstance(doc, list) and isinstance(part, int) and 0 <= part < len(doc):
            doc = doc[part]
        else:
            return None
    return doc


def _node_name(doc: Any, index: int) -> str:
    node_id = _at(doc, ("nodes", index, "id"))
    return f"Node '{node_id}'" if isinstance(node_id, str) else f"Node {index + 1}"


def _node_id_at(doc: Any, path: Path) -> str | None:
    """The id of the node `path` points into, if it points under /nodes/i."""
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
        node_id = _at(doc, path[:2] + ("id",))
        return node_id if isinstance(node_id, str) else None
    return None


def _field(parts: Path) -> str:
    return " › ".join(f"item {part + 1}" if isinstance(part, int) else part for part in parts)


def _place(doc: Any, path: Path, *, config_as_node: bool = True) -> str:
    """Where `path` is, in words: 'Node 'wait1', field until › time', 'Flow setting goal › within'.

    A node's whole config reads as the node ('Node 'x' has no 'event''), unless
    `config_as_node` is false, for problems with the config value itself.
    """
    if not path:
        return "The flow"
    if path[0] == "nodes" and len(path) >= 2 and isinstance(path[1], int):
        inside_config = path[2:3] == ("config",) and (len(path) > 3 or config_as_node)
        rest = path[3:] if inside_config else path[2:]
        name = _node_name(doc, path[1])
        return f"{name}, field {_field(rest)}" if rest else name
    if path[0] == "edges" and len(path) >= 2 and isinstance(path[1], int):
        ends = [_at(doc, path[:2] + (end,)) for end in ("from", "to")]
        name = f"Edge {path[1] + 1}" + (" ({} → {})".format(*ends) if all(isinstance(end, str) for end in ends) else "")
        return f"{name}, field {_field(path[2:])}" if len(path) > 2 else name
    if path[0] == "settings" and len(path) > 1:
        return f"Flow setting {_field(path[1:])}"
    return f"Flow field {_field(path)}"


def _sentence(place: str, problem: str) -> str:
    """'Flow field name is empty: …' when the problem starts with a verb, else 'In flow field name, 'x' is …'."""
    if problem.split(" ", 1)[0] in _VERB_LED:
        return f"{place} {problem}."
    return f"In {place[0].lower()}{place[1:]}, {problem}."


def _duration_problem(value: str) -> str:
    try:
        isodate.parse_duration(value)
    except Exception:  # isodate raises several types (ISO8601Error, ValueError, OverflowError)
        return f"{_show(value)} is not a duration: use ISO 8601 like PT1H or P7D"
    return f"{_show(value)} is not longer than zero: use a duration like PT1H or P7D"


def _rank(error: ValidationError) -> tuple[bool, bool]:
    """How specific an error is among errors at one location (jsonschema's relevance, minus the path)."""
    return error.validator not in WEAK_MATCHES, error.validator in STRONG_MATCHES


class _SchemaLayer:
    """Turns jsonschema errors into FlowErrors: one per location, the most relevant one."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def errors(self, schema_validator: Draft202012Validator, instance: Any, base: Path, code: ErrorCode) -> list[FlowError]:
        """The errors of `instance` (found at `base` in the document) against `schema_validator`."""
        found = [best_match([error]) for error in schema_validator.iter_errors(instance)]
        seen: set[str] = set()
        result = []
        # most specific first, so each location keeps its most specific message
        for error in sorted(found, key=_rank, reverse=True):
            for path, message, error_code in self._translate(error, instance, base, code):
                if pointer(path) not in seen:
                    seen.add(pointer(path))
                    result.append(FlowError(pointer(path), _node_id_at(self.doc, path), message, error_code))
        return result

    def _translate(self, error: ValidationError, instance: Any, base: Path, code: ErrorCode) -> Iterator[tuple[Path, str, ErrorCode]]:
        """(path, sentence, code) for each problem `error` describes."""
        path = base + tuple(error.absolute_path)
        here = _place(self.doc, path)
        value = error.instance
        keyword = error.validator
        if keyword == "required":
            for prop in error.validator_value:
                if isinstance(value, dict) and prop not in value:
                    yield path + (prop,), f"{here} has no '{prop}': add it.", code
        elif keyword == "additionalProperties":
            known = sorted(error.schema.get("properties", {}))
            hint = f" (it can have {', '.join(known)})" if known else ""
            for prop in (key for key in value if key not in known):
                yield path + (prop,), f"{here} has an unknown field '{prop}': remove it{hint}.", code
        elif keyword is None:  # a `false` subschema: jsonschema leaves the property off the path
            prop = _false_property(_at(instance, tuple(error.absolute_path)), value)
            where = path + (prop,) if prop is not None else path
            yield where, f"{here} cannot have {_show(prop or value)} with these settings: remove it.", code
        elif keyword == "dependentRequired":
            for prop, needed in error.validator_value.items():
                for other in needed:
                    if isinstance(value, dict) and prop in value and other not in value:
                        yield path + (other,), f"{here} has '{prop}' but no '{other}': add '{other}' or remove '{prop}'.", code
        elif keyword == "format" and error.validator_value == "duration":
            yield path, _sentence(here, _duration_problem(value)), ErrorCode.DURATION
        else:
            yield path, _sentence(_place(self.doc, path, config_as_node=False), _problem(error)), code


def _false_property(parent: Any, value: Any) -> str | None:
    """The key of `parent` holding `value` (the very object a false subschema rejected)."""
    if isinstance(parent, dict):
        for key, item in parent.items():
            if item is value:
                return key
    return None


def _count(items: Any, noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def _problem(error: ValidationError) -> str:
    """The problem `error` names, as the end of a sentence that says what to do."""
    keyword, expected, value = error.validator, error.validator_value, error.instance
    shown = _show(value)
    schema = error.schema if isinstance(error.schema, dict) else {}
    description = schema.get("description", "").rstrip(".")
    hint = f" ({description[:1].lower()}{description[1:]})" if description else ""
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else expected
        scalar = f" ({shown})" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
        return f"should be {' or '.join(_TYPE_NAMES.get(name, name) for name in names)}, not {_kind(value)}{scalar}"
    if keyword == "enum" and "propertyNames" in error.absolute_schema_path:
        return f"{shown} is not a key it can have: use one of {', '.join(map(str, expected))}"
    if keyword == "enum":
        return f"{shown} is not one of {', '.join(_show(option) for option in expected)}: pick one of them"
    if keyword == "const":
        return f"{shown} should be {_show(expected)}"
    if keyword == "pattern":
        form = hint or (f" (like {_show(schema['examples'][0])})" if schema.get("examples") else f" ({expected})")
        return f"{shown} {_PATTERN_HINTS.get(expected, f'does not have the expected form{form}')}"
    if keyword == "minLength":
        return "is empty: fill it in" if expected == 1 else f"{shown} is shorter than {expected} characters"
    if keyword == "maxLength":
        return f"{shown} is longer than {expected} characters: shorten it"
    if keyword == "minItems":
        return "is empty: add at least one" if expected == 1 else f"has {_count(value, 'item')} but needs at least {expected}"
    if keyword == "maxItems":
        return f"has {_count(value, 'item')} but at most {expected} are allowed: remove some"
    if keyword == "minProperties":
        return f"is empty: fill it in{hint}" if expected == 1 else f"needs at least {expected} fields{hint}"
    if keyword == "maxProperties":
        return f"has {_count(value, 'field')} but at most {expected} are allowed{hint}"
    if keyword == "uniqueItems":
        return "lists the same item twice: remove the repeat"
    bounds = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}
    if keyword in bounds:
        return f"{shown} is out of range: use a number {bounds[keyword]} {expected}"
    if keyword == "format":
        return f"{shown} is not a valid {expected}"
    if keyword in ("anyOf", "oneOf"):
        many = keyword == "oneOf" and "is valid under each of" in error.message
        return ("matches more than one of the accepted forms: keep only one" if many else "is not in any accepted form") + hint
    return error.message


# --- layer (b): each node against its node type ----------------------------------------

def _node_errors(doc: Any) -> tuple[dict[int, list[str]], list[FlowError]]:
    """Errors of node types and configs, and the ports of every node sound enough to wire."""
    ports: dict[int, list[str]] = {}
    errors: list[FlowError] = []
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        return ports, errors
    layer = _SchemaLayer(doc)
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            continue  # the document schema reports it
        node_type = registry.get(node["type"])
        config = node.get("config", {})
        if node_type is None:
            known = ", ".join(known_type.type for known_type in registry.all_types())
            errors.append(FlowError(
                f"/nodes/{index}/type", _node_id_at(doc, ("nodes", index)),
                f"{_node_name(doc, index)} has type {_show(node['type'])}, which automap does not know: use one of {known}.",
                ErrorCode.UNKNOWN_NODE_TYPE,
            ))
        elif isinstance(config, dict):
            config_errors = layer.errors(_config_validator(node_type), config, ("nodes", index, "config"), ErrorCode.CONFIG)
            if not config_errors and node_type.type == "split":
                config_errors = _split_errors(doc, index, config)
            errors += config_errors
            if not config_errors:
                ports[index] = node_ports(node) or []
    return ports, errors


def _split_errors(doc: Any, index: int, config: dict[str, Any]) -> list[FlowError]:
    """What a split's schema cannot say: weights add up to 100 and variant ids differ."""
    name, node_id = _node_name(doc, index), _node_id_at(doc, ("nodes", index))
    variants = config["variants"]
    errors = []
    total = math.fsum(variant["weight"] for variant in variants)
    if abs(total - 100) > 1e-9:
        errors.append(FlowError(
            f"/nodes/{index}/config/variants", node_id,
            f"{name}: the variant weights add up to {total:g}, not 100: change them so they do.",
            ErrorCode.SPLIT_WEIGHTS,
        ))
    seen: set[str] = set()
    for position, variant in enumerate(variants):
        if variant["id"] in seen:
            errors.append(FlowError(
                f"/nodes/{index}/config/variants/{position}/id", node_id,
                f"{name}: two variants are called '{variant['id']}': give each variant its own id.",
                ErrorCode.DUPLICATE_VARIANT,
            ))
        seen.add(variant["id"])
    return errors


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _settings_errors(doc: Any) -> list[FlowError]:
    """What the settings schema cannot say: the quiet-hours time zone exists."""
    zone = _at(doc, ("settings", "quiet_hours", "time_zone"))
    if not isinstance(zone, str) or not zone or zone in _time_zones():
        return []
    problem = (
        f"{_show(zone)} is not a time zone automap knows: use an IANA name like Europe/Berlin "
        "or America/New_York, or leave it out to use each contact's own"
    )
    path: Path = ("settings", "quiet_hours", "time_zone")
    return [FlowError(pointer(path), None, _sentence(_place(doc, path), problem), ErrorCode.TIME_ZONE)]


# --- layer (c): the graph -------------------------------------------------------------

def _graph_errors(doc: Any, ports: dict[int, list[str]]) -> list[FlowError]:
    """Graph problems, checked on the nodes and edges that are sound enough to read."""
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    edges = doc.get("edges") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        return []
    graph = _FlowGraph(nodes, ports)
    if not isinstance(edges, list):
        return graph.errors  # without edges, reachability and wiring mean nothing
    graph.add_edges(edges)
    return graph.errors + graph.trigger_errors() + graph.unwired_errors() + graph.loop_errors()


class _FlowGraph:
    """The map as a networkx MultiDiGraph of node ids, gathering graph errors as it is built."""

    def __init__(self, nodes: list[Any], ports: dict[int, list[str]]) -> None:
        self.graph = nx.MultiDiGraph()
        self.index: dict[str, int] = {}  # node id -> position of its first node
        self.ports = ports
        self.wired: dict[tuple[str, str], int] = {}  # (node id, port) -> edge index
        self.errors: list[FlowError] = []
        for position, node in enumerate(nodes):
            node_id = node.get("id") if isinstance(node, dict) else None
            if not isinstance(node_id, str):
                continue
            if node_id in self.index:
                self.errors.append(FlowError(
                    f"/nodes/{position}/id", node_id,
                    f"Nodes {self.index[node_id] + 1} and {position + 1} both have the id '{node_id}': give each node its own id.",
                    ErrorCode.DUPLICATE_ID,
                ))
                continue
            self.index[node_id] = position
            node_type = registry.get(node["type"]) if isinstance(node.get("type"), str) else None
            self.graph.add_node(node_id, position=position, node_type=node_type)

    def _type(self, node_id: str) -> type[NodeType] | None:
        return self.graph.nodes[node_id]["node_type"]

    def add_edges(self, edges: list[Any]) -> None:
        """Add every readable edge, reporting missing nodes and ports and reused ports."""
        for position, edge in enumerate(edges):
            if isinstance(edge, dict) and isinstance(edge.get("from"), str) and isinstance(edge.get("to"), str):
                self._add_edge(position, edge["from"], edge.get("port"), edge["to"], "port" in edge)

    def _add_edge(self, position: int, source: str, port: Any, target: str, has_port: bool) -> None:
        at = f"/edges/{position}"
        known_source, known_target = source in self.index, target in self.index
        if not known_source:
            self.errors.append(FlowError(
                f"{at}/from", None,
                f"Edge {position + 1} starts at node '{source}', which does not exist: start it at an existing node or delete it.",
                ErrorCode.MISSING_NODE,
            ))
        if not known_target:
            self.errors.append(FlowError(
                f"{at}/to", source if known_source else None,
                f"Edge {position + 1} from '{source}' leads to node '{target}', which does not exist: "
                "connect it to an existing node or delete it.",
                ErrorCode.MISSING_NODE,
            ))
        if known_source and (not has_port or isinstance(port, str)):
            self._check_port(position, source, port if has_port else None, target)
        if known_target and (target_type := self._type(target)) is not None and target_type.is_entry:
            # left out of the graph, so it is reported once rather than again as a loop
            self.errors.append(FlowError(
                f"{at}/to", target,
                f"Edge {position + 1} leads into trigger '{target}': a trigger starts the flow and takes no "
                "incoming edge, so delete this edge.",
                ErrorCode.TRIGGER_HAS_INPUT,
            ))
        elif known_source and known_target:
            self.graph.add_edge(source, target, key=position)

    def _check_port(self, position: int, source: str, port: str | None, target: str) -> None:
        ports = self.ports.get(self.index[source])
        if ports is None:
            return  # the node's type or config is broken; that is reported already
        listed = ", ".join(ports)
        problem = None
        if not ports:
            problem = f"Node '{source}' has no output ports, so edge {position + 1} (to '{target}') cannot leave it: delete the edge."
        elif port is None:
            problem = f"Node '{source}' has ports {listed}: name the port of edge {position + 1} (to '{target}')."
        elif port not in ports:
            problem = f"Node '{source}' has no port '{port}' (its ports are {listed}): pick one of them for edge {position + 1}."
        if problem:
            self.errors.append(FlowError(f"/edges/{position}/port", source, problem, ErrorCode.MISSING_PORT))
        elif (source, port) in self.wired:
            self.errors.append(FlowError(
                f"/edges/{position}", source,
                f"Port '{port}' of node '{source}' is connected twice (edges {self.wired[source, port] + 1} and "
                f"{position + 1}): a port leads to one node, so delete one edge (use a Split to divide contacts).",
                ErrorCode.PORT_USED_TWICE,
            ))
        else:
            self.wired[source, port] = position

    def _in_order(self, node_ids: Iterable[str]) -> list[str]:
        return sorted(node_ids, key=self.index.__getitem__)

    def trigger_errors(self) -> list[FlowError]:
        """No trigger at all, or nodes no trigger leads to."""
        if not self.index:
            return []
        entries = [node for node in self.graph if (node_type := self._type(node)) and node_type.is_entry]
        if not entries:
            return [FlowError("/nodes", None, "The flow has no Trigger node: add one so contacts can enter it.", ErrorCode.NO_TRIGGER)]
        reached = set(entries).union(*(nx.descendants(self.graph, entry) for entry in entries))
        return [
            FlowError(
                f"/nodes/{self.index[node]}", node,
                f"Node '{node}' cannot be reached from any trigger: connect an edge into it, or delete it.",
                ErrorCode.UNREACHABLE,
            )
            for node in self._in_order(set(self.graph) - reached)
        ]

    def unwired_errors(self) -> list[FlowError]:
        """Output ports that lead nowhere."""
        errors = []
        for node in self._in_order(self.graph):
            for port in dict.fromkeys(self.ports.get(self.index[node], [])):
                if (node, port) not in self.wired:
                    errors.append(FlowError(
                        f"/nodes/{self.index[node]}", node,
                        f"Port '{port}' of node '{node}' is not connected: connect it to the next step, or to an Exit node.",
                        ErrorCode.UNWIRED_PORT,
                    ))
        return errors

    def loop_errors(self) -> list[FlowError]:
        """One error per loop that a contact could go round without ever waiting."""
        # nodes of unknown type are left out: whether they wait is unknown, and their type is reported
        instant = self.graph.subgraph(
            node for node in self.graph if (node_type := self._type(node)) is not None and not node_type.waits
        )
        loops = [
            self._in_order(component)
            for component in nx.strongly_connected_components(instant)
            if len(component) > 1 or instant.has_edge(node := next(iter(component)), node)
        ]
        return [
            FlowError(
                f"/nodes/{self.index[loop[0]]}", loop[0],
                f"{_list_nodes(loop)} without a Wait in between, so a contact would go round without pausing: "
                "add a Wait or Wait for event node to the loop, or break it.",
                ErrorCode.LOOP_WITHOUT_WAIT,
            )
            for loop in sorted(loops, key=lambda loop: self.index[loop[0]])
        ]


def _list_nodes(loop: list[str]) -> str:
    if len(loop) == 1:
        return f"Node '{loop[0]}' leads back to itself"
    names = [f"'{node}'" for node in loop]
    return f"Nodes {', '.join(names[:-1])} and {names[-1]} form a loop"

"""jsonschema ValidationErrors as FlowErrors whose messages are sentences a marketer can act on.

Also the words for places in a flow document ('Node 'wait1', field until › time')
that every layer of validation uses in its messages.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import STRONG_MATCHES, WEAK_MATCHES, best_match

from flows.errors import ErrorCode, FlowError, Path, pointer
from flows.schemas import duration_problem, load

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


def show(value: Any) -> str:
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


def value_at(doc: Any, path: Path) -> Any:
    """The value of `doc` at `path`, or None where the path leads nowhere."""
    for part in path:
        if isinstance(doc, dict) and isinstance(part, str):
            doc = doc.get(part)
        elif isinstance(doc, list) and isinstance(part, int) and 0 <= part < len(doc):
            doc = doc[part]
        else:
            return None
    return doc


def node_name(doc: Any, index: int) -> str:
    """'Node 'x'' for the node at /nodes/`index`, or 'Node 4' when it has no readable id."""
    node_id = value_at(doc, ("nodes", index, "id"))
    return f"Node '{node_id}'" if isinstance(node_id, str) else f"Node {index + 1}"


def node_id_at(doc: Any, path: Path) -> str | None:
    """The id of the node `path` points into, if it points under /nodes/i."""
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
        node_id = value_at(doc, path[:2] + ("id",))
        return node_id if isinstance(node_id, str) else None
    return None


def _field(parts: Path) -> str:
    """A path inside a node, edge or setting in words: 'until › time', 'where › item 1'."""
    return " › ".join(f"item {part + 1}" if isinstance(part, int) else part for part in parts)


def place(doc: Any, path: Path, *, config_as_node: bool = True) -> str:
    """Where `path` is, in words: 'Node 'wait1', field until › time', 'Flow setting goal › within'.

    A node's whole config reads as the node ('Node 'x' has no 'event''), unless
    `config_as_node` is false, for problems with the config value itself.
    """
    if not path:
        return "The flow"
    if path[0] == "nodes" and len(path) >= 2 and isinstance(path[1], int):
        inside_config = path[2:3] == ("config",) and (len(path) > 3 or config_as_node)
        rest = path[3:] if inside_config else path[2:]
        name = node_name(doc, path[1])
        return f"{name}, field {_field(rest)}" if rest else name
    if path[0] == "edges" and len(path) >= 2 and isinstance(path[1], int):
        ends = [value_at(doc, path[:2] + (end,)) for end in ("from", "to")]
        name = f"Edge {path[1] + 1}" + (" ({} → {})".format(*ends) if all(isinstance(end, str) for end in ends) else "")
        return f"{name}, field {_field(path[2:])}" if len(path) > 2 else name
    if path[0] == "settings" and len(path) > 1:
        return f"Flow setting {_field(path[1:])}"
    return f"Flow field {_field(path)}"


def sentence(where: str, problem: str) -> str:
    """'Flow field name is empty: …' when the problem starts with a verb, else 'In flow field name, 'x' is …'."""
    if problem.split(" ", 1)[0] in _VERB_LED:
        return f"{where} {problem}."
    return f"In {where[0].lower()}{where[1:]}, {problem}."


def _duration_problem(value: Any) -> str:
    """Why `value` fails the duration format: it does not parse, is not longer than zero or is too long."""
    problem = duration_problem(value) if isinstance(value, str) else None
    return f"{show(value)} {problem or 'is not a duration: use ISO 8601 like PT1H or P7D'}"


def _rank(error: ValidationError) -> tuple[bool, bool]:
    """How specific an error is among errors at one location (jsonschema's relevance, minus the path)."""
    return error.validator not in WEAK_MATCHES, error.validator in STRONG_MATCHES


class SchemaLayer:
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
                    result.append(FlowError(pointer(path), node_id_at(self.doc, path), message, error_code))
        return result

    def _translate(self, error: ValidationError, instance: Any, base: Path, code: ErrorCode) -> Iterator[tuple[Path, str, ErrorCode]]:
        """(path, sentence, code) for each problem `error` describes."""
        path = base + tuple(error.absolute_path)
        here = place(self.doc, path)
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
            prop = _false_property(value_at(instance, tuple(error.absolute_path)), value)
            where = path + (prop,) if prop is not None else path
            yield where, f"{here} cannot have {show(prop or value)} with these settings: remove it.", code
        elif keyword == "dependentRequired":
            for prop, needed in error.validator_value.items():
                for other in needed:
                    if isinstance(value, dict) and prop in value and other not in value:
                        yield path + (other,), f"{here} has '{prop}' but no '{other}': add '{other}' or remove '{prop}'.", code
        elif keyword == "format" and error.validator_value == "duration":
            yield path, sentence(here, _duration_problem(value)), ErrorCode.DURATION
        else:
            yield path, sentence(place(self.doc, path, config_as_node=False), _problem(error)), code


def _false_property(parent: Any, value: Any) -> str | None:
    """The key of `parent` holding `value` (the very object a false subschema rejected)."""
    if isinstance(parent, dict):
        for key, item in parent.items():
            if item is value:
                return key
    return None


def _count(items: Any, noun: str) -> str:
    """'1 item', '3 items'."""
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def _problem(error: ValidationError) -> str:
    """The problem `error` names, as the end of a sentence that says what to do."""
    keyword, expected, value = error.validator, error.validator_value, error.instance
    shown = show(value)
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
        labels = schema.get("enumNames") or []  # what the form shows for each value, when the schema says
        options = [show(option) + (f" ({labels[index]})" if index < len(labels) else "") for index, option in enumerate(expected)]
        return f"{shown} is not one of {', '.join(options)}: pick one of them"
    if keyword == "const":
        return f"{shown} should be {show(expected)}"
    if keyword == "pattern":
        form = hint or (f" (like {show(schema['examples'][0])})" if schema.get("examples") else f" ({expected})")
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

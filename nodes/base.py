"""What every node type declares: its identity, ports and config schema.

A node type is defined once, here in Python; the validator, the runtime and the
canvas palette (through `GET /api/node-types`) all read the same declaration.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from nodes.execution import Outcome, StepContext


class Category(str, enum.Enum):
    """Where a node type sits in the palette.

    trigger: starts runs; timing: holds a run; logic: chooses a path;
    message: talks to the contact; action: changes data or calls out;
    outcome: counts or ends a run.
    """

    TRIGGER = "trigger"
    TIMING = "timing"
    LOGIC = "logic"
    MESSAGE = "message"
    ACTION = "action"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class ConfigProblem:
    """A problem in a node's config that its JSON Schema cannot express, found by `NodeType.check_config`
    (an error) or `NodeType.config_warnings` (a warning).

    Attributes:
        path: where the problem is, relative to the config, e.g. ("variants", 1, "id").
        code: an ErrorCode value of flows.validation the API and canvas can key on, e.g. "split_weights".
        message: a sentence naming what to fix; the validator puts the node's name in front of it.
    """

    path: tuple[str | int, ...]
    code: str
    message: str


class NodeType:
    """One kind of node on the map. Subclass it in a module of `nodes/` and `register` it.

    Attributes:
        type: the `type` string in the flow document.
        label: the palette name a marketer reads.
        category: the palette group.
        description: one sentence on what the node does.
        ports: the output ports, in display order.
        port_labels: the words on a port whose name alone does not say it (default: the name as words).
        port_source: for a node whose ports come from its config (a split's variants), where:
            `list` names the config's array, `id` and `label` the fields of each item.
        config_schema: JSON Schema (2020-12) of the node's `config`.
        waits: True if the node can hold a run over time, which makes a cycle through it safe.
        is_entry: True for nodes that start runs (they take no incoming edge).
        compares_ports: True if conversions are also counted by the port a run left by
            (`converted:<port>`), so the statistics can compare the paths (an A/B split's variants).
        may_end_path: True if its ports may be left unconnected: a run that leaves by one ends there
            (a goal at the end of a path needs no Exit after it).
        channels: the channels its messages (or calls) go out on, its own first, then its fallbacks;
            the statistics count each apart.
    """

    type: ClassVar[str]
    label: ClassVar[str]
    category: ClassVar[Category]
    description: ClassVar[str]
    ports: ClassVar[tuple[str, ...]] = ("next",)
    port_labels: ClassVar[Mapping[str, str]] = {}
    port_source: ClassVar[Mapping[str, str] | None] = None
    config_schema: ClassVar[dict[str, Any]]
    waits: ClassVar[bool] = False
    is_entry: ClassVar[bool] = False
    compares_ports: ClassVar[bool] = False
    may_end_path: ClassVar[bool] = False
    channels: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def output_ports(cls, config: Mapping[str, Any]) -> list[str]:
        """The ports this node has with `config`: its `ports`, or the ids in `port_source`'s list;
        [] when that list is malformed (the validator reports why)."""
        if cls.port_source is None:
            return list(cls.ports)
        items = config.get(cls.port_source["list"]) if isinstance(config, Mapping) else None
        if not isinstance(items, list):
            return []
        ids = [item.get(cls.port_source["id"]) if isinstance(item, Mapping) else None for item in items]
        if not all(isinstance(port, str) and port for port in ids):
            return []
        return ids

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> list[ConfigProblem]:
        """What is wrong with `config` beyond its JSON Schema; only called once `config` passes that schema."""
        return []

    @classmethod
    def config_warnings(cls, config: Mapping[str, Any]) -> list[ConfigProblem]:
        """What in `config` is allowed but probably not meant (a greeting without a fallback for a missing name);
        it does not stop publishing. Only called once `config` passes its schema."""
        return []

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """What the node does for one run: go on by a port, hold, or end (see nodes.execution)."""
        raise NotImplementedError(f"node type {cls.type!r} has no behaviour")

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The declaration as plain JSON, for the API and the canvas palette."""
        return {
            "type": cls.type,
            "label": cls.label,
            "category": cls.category.value,
            "description": cls.description,
            "ports": list(cls.ports),
            "port_labels": {port: cls.port_labels.get(port) or port.replace("_", " ").capitalize() for port in cls.ports},
            "port_source": dict(cls.port_source) if cls.port_source is not None else None,
            "waits": cls.waits,
            "is_entry": cls.is_entry,
            "channels": list(cls.channels),
            "config_schema": cls.config_schema,
        }

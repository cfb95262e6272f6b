"""FlowDefinition: a published document parsed once into what the interpreter asks of it.

Published versions never change, so a definition is cached by version id for the
life of the process.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from nodes import registry
from nodes.base import NodeType
from workflow_runtime.engine.filters import Explainer, PropertyPredicate, compile_explainer, compile_property_rules
from workflow_runtime.storage.models import FlowVersion


@dataclass(frozen=True)
class NodeSpec:
    """One node of a published flow: its id, type and config."""

    id: str
    node_type: type[NodeType]
    config: Mapping[str, Any]


@dataclass(frozen=True)
class FlowDefinition:
    """The immutable graph of one flow version."""

    version_id: int
    flow_id: int
    nodes: Mapping[str, NodeSpec]
    edges: Mapping[tuple[str, str], str]
    settings: Mapping[str, Any] = field(default_factory=dict)
    # Keyed by id(): the conditions live in this immutable definition as long as it does.
    _explainers: dict[int, Explainer] = field(default_factory=dict, repr=False, compare=False)
    _where_predicates: dict[int, PropertyPredicate] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_document(cls, version_id: int, flow_id: int, document: Mapping[str, Any]) -> FlowDefinition:
        """Parse a validated, canonical document."""
        nodes = {
            node["id"]: NodeSpec(node["id"], registry.get(node["type"]), node.get("config", {}))
            for node in document["nodes"]
        }
        edges = {(edge["from"], edge["port"]): edge["to"] for edge in document["edges"]}
        return cls(version_id, flow_id, nodes, edges, document.get("settings", {}))

    def next_node(self, node_id: str, port: str) -> str | None:
        """Where leaving `node_id` by `port` leads; None ends the run there."""
        return self.edges.get((node_id, port))

    def triggers(self) -> list[NodeSpec]:
        """The nodes that enrol contacts."""
        return [node for node in self.nodes.values() if node.node_type.is_entry]

    def compiled(self, condition: Mapping[str, Any]) -> Explainer:
        """The condition (one of this definition's own configs) compiled once for the process: it decides, and
        names the rule that decided."""
        key = id(condition)
        explainer = self._explainers.get(key)
        if explainer is None:
            explainer = self._explainers[key] = compile_explainer(condition)
        return explainer

    def where_holds(self, rules: Sequence[Mapping[str, Any]], properties: Mapping[str, Any]) -> bool:
        """Whether a `where` list (one of this definition's own configs, or empty) holds for an event's
        properties; each list compiled once for the process."""
        if not rules:  # a caller's default [] is not the definition's: never cached by its id
            return True
        predicate = self._where_predicates.get(id(rules))
        if predicate is None:
            predicate = self._where_predicates[id(rules)] = compile_property_rules(rules)
        return predicate(properties)

    @property
    def goal(self) -> Mapping[str, Any] | None:
        """The flow goal settings, if the flow has a goal."""
        return self.settings.get("goal")


# Published versions are immutable, and a deployment has hundreds of them, not millions.
_by_id: dict[int, FlowDefinition] = {}


def load_definition(session: Session, version_id: int) -> FlowDefinition:
    """The definition of a published version, parsed once per process."""
    hit = _by_id.get(version_id)
    if hit is None:
        version = session.get(FlowVersion, version_id)
        if version is None:
            raise LookupError(f"flow version {version_id} does not exist")
        hit = FlowDefinition.from_document(version.id, version.flow_id, version.document)
        _by_id[version_id] = hit
    return hit



def forget_definitions() -> None:
    """Drop the cache: only for a database whose version ids were reused (tests truncate tables)."""
    _by_id.clear()

"""The graph checks of a flow: the map as a networkx MultiDiGraph, and what is wrong with its wiring.

Duplicate ids, edges to missing nodes or ports, a port used twice, unwired ports,
no trigger, an edge into a trigger, unreachable nodes and loops without a wait.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from flows.errors import ErrorCode, FlowError
from nodes import registry
from nodes.base import NodeType


def graph_errors(doc: Any, ports: dict[int, list[str]]) -> list[FlowError]:
    """Graph problems, checked on the nodes and edges that are sound enough to read.

    Args:
        doc: the upgraded flow document.
        ports: the output ports of each node whose type and config are sound, by node index.
    """
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
        """Output ports that lead nowhere, but for nodes that may end a path (a goal)."""
        errors = []
        for node in self._in_order(self.graph):
            if (node_type := self._type(node)) is not None and node_type.may_end_path:
                continue
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
    """The start of a loop message: 'Node 'x' leads back to itself', 'Nodes 'a' and 'b' form a loop'."""
    if len(loop) == 1:
        return f"Node '{loop[0]}' leads back to itself"
    names = [f"'{node}'" for node in loop]
    return f"Nodes {', '.join(names[:-1])} and {names[-1]} form a loop"

/** Auto-layout: dagre places the nodes left to right, one rank per step of the flow; and the two rules that keep
 * cards apart where the marketer placed them: statistics mode moves grown cards down, a dropped node finds room. */
import dagre from "@dagrejs/dagre";

import type { FlowEdge, FlowNode } from "./graph";

const NODE_WIDTH = 240;
const NODE_HEIGHT = 110;
const GAP = 16;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function box(node: FlowNode): Box {
  return { ...node.position, width: node.measured?.width ?? NODE_WIDTH, height: node.measured?.height ?? NODE_HEIGHT };
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width + GAP && b.x < a.x + a.width + GAP && a.y < b.y + b.height + GAP && b.y < a.y + a.height + GAP;
}

/** The nodes as placed, each moved down (never sideways) just enough to clear the cards above it at their real,
 * measured sizes: statistics mode's taller cards never cover one another, and the map keeps its shape. */
export function withoutOverlaps(nodes: FlowNode[]): FlowNode[] {
  const placed: Box[] = [];
  const moved = new Map<string, { x: number; y: number }>();
  for (const node of [...nodes].sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x)) {
    const here = box(node);
    for (let blocker = placed.find((other) => overlap(here, other)); blocker; blocker = placed.find((other) => overlap(here, other))) {
      here.y = blocker.y + blocker.height + GAP;
    }
    placed.push(here);
    if (here.y !== node.position.y) moved.set(node.id, { x: here.x, y: here.y });
  }
  return moved.size === 0 ? nodes : nodes.map((node) => (moved.has(node.id) ? { ...node, position: moved.get(node.id)! } : node));
}

/** Where a node dropped at `position` fits: there if that is free, else the nearest free place below it. */
export function freePosition(position: { x: number; y: number }, nodes: FlowNode[]): { x: number; y: number } {
  const here: Box = { ...position, width: NODE_WIDTH, height: NODE_HEIGHT };
  const others = nodes.map(box);
  for (let blocker = others.find((other) => overlap(here, other)); blocker; blocker = others.find((other) => overlap(here, other))) {
    here.y = blocker.y + blocker.height + GAP;
  }
  return { x: here.x, y: here.y };
}

/** The nodes moved to a tidy left-to-right layout; edges are unchanged. */
export function layoutGraph(nodes: FlowNode[], edges: FlowEdge[]): FlowNode[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 50, ranksep: 90 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    graph.setNode(node.id, { width: node.measured?.width ?? NODE_WIDTH, height: node.measured?.height ?? NODE_HEIGHT });
  }
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  return nodes.map((node) => {
    const placed = graph.node(node.id);
    const width = node.measured?.width ?? NODE_WIDTH;
    const height = node.measured?.height ?? NODE_HEIGHT;
    return { ...node, position: { x: Math.round(placed.x - width / 2), y: Math.round(placed.y - height / 2) } };
  });
}

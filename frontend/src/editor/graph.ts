/** The flow document ↔ React Flow nodes and edges, and the rules a new connection must follow. */
import type { Edge, Node } from "@xyflow/react";

import type { Config, DocEdge, DocNode, FlowDocument, JsonSchema, NodeCatalogue, NodeTypeInfo } from "../api";

/** The `$id` of the flow document's schema among the catalogue's shared schemas. */
export const FLOW_SCHEMA_ID = "https://automap.dev/schema/flow.schema.json";

/** A canvas node: `data` is exactly the document node's config, nothing else. */
export type FlowNode = Node<Config>;
/** A canvas edge: `sourceHandle` is the document edge's port. */
export type FlowEdge = Edge;

/** Everything of a document that is not its nodes and edges. */
export type DocumentMeta = Omit<FlowDocument, "nodes" | "edges">;

export interface CanvasGraph {
  meta: DocumentMeta;
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Node labels by node id (a label is the document node's, not part of its config). */
  labels: Record<string, string>;
}

export type Catalogue = Record<string, NodeTypeInfo>;

export function edgeId(edge: DocEdge): string {
  return `${edge.from}:${edge.port}->${edge.to}`;
}

/** What a new flow starts with: the document format's current version and one entry node (a trigger) with its defaults. */
export function newFlowDocument(catalogue: Catalogue, sharedSchemas: NodeCatalogue["schemas"]): FlowDocument {
  const flowSchema = sharedSchemas[FLOW_SCHEMA_ID] as { properties: { schema_version: { const: number } } };
  const entry = Object.values(catalogue).find((info) => info.is_entry)!;
  return {
    schema_version: flowSchema.properties.schema_version.const,
    name: "Untitled flow",
    nodes: [{ id: entry.type, type: entry.type, label: entry.label, position: { x: 0, y: 0 }, config: defaultConfig(entry) }],
    edges: [],
  };
}

/** The document as the canvas holds it. */
export function documentToGraph(document: FlowDocument): CanvasGraph {
  const { nodes, edges, ...meta } = document;
  const labels: Record<string, string> = {};
  const canvasNodes = nodes.map((node, index): FlowNode => {
    if (node.label !== undefined) labels[node.id] = node.label;
    return {
      id: node.id,
      type: node.type,
      position: node.position ?? { x: index * 280, y: 0 },
      data: node.config ?? {},
    };
  });
  const canvasEdges = edges.map(
    (edge): FlowEdge => ({ id: edgeId(edge), source: edge.from, sourceHandle: edge.port, target: edge.to }),
  );
  return { meta, nodes: canvasNodes, edges: canvasEdges, labels };
}

/** The document the canvas shows, ready to save or export. */
export function graphToDocument(graph: CanvasGraph): FlowDocument {
  const nodes = graph.nodes.map((node): DocNode => {
    const docNode: DocNode = { id: node.id, type: node.type ?? "", position: roundPosition(node.position) };
    if (graph.labels[node.id] !== undefined) docNode.label = graph.labels[node.id];
    docNode.config = node.data;
    return docNode;
  });
  const edges = graph.edges.map((edge): DocEdge => ({ from: edge.source, port: edge.sourceHandle ?? "next", to: edge.target }));
  return { ...graph.meta, nodes, edges };
}

function roundPosition(position: { x: number; y: number }): { x: number; y: number } {
  return { x: Math.round(position.x), y: Math.round(position.y) };
}

/** The output ports of a node: its type's, or for a split one per variant of its config. */
export function outputPorts(info: NodeTypeInfo | undefined, config: Config): string[] {
  if (!info) return [];
  const source = info.port_source;
  if (!source) return info.ports;
  const items = config[source.list];
  if (!Array.isArray(items)) return [];
  return items
    .map((item) => (item && typeof item === "object" ? (item as Config)[source.id] : undefined))
    .filter((id): id is string => typeof id === "string" && id.length > 0);
}

export interface ConnectionAttempt {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
}

/** Why the graph cannot take this connection, or null when it can. */
export function connectionProblem(
  attempt: ConnectionAttempt,
  nodes: FlowNode[],
  edges: FlowEdge[],
  catalogue: Catalogue,
): string | null {
  const { source, target } = attempt;
  if (!source || !target) return "Connect an output port to a node.";
  const from = nodes.find((node) => node.id === source);
  const to = nodes.find((node) => node.id === target);
  if (!from || !to) return "Both nodes must be on the canvas.";
  // As the validator has it: a loop is fine through a node that waits, else a contact would go round without pausing.
  if (source === target && !catalogue[from.type ?? ""]?.waits) return "A node cannot lead to itself.";
  const ports = outputPorts(catalogue[from.type ?? ""], from.data);
  const port = attempt.sourceHandle ?? ports[0];
  if (!port || !ports.includes(port)) return `This node has no '${port ?? "output"}' port.`;
  if (catalogue[to.type ?? ""]?.is_entry) return "A trigger starts the flow: nothing can lead into it.";
  if (edges.some((edge) => edge.source === source && (edge.sourceHandle ?? ports[0]) === port)) {
    return `The '${port}' port is already connected: delete that arrow first.`;
  }
  return null;
}

/** A node id that is not taken yet, from the node type (send_email, send_email_2, …). */
export function freshNodeId(type: string, nodes: FlowNode[]): string {
  const taken = new Set(nodes.map((node) => node.id));
  if (!taken.has(type)) return type;
  let counter = 2;
  while (taken.has(`${type}_${counter}`)) counter += 1;
  return `${type}_${counter}`;
}

/** A new node's config, from its config schema's defaults (see schemaDefaults). */
export function defaultConfig(info: NodeTypeInfo): Config {
  return schemaDefaults(info.config_schema);
}

/** An object's starting value: defaults of its required properties and of its choices (an enum), or of its first defaulted property when the schema needs at least one. */
export function schemaDefaults(schema: JsonSchema): Config {
  const properties = (schema.properties ?? {}) as Record<string, { default?: unknown; enum?: unknown[] }>;
  const required = new Set((schema.required ?? []) as string[]);
  const config: Config = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property.default !== undefined && (required.has(name) || property.enum)) config[name] = structuredClone(property.default);
  }
  if (Object.keys(config).length === 0 && typeof schema.minProperties === "number") {
    const first = Object.entries(properties).find(([, property]) => property.default !== undefined);
    if (first) config[first[0]] = structuredClone(first[1].default);
  }
  return config;
}

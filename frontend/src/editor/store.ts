/** The editor's state: the flow on the canvas, its history for undo/redo, validation errors and statistics. */
import { addEdge, applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from "@xyflow/react";
import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";

import { type Config, type FlowDetail, type FlowDocument, type FlowError, type FlowStats, type FlowStatus, type ForecastResult, getNodeTypes, type NodeCatalogue } from "../api";
import {
  type CanvasGraph,
  type Catalogue,
  connectionProblem,
  defaultConfig,
  documentToGraph,
  edgeId,
  type FlowEdge,
  type FlowNode,
  freshNodeId,
  graphToDocument,
  outputPorts,
} from "./graph";
import { freePosition, layoutGraph } from "./layout";

const HISTORY_LIMIT = 100;
/** Edits of one field within this many milliseconds make one undo step, not one per keystroke. */
const COALESCE_MS = 1200;

export type EditorMode = "edit" | "stats" | "forecast";

/** The contacts behind one number of statistics mode. */
export interface Drilldown {
  nodeId: string;
  nodeLabel: string;
  metric: string;
  title: string;
}

export interface FlowInfo {
  id: number | null;
  status: FlowStatus;
  liveVersion: number | null;
  versions: { number: number; published_at: string }[];
}

export interface EditorState extends CanvasGraph {
  catalogue: Catalogue;
  sharedSchemas: NodeCatalogue["schemas"];
  flow: FlowInfo;
  past: CanvasGraph[];
  future: CanvasGraph[];
  lastCheckpoint: { key: string; at: number } | null;
  dirty: boolean;
  errors: FlowError[];
  mode: EditorMode;
  stats: FlowStats | null;
  notice: string | null;
  /** The canvas should frame the whole map once every card is measured (after loading, after tidying up). */
  fitPending: boolean;
  drilldown: Drilldown | null;
  /** Forecast mode's latest finished forecast (null until one is run). */
  forecast: ForecastResult | null;
  /** The draft's nodes added or changed since the live version, as of the last save (null: no live version). */
  versionChanges: { added: string[]; changed: string[] } | null;

  setCatalogue(catalogue: NodeCatalogue): void;
  setVersionChanges(changes: { added: string[]; changed: string[] } | null): void;
  setForecast(forecast: ForecastResult | null): void;
  loadDocument(document: FlowDocument, flow?: Partial<FlowInfo>): void;
  loadFlow(detail: FlowDetail): void;
  document(): FlowDocument;
  checkpoint(key?: string): void;
  undo(): void;
  redo(): void;
  onNodesChange(changes: NodeChange<FlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  connect(connection: Connection): boolean;
  addNode(type: string, position: { x: number; y: number }): string | null;
  updateConfig(nodeId: string, config: Config): void;
  setLabel(nodeId: string, label: string): void;
  updateMeta(patch: Partial<CanvasGraph["meta"]>): void;
  deleteSelection(): void;
  autoLayout(): void;
  selectNode(nodeId: string | null): void;
  setErrors(errors: FlowError[]): void;
  setFlowInfo(patch: Partial<FlowInfo>): void;
  markSaved(): void;
  setMode(mode: EditorMode): void;
  setStats(stats: FlowStats | null): void;
  setNotice(notice: string | null): void;
  requestFit(): void;
  fitDone(): void;
  openDrilldown(drilldown: Drilldown | null): void;
}

function snapshot(state: CanvasGraph): CanvasGraph {
  return { meta: state.meta, nodes: state.nodes, edges: state.edges, labels: state.labels };
}

const EMPTY_FLOW: FlowInfo = { id: null, status: "draft", liveVersion: null, versions: [] };

/** A fresh editor store; the app uses one (`editorStore`), tests make their own. */
export function createEditorStore() {
  return createStore<EditorState>()((set, get) => ({
    meta: { schema_version: 2, name: "Untitled flow" },
    nodes: [],
    edges: [],
    labels: {},
    catalogue: {},
    sharedSchemas: {},
    flow: EMPTY_FLOW,
    past: [],
    future: [],
    lastCheckpoint: null,
    dirty: false,
    errors: [],
    mode: "edit",
    stats: null,
    notice: null,
    fitPending: false,
    drilldown: null,
    versionChanges: null,
    forecast: null,

    setCatalogue(catalogue) {
      set({
        catalogue: Object.fromEntries(catalogue.node_types.map((info) => [info.type, info])),
        sharedSchemas: catalogue.schemas,
      });
    },

    loadDocument(document, flow = {}) {
      set({
        ...documentToGraph(document),
        flow: { ...EMPTY_FLOW, ...flow },
        past: [],
        future: [],
        lastCheckpoint: null,
        dirty: false,
        errors: [],
        stats: null,
        mode: "edit",
        versionChanges: null,
        forecast: null,
      });
    },

    loadFlow(detail) {
      get().loadDocument(detail.document, {
        id: detail.id,
        status: detail.status,
        liveVersion: detail.live_version,
        versions: detail.versions ?? [],
      });
      set({ errors: detail.validation ?? [] });
    },

    document() {
      return graphToDocument(get());
    },

    checkpoint(key) {
      const { lastCheckpoint, past } = get();
      const now = Date.now();
      if (key && lastCheckpoint?.key === key && now - lastCheckpoint.at < COALESCE_MS) {
        set({ lastCheckpoint: { key, at: now } });
        return;
      }
      set({
        past: [...past.slice(-(HISTORY_LIMIT - 1)), snapshot(get())],
        future: [],
        lastCheckpoint: key ? { key, at: now } : null,
        dirty: true,
      });
    },

    undo() {
      const { past, future } = get();
      const previous = past[past.length - 1];
      if (!previous) return;
      set({ ...previous, past: past.slice(0, -1), future: [snapshot(get()), ...future], lastCheckpoint: null, dirty: true });
    },

    redo() {
      const { past, future } = get();
      const next = future[0];
      if (!next) return;
      set({ ...next, past: [...past, snapshot(get())], future: future.slice(1), lastCheckpoint: null, dirty: true });
    },

    onNodesChange(changes) {
      if (changes.some((change) => change.type === "remove")) get().checkpoint("delete");
      const moved = changes.some((change) => change.type === "position" && change.dragging === false);
      set({ nodes: applyNodeChanges(changes, get().nodes), ...(moved ? { dirty: true } : {}) });
    },

    onEdgesChange(changes) {
      if (changes.some((change) => change.type === "remove")) get().checkpoint("delete");
      set({ edges: applyEdgeChanges(changes, get().edges) });
    },

    connect(connection) {
      const { nodes, edges, catalogue } = get();
      const problem = connectionProblem(connection, nodes, edges, catalogue);
      if (problem) {
        set({ notice: problem });
        return false;
      }
      const source = nodes.find((node) => node.id === connection.source)!;
      const port = connection.sourceHandle ?? outputPorts(catalogue[source.type ?? ""], source.data)[0];
      get().checkpoint();
      const id = edgeId({ from: connection.source, port, to: connection.target });
      set({ edges: addEdge({ ...connection, sourceHandle: port, id }, get().edges) });
      return true;
    },

    addNode(type, position) {
      const info = get().catalogue[type];
      if (!info) return null;
      get().checkpoint();
      const id = freshNodeId(type, get().nodes);
      const node: FlowNode = { id, type, position: freePosition(position, get().nodes), data: defaultConfig(info) };
      set({
        nodes: [...get().nodes.map((other) => ({ ...other, selected: false })), { ...node, selected: true }],
        labels: { ...get().labels, [id]: info.label },
      });
      return id;
    },

    updateConfig(nodeId, config) {
      get().checkpoint(`config:${nodeId}`);
      const { nodes, edges, catalogue } = get();
      const node = nodes.find((candidate) => candidate.id === nodeId);
      if (!node) return;
      // A split whose variant was renamed or removed loses the arrows of ports that no longer exist.
      const ports = new Set(outputPorts(catalogue[node.type ?? ""], config));
      set({
        nodes: nodes.map((candidate) => (candidate.id === nodeId ? { ...candidate, data: config } : candidate)),
        edges: edges.filter((edge) => edge.source !== nodeId || ports.has(edge.sourceHandle ?? "")),
      });
    },

    setLabel(nodeId, label) {
      get().checkpoint(`label:${nodeId}`);
      const labels = { ...get().labels };
      if (label) labels[nodeId] = label;
      else delete labels[nodeId];
      set({ labels });
    },

    updateMeta(patch) {
      get().checkpoint(`meta:${Object.keys(patch).join(",")}`);
      set({ meta: { ...get().meta, ...patch } });
    },

    deleteSelection() {
      const { nodes, edges } = get();
      const doomed = new Set(nodes.filter((node) => node.selected).map((node) => node.id));
      const keptEdges = edges.filter((edge) => !edge.selected && !doomed.has(edge.source) && !doomed.has(edge.target));
      if (doomed.size === 0 && keptEdges.length === edges.length) return;
      get().checkpoint();
      set({ nodes: nodes.filter((node) => !doomed.has(node.id)), edges: keptEdges });
    },

    autoLayout() {
      get().checkpoint();
      set({ nodes: layoutGraph(get().nodes, get().edges) });
    },

    selectNode(nodeId) {
      set({
        nodes: get().nodes.map((node) => (node.selected === (node.id === nodeId) ? node : { ...node, selected: node.id === nodeId })),
      });
    },

    setErrors(errors) {
      set({ errors });
    },

    setFlowInfo(patch) {
      set({ flow: { ...get().flow, ...patch } });
    },

    markSaved() {
      set({ dirty: false });
    },

    setVersionChanges(versionChanges) {
      set({ versionChanges });
    },

    setForecast(forecast) {
      set({ forecast });
    },

    setMode(mode) {
      set({ mode });
    },

    setStats(stats) {
      set({ stats });
    },

    requestFit() {
      set({ fitPending: true });
    },

    fitDone() {
      set({ fitPending: false });
    },

    setNotice(notice) {
      set({ notice });
    },

    openDrilldown(drilldown) {
      set({ drilldown });
    },
  }));
}

export type EditorStore = ReturnType<typeof createEditorStore>;

export const editorStore = createEditorStore();

let catalogueRequest: Promise<void> | null = null;

/** Puts the node catalogue into the editor store, fetched once for every page that needs node knowledge (tried again after a failure). */
export function loadCatalogue(): Promise<void> {
  catalogueRequest ??= getNodeTypes().then(editorStore.getState().setCatalogue, (error: Error) => {
    catalogueRequest = null;
    throw error;
  });
  return catalogueRequest;
}

/** Reads a slice of the editor state in a component, re-rendering when it changes. */
export function useEditor<T>(selector: (state: EditorState) => T): T {
  return useStore(editorStore, selector);
}

/** A node's name as the canvas shows it: its label, else its type's. */
export function useNodeLabel(nodeId: string): string {
  return useEditor((state) => {
    const type = state.nodes.find((node) => node.id === nodeId)?.type;
    return state.labels[nodeId] || (type ? state.catalogue[type]?.label : undefined) || nodeId;
  });
}

/** The React Flow canvas: nodes, typed ports, connections that refuse what the graph cannot take, zoom and minimap. */
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  MarkerType,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useNodesInitialized,
  useStore,
} from "@xyflow/react";
import { type DragEvent, useCallback, useEffect, useMemo } from "react";

import { nodeTypes } from "../nodes";
import { categoryColour } from "../nodes/categoryColour";
import { count } from "../stats/format";
import { connectionProblem, edgeId, type FlowEdge } from "./graph";
import { withoutOverlaps } from "./layout";
import { DRAG_TYPE } from "./Palette";
import { editorStore, useEditor } from "./store";

// How the canvas frames a flow: on opening it, and when the editor page reframes it. A map too big to read
// at the zoom that fits it shows compact cards (NodeCard).
const FIT_VIEW = { padding: 0.2, maxZoom: 1 };

/** Edge ids that validation errors point at (/edges/<index>). */
function erroredEdges(errors: { pointer: string; message: string }[], edges: FlowEdge[]): Map<string, string> {
  const marked = new Map<string, string>();
  for (const error of errors) {
    const match = /^\/edges\/(\d+)/.exec(error.pointer);
    const edge = match ? edges[Number(match[1])] : undefined;
    if (edge) marked.set(edge.id, error.message);
  }
  return marked;
}

export function Canvas() {
  const nodes = useEditor((state) => state.nodes);
  const edges = useEditor((state) => state.edges);
  const errors = useEditor((state) => state.errors);
  const mode = useEditor((state) => state.mode);
  // Statistics mode's figures; forecast mode's are on the cards only (a forecast counts no edges).
  const stats = useEditor((state) => (state.mode === "stats" ? state.stats : null));
  const forecastShown = useEditor((state) => state.mode === "forecast" && state.forecast !== null);
  const { onNodesChange, onEdgesChange, connect, addNode, checkpoint, setNotice } = editorStore.getState();
  const { screenToFlowPosition, fitView } = useReactFlow();
  const editing = mode === "edit";
  const statsShown = stats !== null || forecastShown;
  const canvasWidth = useStore((state) => state.width);
  const canvasHeight = useStore((state) => state.height);

  // A fit asked for (a flow loaded, a tidy-up) waits until React Flow has measured every card: fitted before,
  // it frames the few cards measured first and leaves the rest off screen.
  const measured = useNodesInitialized();
  const fitPending = useEditor((state) => state.fitPending);
  useEffect(() => {
    if (!fitPending || !measured) return;
    void fitView(FIT_VIEW);
    editorStore.getState().fitDone();
  }, [fitPending, measured, fitView]);

  // Statistics and forecast modes change the canvas (no palette, nodes grow with their numbers, the drawer opens):
  // show the whole map once React Flow has measured the new sizes.
  useEffect(() => {
    if (!statsShown) return;
    const frame = requestAnimationFrame(() => void fitView(FIT_VIEW));
    return () => cancelAnimationFrame(frame);
  }, [statsShown, canvasWidth, canvasHeight, fitView]);

  // Cards grow with their numbers in statistics mode: shown moved down where they would cover one another
  // (the document keeps its positions).
  const shownNodes = useMemo(() => (statsShown ? withoutOverlaps(nodes) : nodes), [nodes, statsShown]);

  const shownEdges = useMemo((): Edge[] => {
    const marked = erroredEdges(errors, edges);
    const counts = new Map((stats?.edges ?? []).map((edge) => [edgeId(edge), edge.count]));
    return edges.map((edge) => {
      const problem = marked.get(edge.id);
      const passed = counts.get(edge.id);
      return {
        ...edge,
        className: problem ? "edge-error" : undefined,
        label: editing ? problem : stats ? count(passed ?? 0) : undefined,
        labelBgPadding: [6, 3] as [number, number],
        labelBgBorderRadius: 4,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        animated: !editing && Boolean(passed),
      };
    });
  }, [edges, errors, stats, editing]);

  const isValidConnection = useCallback(
    (connection: Connection | Edge) => {
      const state = editorStore.getState();
      return connectionProblem(connection, state.nodes, state.edges, state.catalogue) === null;
    },
    [],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (!type || !editing) return;
    addNode(type, screenToFlowPosition({ x: event.clientX - 110, y: event.clientY - 30 }));
  };

  return (
    <div className="canvas" onDrop={onDrop} onDragOver={(event) => event.preventDefault()} data-testid="canvas">
      <ReactFlow
        nodes={shownNodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={editing ? onEdgesChange : undefined}
        onConnect={connect}
        onConnectEnd={(_, state) => {
          if (state.fromNode && state.toNode && !state.isValid) {
            const s = editorStore.getState();
            setNotice(connectionProblem({ source: state.fromNode.id, sourceHandle: state.fromHandle?.id, target: state.toNode.id }, s.nodes, s.edges, s.catalogue));
          }
        }}
        onNodeDragStart={() => checkpoint()}
        isValidConnection={isValidConnection}
        nodesDraggable={editing}
        nodesConnectable={editing}
        deleteKeyCode={editing ? ["Delete", "Backspace"] : null}
        minZoom={0.2}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} color="#d8dde6" />
        <Controls showInteractive={false} />
        {nodes.length === 0 && (
          <div className="canvas-empty">
            <h3>An empty map</h3>
            <p>Drag a Trigger from the palette to say who enters, then add the steps that follow.</p>
          </div>
        )}
        <MiniMap pannable zoomable className="minimap" nodeColor={(node) => categoryColour(editorStore.getState().catalogue[node.type ?? ""]?.category)} />
      </ReactFlow>
    </div>
  );
}

/** The card every node type renders: header, summary, typed output ports, errors and (in statistics mode) numbers. */
import { Handle, Position, useStore, useUpdateNodeInternals } from "@xyflow/react";
import { type ReactNode, useEffect } from "react";

import type { Config, NodeTypeInfo } from "../api";
import { outputPorts } from "../editor/graph";
import { blockingProblems } from "../editor/ProblemsBar";
import { useEditor } from "../editor/store";
import { ForecastNodeView } from "../forecast/ForecastNodeView";
import { NodeStatsView } from "../stats/NodeStatsView";
import { NodeIcon } from "./icons";

/** The words a port shows, as the catalogue serves them: a config-made port its item's label, any other its `port_labels`. */
function portLabel(info: NodeTypeInfo | undefined, port: string, config: Config): string {
  const source = info?.port_source;
  if (source) {
    const items = Array.isArray(config[source.list]) ? (config[source.list] as Config[]) : [];
    const item = items.find((candidate) => candidate[source.id] === port);
    return String(item?.[source.label] || port);
  }
  return info?.port_labels[port] ?? port;
}

export interface NodeCardProps {
  id: string;
  type: string;
  data: Config;
  selected?: boolean;
  summary: ReactNode;
}

// Below this zoom a card's small print cannot be read: it shows its name and main figures, larger.
const COMPACT_BELOW_ZOOM = 0.6;

function isCompact(state: { transform: [number, number, number] }): boolean {
  return state.transform[2] < COMPACT_BELOW_ZOOM;
}

export function NodeCard({ id, type, data, selected, summary }: NodeCardProps) {
  const info = useEditor((state) => state.catalogue[type]);
  const label = useEditor((state) => state.labels[id]);
  const found = useEditor((state) => state.errors).filter((error) => error.node_id === id);
  // Problems block publishing and mark the node red; warnings (a greeting without a fallback) only say so.
  const errors = blockingProblems(found);
  const warnings = found.filter((problem) => !errors.includes(problem));
  const statsMode = useEditor((state) => state.mode === "stats");
  const forecastMode = useEditor((state) => state.mode === "forecast");
  const versionChange = useEditor((state) =>
    state.versionChanges?.added.includes(id) ? "added" : state.versionChanges?.changed.includes(id) ? "changed" : null,
  );
  const ports = outputPorts(info, data);
  const updateNodeInternals = useUpdateNodeInternals();
  const portKey = `${info?.is_entry}:${ports.join("|")}`;
  // React Flow measures handles once; ports that come and go (split variants) must be measured again.
  useEffect(() => updateNodeInternals(id), [id, portKey, updateNodeInternals]);
  const category = info?.category ?? "action";
  const compact = useStore(isCompact);
  const classes = ["flow-node", compact ? "compact" : "", `category-${category}`, selected ? "selected" : "", errors.length ? "has-errors" : "", warnings.length ? "has-warnings" : ""];
  // A node with one plain "next" port gets a handle on its right edge rather than a labelled port row.
  const single = ports.length === 1 && ports[0] === "next";

  return (
    <div className={classes.join(" ")} data-testid={`node-${id}`} title={found.map((problem) => problem.message).join("\n") || undefined}>
      {!info?.is_entry && <Handle type="target" position={Position.Left} className="handle-in" />}
      <div className="flow-node-header">
        <span className="flow-node-icon">
          <NodeIcon type={type} />
        </span>
        <div className="flow-node-titles">
          <span className="flow-node-type">{info?.label ?? type}</span>
          <span className="flow-node-label">{label || info?.label || type}</span>
        </div>
        {versionChange && !statsMode && !forecastMode && (
          <span className={`flow-node-diff-badge diff-${versionChange}`} data-testid={`node-${id}-${versionChange}`}
                title={versionChange === "added" ? "Not in the live version" : "Changed since the live version"}>
            {versionChange === "added" ? "New" : "Changed"}
          </span>
        )}
        {errors.length > 0 && (
          <span className="flow-node-error-badge" aria-label={`${errors.length} problem(s)`}>
            {errors.length}
          </span>
        )}
        {errors.length === 0 && warnings.length > 0 && (
          <span className="flow-node-warning-badge" aria-label={`${warnings.length} warning(s)`}>
            !
          </span>
        )}
      </div>
      <div className="flow-node-summary">{summary}</div>
      {errors.length > 0 && !statsMode && !forecastMode && <div className="flow-node-error">{errors[0].message}</div>}
      {statsMode && <NodeStatsView nodeId={id} />}
      {forecastMode && <ForecastNodeView nodeId={id} />}
      {single && <Handle type="source" id="next" position={Position.Right} className="handle-out handle-next" />}
      {ports.length > 0 && !single && (
        <div className="flow-node-ports">
          {ports.map((port) => (
            <div key={port} className={`flow-node-port port-${port}`}>
              <span>{portLabel(info, port, data)}</span>
              <Handle type="source" id={port} position={Position.Right} className={`handle-out handle-${port}`} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** Shortens long text for a one-line summary. */
export function clip(text: unknown, length = 60): string {
  const value = typeof text === "string" ? text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim() : "";
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/** A summary line that says what to fill in when the config is still empty. */
export function Missing({ children }: { children: ReactNode }) {
  return <span className="missing">{children}</span>;
}

/** A node's numbers in statistics mode; every count opens the contacts behind it. */
import type { FlowStats } from "../api";
import { useEditor } from "../editor/store";
import { count, money, percent, rate } from "./format";

type NodeFigures = FlowStats["nodes"][string];

/** Where runs ended at a node, each with the metric that lists them: with waiting and the ports, everyone who entered. */
const ENDINGS: [metric: string, label: string, value: (stats: NodeFigures) => number][] = [
  ["completed", "Completed", (stats) => stats.completed],
  ["exited:goal", "Reached the goal", (stats) => stats.exited_by.goal],
  ["exited:exit_rule", "Exit rule", (stats) => stats.exited_by.exit_rule],
  ["exited:archived", "Archived", (stats) => stats.exited_by.archived],
  ["errored", "Errored", (stats) => stats.errored],
];

function Metric({ nodeId, metric, label, value }: { nodeId: string; metric: string; label: string; value: string }) {
  const nodeLabel = useNodeLabel(nodeId);
  const open = useEditor((state) => state.openDrilldown);
  return (
    <button
      type="button"
      className="stat nodrag"
      data-testid={`stat-${nodeId}-${metric}`}
      onClick={(event) => {
        event.stopPropagation();
        open({ nodeId, nodeLabel, metric, title: label });
      }}
    >
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </button>
  );
}

/** A node's name as the canvas shows it: its label, else its type's. */
export function useNodeLabel(nodeId: string): string {
  return useEditor((state) => {
    const type = state.nodes.find((node) => node.id === nodeId)?.type;
    return state.labels[nodeId] || (type ? state.catalogue[type]?.label : undefined) || nodeId;
  });
}

function Endings({ nodeId, stats }: { nodeId: string; stats: NodeFigures }) {
  const ended = ENDINGS.filter(([, , value]) => value(stats) > 0);
  const unrecorded = stats.exited_by.unrecorded;
  if (ended.length === 0 && unrecorded === 0) return null;
  return (
    <div className="node-endings" aria-label="Ended here" data-testid={`endings-${nodeId}`}>
      <span className="endings-title">Ended here</span>
      {ended.map(([metric, label, value]) => (
        <Metric key={metric} nodeId={nodeId} metric={metric} label={label} value={count(value(stats))} />
      ))}
      {unrecorded > 0 && (
        <span className="stat" title="These runs exited before automap counted why: their cause is not known.">
          <span className="stat-value">{count(unrecorded)}</span>
          <span className="stat-label">Exited, cause not recorded</span>
        </span>
      )}
    </div>
  );
}

export function NodeStatsView({ nodeId }: { nodeId: string }) {
  const stats = useEditor((state) => state.stats?.nodes[nodeId]);
  if (!stats) return <div className="node-stats empty">No contacts yet</div>;
  const funnel = stats.messages;
  return (
    <div className="node-stats">
      <div className="stat-grid">
        <Metric nodeId={nodeId} metric="entered" label="Entered" value={count(stats.entered)} />
        <Metric nodeId={nodeId} metric="waiting" label="Waiting" value={count(stats.waiting)} />
        <Metric nodeId={nodeId} metric="converted" label="Converted" value={percent(stats.conversion_rate)} />
        <div className="stat">
          <span className="stat-value">{money(stats.revenue)}</span>
          <span className="stat-label">Revenue</span>
        </div>
      </div>
      <Endings nodeId={nodeId} stats={stats} />
      {funnel && (
        <div className="funnel" aria-label="Message funnel">
          {(
            [
              ["sent", "Sent", funnel.sent],
              ["read", "Read", funnel.read],
              ["clicked", "Clicked", funnel.clicked],
              ["converted", "Goal", stats.converted],
            ] as const
          ).map(([metric, label, value]) => (
            <div key={metric} className="funnel-step">
              <div className="funnel-bar" style={{ width: `${Math.max(4, rate(value, funnel.sent) * 100)}%` }} />
              <Metric nodeId={nodeId} metric={metric} label={label} value={`${count(value)} · ${percent(rate(value, funnel.sent))}`} />
            </div>
          ))}
        </div>
      )}
      {stats.variants && stats.variants.length > 0 && (
        <table className="variants">
          <thead>
            <tr>
              <th>Variant</th>
              <th>Entered</th>
              <th>Conv.</th>
            </tr>
          </thead>
          <tbody>
            {stats.variants.map((variant) => (
              <tr key={variant.port} className={stats.winner === variant.port ? "winner" : ""}>
                <td>
                  {variant.label || variant.port}
                  {stats.winner === variant.port && <span className="winner-badge">Winner</span>}
                </td>
                <td>{count(variant.entered)}</td>
                <td>{percent(variant.conversion_rate)}</td>
              </tr>
            ))}
          </tbody>
          {typeof stats.significance === "number" && (
            <tfoot>
              <tr>
                <td colSpan={3}>p = {stats.significance.toFixed(3)}</td>
              </tr>
            </tfoot>
          )}
        </table>
      )}
    </div>
  );
}

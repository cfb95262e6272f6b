/** A node's numbers in statistics mode; every count opens the contacts behind it. */
import type { FlowStats } from "../api";
import { useEditor, useNodeLabel } from "../editor/store";
import { count, money, percent, rate } from "./format";

type NodeFigures = FlowStats["nodes"][string];

/** Where runs ended at a node, each with the metric that lists them: with waiting and the ports, everyone who entered. */
const ENDINGS: [metric: string, label: string, value: (stats: NodeFigures) => number][] = [
  ["completed", "Completed", (stats) => stats.completed],
  ["exited:goal", "Reached the goal", (stats) => stats.exited_by.goal],
  ["exited:exit_rule", "Exit rule", (stats) => stats.exited_by.exit_rule],
  ["exited:archived", "Archived", (stats) => stats.exited_by.archived],
  ["exited:moved", "Moved", (stats) => stats.exited_by.moved],
  ["exited:operator", "Ended by an operator", (stats) => stats.exited_by.operator],
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

const NO_CHANNELS: string[] = [];

type ChannelFigures = NonNullable<NodeFigures["channels"]>[string];

const CHANNEL_NAMES: Record<string, string> = { email: "Email", popup: "Popup", chat: "Chat", webhook: "Webhook call" };
/** What "sent" means on each channel: handed over to the next hop, not merely recorded. */
const SENT_MEANS: Record<string, string> = {
  email: "accepted by the SMTP server",
  popup: "shown in the visitor's browser",
  chat: "shown in the visitor's browser",
  webhook: "answered 2xx by the integration",
};

/** One channel's messages at a send node, stage by stage: a popup and its fallback email are never added together. */
function ChannelFunnel({ nodeId, channel, primary, figures }: { nodeId: string; channel: string; primary: boolean; figures: ChannelFigures }) {
  const emailConfigured = useEditor((state) => state.stats?.email_configured ?? true);
  if (!primary && figures.sent === 0 && figures.suppressed === 0) return null;
  const name = primary ? CHANNEL_NAMES[channel] : channel === "email" ? "Fallback email" : CHANNEL_NAMES[channel];
  const sent = figures.delivered;
  const steps: [status: string, label: string, value: number, base: number | null][] = [
    ["queued", "Queued", figures.queued, null],
    ["delivered", "Sent", sent, figures.sent],
    ["read", "Read", figures.read, sent],
    ["clicked", "Clicked", figures.clicked, sent],
    ["replied", "Replied", figures.replied, sent],
    ["dismissed", "Dismissed", figures.dismissed, sent],
    ["unsubscribed", "Unsubscribed", figures.unsubscribed, sent],
    ["failed", "Failed", figures.failed, figures.sent],
  ];
  const always = new Set(["queued", "delivered", "read", "clicked"]);
  return (
    <div className="funnel" aria-label={`${name} funnel`} data-testid={`funnel-${nodeId}-${channel}`}>
      <div className="funnel-title" title={`Sent: ${SENT_MEANS[channel]}. Queued: recorded, not sent or failed yet.`}>
        {name}
      </div>
      {channel === "email" && !emailConfigured && figures.queued > 0 && (
        <div className="funnel-warning">No SMTP server is configured: these emails have not left the server.</div>
      )}
      {steps
        .filter(([status, , value]) => always.has(status) || value > 0)
        .map(([status, label, value, base]) => {
          const shown = base === null ? count(value) : `${count(value)} · ${percent(rate(value, base))}`;
          return (
            <div key={status} className="funnel-step">
              <div className="funnel-bar" style={{ width: `${Math.max(4, rate(value, figures.sent) * 100)}%` }} />
              <Metric nodeId={nodeId} metric={`${channel}:${status}`} label={label} value={shown} />
            </div>
          );
        })}
      {figures.suppressed > 0 && (
        <div className="funnel-note" title="Not sent at all: the contact unsubscribed or has no address.">
          {count(figures.suppressed)} not sent (unsubscribed or no address)
        </div>
      )}
    </div>
  );
}

export function NodeStatsView({ nodeId }: { nodeId: string }) {
  const stats = useEditor((state) => state.stats?.nodes[nodeId]);
  // The node type's channels, its own first: the order the funnels are shown in (the API's object has none).
  const channels = useEditor((state) => {
    const type = state.nodes.find((node) => node.id === nodeId)?.type;
    return (type && state.catalogue[type]?.channels) || NO_CHANNELS;
  });
  if (!stats) return <div className="node-stats empty">No contacts yet</div>;
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
      {channels.map((channel, index) =>
        stats.channels?.[channel] ? (
          <ChannelFunnel key={channel} nodeId={nodeId} channel={channel} primary={index === 0} figures={stats.channels[channel]} />
        ) : null,
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

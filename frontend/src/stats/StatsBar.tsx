/** Statistics mode's controls: which version (all by default), which dates, the flow's totals, each version's
 * figures, and the nodes earlier versions had that the shown one no longer has. */
import type { FlowStats } from "../api";
import { DailyChart } from "./DailyChart";
import { count, money, percent } from "./format";
import { useEditor } from "../editor/store";

export interface StatsRange {
  version: number | null;
  from: string;
  to: string;
}

function daysAgo(days: number): string {
  const date = new Date();
  date.setDate(date.getDate() - days);
  return date.toISOString().slice(0, 10);
}

const PRESETS: [string, number | null][] = [
  ["7 days", 7],
  ["30 days", 30],
  ["90 days", 90],
  ["All time", null],
];

/** Without an SMTP server no email leaves: say so, with how many wait, rather than let "queued" pass for "sent". */
function EmailNotConfigured({ stats }: { stats: FlowStats }) {
  const queued = Object.values(stats.nodes).reduce((sum, node) => sum + (node.channels?.email?.queued ?? 0), 0);
  if (queued === 0) return null;
  return (
    <div className="stats-warning" role="status" data-testid="email-not-configured">
      No SMTP server is configured (AUTOMAP_SMTP_URL), so no email has left this server: {count(queued)} wait in the queue
      and will go out once one is set.
    </div>
  );
}

function ByVersion({ versions }: { versions: FlowStats["versions"] }) {
  if (versions.length < 2) return null;
  return (
    <div className="stats-versions" data-testid="stats-versions">
      {versions.map((version) => (
        <span key={version.number}>
          <b>v{version.number}</b>
          {version.live ? " (live)" : ""}: {count(version.entered)} entered · {count(version.waiting)} waiting · {count(version.converted)} converted
        </span>
      ))}
    </div>
  );
}

function RemovedNodes({ nodes, shown }: { nodes: FlowStats["removed_nodes"]; shown: number | null }) {
  if (nodes.length === 0) return null;
  return (
    <details className="stats-removed" data-testid="stats-removed">
      <summary>
        {nodes.length} node{nodes.length === 1 ? "" : "s"} not in v{shown}
      </summary>
      <table className="table">
        <thead>
          <tr>
            <th>Node</th>
            <th>In versions</th>
            <th>Entered</th>
            <th>Waiting</th>
            <th>Converted</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <tr key={node.id}>
              <td>{node.label}</td>
              <td>{node.versions.map((number) => `v${number}`).join(", ")}</td>
              <td>{count(node.entered)}</td>
              <td>{count(node.waiting)}</td>
              <td>{count(node.converted)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function StatsBar({ range, onChange }: { range: StatsRange; onChange(range: StatsRange): void }) {
  const stats = useEditor((state) => state.stats);
  const versions = useEditor((state) => state.flow.versions);
  const liveVersion = useEditor((state) => state.flow.liveVersion);
  return (
    <div className="stats-bar" data-testid="stats-bar">
      <label>
        Version
        <select
          data-testid="stats-version"
          value={range.version ?? ""}
          onChange={(event) => onChange({ ...range, version: event.target.value ? Number(event.target.value) : null })}
        >
          <option value="">All versions</option>
          {versions.map((version) => (
            <option key={version.number} value={version.number}>
              v{version.number}
              {version.number === liveVersion ? " (live)" : ""}
            </option>
          ))}
        </select>
      </label>
      <div className="segmented">
        {PRESETS.map(([label, days]) => {
          const from = days === null ? "" : daysAgo(days);
          return (
            <button key={label} type="button" className={range.from === from && (days === null || range.to === "") ? "active" : ""} onClick={() => onChange({ ...range, from, to: "" })}>
              {label}
            </button>
          );
        })}
      </div>
      <label>
        From <input type="date" value={range.from} onChange={(event) => onChange({ ...range, from: event.target.value })} />
      </label>
      <label>
        To <input type="date" value={range.to} onChange={(event) => onChange({ ...range, to: event.target.value })} />
      </label>
      {stats && (
        <div className="stats-totals">
          <span>
            <b>{count(stats.totals.entered)}</b> entered
          </span>
          <span>
            <b>{count(stats.totals.converted)}</b> converted ({percent(stats.totals.conversion_rate)})
          </span>
          <span>
            <b>{money(stats.totals.revenue)}</b> revenue
          </span>
        </div>
      )}
      {stats && !stats.email_configured && <EmailNotConfigured stats={stats} />}
      {stats && <ByVersion versions={stats.versions} />}
      {stats && <DailyChart series={stats.series} />}
      {stats && <RemovedNodes nodes={stats.removed_nodes} shown={stats.shown_version} />}
    </div>
  );
}

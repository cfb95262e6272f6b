/** Statistics mode's controls: which version, which dates, and the flow's totals. */
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

export function StatsBar({ range, onChange }: { range: StatsRange; onChange(range: StatsRange): void }) {
  const stats = useEditor((state) => state.stats);
  const versions = useEditor((state) => state.flow.versions);
  return (
    <div className="stats-bar" data-testid="stats-bar">
      <label>
        Version
        <select value={range.version ?? ""} onChange={(event) => onChange({ ...range, version: event.target.value ? Number(event.target.value) : null })}>
          <option value="">Live</option>
          {versions.map((version) => (
            <option key={version.number} value={version.number}>
              v{version.number}
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
    </div>
  );
}

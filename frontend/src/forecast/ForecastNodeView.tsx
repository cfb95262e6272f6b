/** A node's projected figures in forecast mode, each with how far it is from what really happened on the same days. */
import { useEditor } from "../editor/store";
import { count, money } from "../stats/format";
import { signed } from "./forecastText";

function Figure({ label, value, change, testId }: { label: string; value: string; change?: number; testId: string }) {
  const shown = signed(change);
  return (
    <div className="stat" data-testid={testId}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">
        {label}
        {shown && <span className={`forecast-change ${change! > 0 ? "up" : "down"}`}> {shown}</span>}
      </span>
    </div>
  );
}

export function ForecastNodeView({ nodeId }: { nodeId: string }) {
  const figures = useEditor((state) => state.forecast?.nodes[nodeId]);
  const change = useEditor((state) => state.forecast?.difference[nodeId]);
  const ran = useEditor((state) => state.forecast !== null);
  if (!ran) return null;
  if (!figures) return <div className="node-stats empty">No one would reach it</div>;
  const testId = (name: string) => `forecast-${nodeId}-${name}`;
  return (
    <div className="node-stats forecast-stats">
      <div className="stat-grid">
        <Figure label="Entered" value={count(figures.entered)} change={change?.entered} testId={testId("entered")} />
        <Figure label="Waiting at the end" value={count(figures.waiting)} change={change?.waiting} testId={testId("waiting")} />
        <Figure label="Converted" value={count(figures.converted)} change={change?.converted} testId={testId("converted")} />
        <Figure label="Revenue" value={money(figures.revenue)} change={change?.revenue} testId={testId("revenue")} />
      </div>
      {Object.entries(figures.left).map(([port, left]) => (
        <div key={port} className="small" data-testid={testId(`left-${port}`)}>
          Left by {port}: {count(left)} <span className="forecast-change">{signed(change?.[`left.${port}`])}</span>
        </div>
      ))}
      {Object.entries(figures.channels ?? {}).map(([channel, statuses]) => (
        <div key={channel} className="small" data-testid={testId(`${channel}-sent`)}>
          {channel}: {count(statuses.sent)} sent{statuses.suppressed ? `, ${count(statuses.suppressed)} suppressed` : ""}{" "}
          <span className="forecast-change">{signed(change?.[`${channel}.sent`])}</span>
        </div>
      ))}
    </div>
  );
}

/** A computed funnel: a bar per step with its count, its share of step 1 and of the step before, the median time
 * from the step before; links to the contacts who reached each step or dropped after it; the breakdown's table. */
import { formatNumber, formatPercent } from "../components/localeFormat";
import { durationText } from "../inbox/wording";
import { barHeights, breakdownValue, droppedAfter, resultStepName } from "./funnelResult";
import type { FunnelResult, Outcome } from "./types";

interface FunnelChartProps {
  result: FunnelResult;
  onOpen(step: number, outcome: Outcome): void;
}

export function FunnelChart({ result, onOpen }: FunnelChartProps) {
  const heights = barHeights(result.steps.map((step) => step.count));
  return (
    <div className="funnel-chart" data-testid="funnel-chart">
      {result.steps.map((step, position) => {
        const dropped = droppedAfter(result.steps, position);
        return (
          <div key={step.index} className="funnel-chart-column" data-testid="funnel-bar" data-step={step.index}>
            <div className="funnel-chart-between">
              {position > 0 && (
                <>
                  <b>{formatPercent(step.rate_from_previous)}</b> of step {step.index - 1}
                  <div className="muted small" title="Median time from the step before">
                    {step.median_seconds_from_previous === null ? "—" : `median ${durationText(step.median_seconds_from_previous)}`}
                  </div>
                </>
              )}
            </div>
            <div className="funnel-chart-track" title={`${formatNumber(step.count)} reached step ${step.index}`}>
              <div className="funnel-chart-fill" style={{ height: `${heights[position]}%` }} />
            </div>
            <div className="funnel-chart-name" title={step.event}>
              {step.index}. {resultStepName(step)}
            </div>
            <div className="funnel-chart-count" data-testid="funnel-count" data-count={step.count}>
              {formatNumber(step.count)}
            </div>
            <div className="muted small">{formatPercent(step.rate_from_first)} of step 1</div>
            <div className="funnel-chart-links">
              <button type="button" className="link" onClick={() => onOpen(step.index, "reached")} disabled={step.count === 0} data-testid="step-contacts">
                Contacts
              </button>
              {dropped !== null && (
                <button type="button" className="link" onClick={() => onOpen(step.index, "dropped")} disabled={dropped === 0} data-testid="step-dropped">
                  Dropped ({formatNumber(dropped)})
                </button>
              )}
            </div>
          </div>
        );
      })}
    </div>
  );
}

/** The breakdown's rows: each value's count at every step and its share of the value's step 1. */
export function BreakdownTable({ result, title }: { result: FunnelResult; title: string }) {
  if (!result.breakdown) return null;
  if (result.breakdown.length === 0) return <p className="muted">Nobody to break down.</p>;
  return (
    <table className="table compact funnel-breakdown" data-testid="funnel-breakdown-table">
      <thead>
        <tr>
          <th>{title}</th>
          {result.steps.map((step) => (
            <th key={step.index} className="number" title={step.event}>
              {step.index}. {resultStepName(step)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {result.breakdown.map((row, position) => (
          <tr key={position} data-testid="funnel-breakdown-row">
            <td>{breakdownValue(row)}</td>
            {result.steps.map((step) => {
              const cell = row.steps.find((candidate) => candidate.index === step.index);
              return (
                <td key={step.index} className="number">
                  {formatNumber(cell?.count ?? 0)}
                  {step.index > 1 && <div className="muted small">{formatPercent(cell?.rate_from_first ?? 0)}</div>}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
